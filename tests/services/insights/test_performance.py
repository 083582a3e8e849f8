"""Product and category performance on a real SQLite workspace: net revenue against the previous period, growth,
movers up and down, margin only where a product's attributes hold a cost ("no cost data" otherwise), returns with
the reasons customers stated (a message linked to the returned order, else one from the same account about the
product; praise is no reason), review sentiment by aspect; and the summary check that drops an uncomputed number."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Order, OrderLine, Product
from bizpilot.services.insights.overview import insights
from bizpilot.services.insights.performance import product_performance, unit_cost
from bizpilot.services.insights.summary import check_line, summary_facts


def _order(session: Session, ext: str, account: Account, when: datetime, lines: list[tuple[Product, float, float]],
           kind: str = "sale", status: str = "fulfilled") -> Order:
    order = Order(external_id=ext, account_id=account.id, kind=kind, status=status, ordered_at=when)
    session.add(order)
    session.flush()
    for n, (product, qty, price) in enumerate(lines, start=1):
        session.add(OrderLine(order_id=order.id, line_no=n, product_id=product.id, quantity=qty, unit_price=price,
                              discount=0.0, line_type="return" if kind == "return" else "sale"))
    return order


def _seed(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        acme, globex = Account(external_id="A1", name="Acme"), Account(external_id="A2", name="Globex")
        bolt = Product(sku="FST-1", name="Hex Bolt", category="Fasteners", price=2.0, attributes={"unit_cost": "1.5"})
        nut = Product(sku="FST-2", name="Hex Nut", category="Fasteners", price=1.0, attributes={})
        pump = Product(sku="PMP-1", name="Gear Pump", category="Pumps", price=100.0, attributes={"colour": "red"})
        s.add_all([acme, globex, bolt, nut, pump])
        s.flush()
        # January (the previous period): bolts 100.00, pumps 500.00; February: bolts 300.00, nuts 50.00, pumps 200.00
        _order(s, "S1", acme, datetime(2024, 1, 10), [(bolt, 50, 2.0), (pump, 5, 100.0)])
        _order(s, "S2", acme, datetime(2024, 2, 5), [(bolt, 150, 2.0), (nut, 50, 1.0)])
        _order(s, "S3", globex, datetime(2024, 2, 6), [(pump, 3, 100.0)])
        linked = _order(s, "R1", globex, datetime(2024, 2, 20), [(pump, -1, 100.0)], kind="return",
                        status="returned")
        _order(s, "R2", acme, datetime(2024, 2, 22), [(bolt, -10, 2.0)], kind="return", status="returned")
        s.add_all([
            Interaction(external_id="I1", channel="ticket", direction="inbound", order_id=linked.id,
                        account_id=globex.id, text="The pump arrived damaged and leaks",
                        occurred_at=datetime(2024, 2, 19), sentiment="negative"),
            Interaction(external_id="I2", channel="review", direction="inbound", account_id=acme.id, product_id=bolt.id,
                        text="Great quality bolts", rating=5.0, occurred_at=datetime(2024, 2, 15)),
            Interaction(external_id="I3", channel="review", direction="inbound", account_id=acme.id, product_id=bolt.id,
                        subject="Late again", text="Delivery was late and the price went up",
                        rating=1.0, occurred_at=datetime(2024, 2, 18)),
            Interaction(external_id="I4", channel="review", direction="inbound", account_id=globex.id,
                        text="Poor quality, broken after a week", sentiment="negative",
                        occurred_at=datetime(2024, 1, 20)),
        ])
        s.commit()
        return {"bolt": bolt.id, "pump": pump.id, "ticket": 0}


def test_revenue_growth_movers_and_margin_where_a_cost_exists(engine: Engine) -> None:
    ids = _seed(engine)
    with Session(engine) as session:
        perf = product_performance(session=session, start=date(2024, 2, 1), end=date(2024, 2, 29))
    # February net: bolts 300 - 20 returned = 280, nuts 50, pumps 300 - 100 returned = 200
    assert (perf["revenue"], perf["previous_revenue"], perf["growth"]) == (530.0, 600.0, -0.1167)
    by_sku = {p["sku"]: p for p in perf["products"]}
    assert by_sku["FST-1"]["revenue"] == 280.0 and by_sku["FST-1"]["growth"] == 1.8
    assert by_sku["FST-1"]["margin"] == round((280 - 1.5 * 140) / 280, 4)  # 140 net units at cost 1.50
    assert by_sku["FST-2"]["margin"] is None and by_sku["FST-2"]["growth"] is None  # no cost; new this period
    assert by_sku["PMP-1"]["unit_cost"] is None
    assert [p["sku"] for p in perf["movers_up"]] == ["FST-1", "FST-2"]
    assert [p["sku"] for p in perf["movers_down"]] == ["PMP-1"] and perf["movers_down"][0]["change"] == -300.0
    assert perf["margin"] == by_sku["FST-1"]["margin"] and perf["margin_coverage"] == round(280 / 530, 4)
    cats = {c["category"]: c for c in perf["categories"]}
    assert cats["Fasteners"]["revenue"] == 330.0 and cats["Fasteners"]["previous_revenue"] == 100.0
    assert cats["Pumps"]["margin"] is None and cats["Fasteners"]["margin"] == round((280 - 210) / 280, 4)
    assert ids["bolt"] in {p["product_id"] for p in perf["products"]}


def test_returns_carry_the_reasons_customers_stated(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as session:
        r = product_performance(session=session, start=date(2024, 2, 1), end=date(2024, 2, 29))["returns"]
    assert (r["orders"], r["lines"], r["units"], r["value"]) == (2, 2, 11.0, 120.0)
    assert [p["sku"] for p in r["products"]] == ["PMP-1", "FST-1"]
    reasons = {x["reason"]: x for x in r["reasons"]}
    # R1: the ticket linked to the order ("arrived damaged": delivery, quality); R2: the 1-star review of the bolt by
    # the same account (delivery, price); the 5-star review is praise, not a reason
    assert [(x["reason"], x["returns"]) for x in r["reasons"]] == [("delivery", 2), ("price", 1), ("quality", 1)]
    assert reasons["quality"]["example"]["source"] == "linked" and reasons["price"]["example"]["source"] == "nearby"
    assert r["with_reason"] == 2
    # the ticket states delivery and quality: it is quoted once, for both, not once per reason
    assert [(q["source"], q["aspects"], q["returns"]) for q in r["statements"]] == [
        ("linked", ["quality", "delivery"], 1), ("nearby", ["delivery", "price"], 1)]
    assert reasons["quality"]["example"] == reasons["delivery"]["example"]
    assert r["statements"][1]["text"].startswith("Late again. Delivery was late")


def test_review_sentiment_by_aspect_against_the_previous_period(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as session:
        aspects = product_performance(session=session, start=date(2024, 2, 1), end=date(2024, 2, 29))["aspects"]
    by = {a["aspect"]: a for a in aspects}
    assert set(by) == {"quality", "delivery", "price"}
    assert (by["quality"]["reviews"], by["quality"]["net"], by["quality"]["previous_net"]) == (1, 1.0, -1.0)
    assert by["delivery"]["negative"] == 1 and by["delivery"]["net"] == -1.0


def test_costs_come_only_from_the_product_attributes() -> None:
    assert unit_cost({"unit_cost": "1,200.5"}) == 1200.5 and unit_cost({"成本": 3}) == 3.0
    assert unit_cost({"cost": "n/a"}) is None and unit_cost({"cost": 0}) is None and unit_cost(None) is None


def test_the_summary_states_the_performance_and_its_check_drops_an_uncomputed_number(engine: Engine) -> None:
    _seed(engine)
    with Session(engine) as session:
        data = insights(session=session, start=date(2024, 2, 1), end=date(2024, 2, 29), with_topics=False)
    en = data["summary"]["en"]
    assert "Net revenue 530.00 (previous period 600.00, -11.7%)." in en
    assert "Top riser: Hex Bolt (+180.00)." in en and "Top faller: Gear Pump (-300.00)." in en
    assert "2 returns worth 120.00." in en and "Margin 25.0% on the products with a cost (52.8% of revenue)." in en
    assert "净销售额 530.00（上一期 600.00，-11.7%）。" in data["summary"]["zh"]
    assert data["summary_check"]["en"]["dropped"] == [] and data["summary_check"]["zh"]["kept"] == len(
        data["summary"]["zh"])
    facts = summary_facts(data)
    assert check_line("Net revenue 530.00 (previous period 600.00, -11.7%).", facts) == (True, [])
    kept, claims = check_line("Net revenue 531.00 (previous period 600.00, -12.5%).", facts)
    assert not kept and claims == ["531.00", "12.5%"]
    assert check_line("Returns on 2024-02-30 were high.", facts)[0] is False
