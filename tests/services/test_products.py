"""Products services over the hand-checkable sample: the catalogue's filters, monthly sales (worked out in
``sample_data``), buyers by industry and segment, bought together, what customers say by aspect, generated copy;
model-backed reads raise ``ModelNotReady`` until training ran (pages never train)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction, Product
from bizpilot.errors import ModelNotReady, ValidationFailed
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.content import generate_content
from bizpilot.services.models import jobs
from bizpilot.services.products import (
    MonthSales,
    bought_together,
    buyer_industries,
    catalogue,
    monthly_sales,
    product_sales,
)
from bizpilot.services.products_insight import (
    aspects_of,
    buyer_segments,
    product_generations,
    product_voice,
)
from tests.services import sample_data as sd


def _ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Product.sku, Product.id)).all())


def test_catalogue_filters_price_range_stock_category_and_search(sample_session: Session) -> None:
    s = sample_session
    s.execute(update(Product).where(Product.sku == "MUG-01").values(stock_qty=40))
    s.execute(update(Product).where(Product.sku == "TEA-02").values(stock_qty=0))

    def skus(**kw: object) -> list[str]:
        return [p.sku for p in catalogue(session=s, sort="sku", **kw).items]

    assert skus() == ["MUG-01", "POST", "TEA-02"]
    assert skus(min_price=5) == ["POST", "TEA-02"]
    assert skus(max_price=10) == ["MUG-01", "TEA-02"]  # both bounds are inclusive
    assert skus(min_price=4, max_price=10) == ["MUG-01", "TEA-02"]
    assert skus(in_stock=True) == ["MUG-01"]  # zero and unknown stock are not "in stock"
    assert skus(category="Tea", max_price=12) == ["TEA-02"]
    assert skus(q="tea", min_price=11) == []
    page = catalogue(session=s, min_price=5, limit=1)
    assert page.total == 2 and len(page.items) == 1 and page.has_next
    with pytest.raises(ValidationFailed, match="min_price is above max_price"):
        catalogue(session=s, min_price=10, max_price=5)
    with pytest.raises(ValidationFailed, match="max_price must be >= 0"):
        catalogue(session=s, max_price=-1)


def test_monthly_sales_fill_gaps_and_net_returns(sample_session: Session) -> None:
    ids = _ids(sample_session)
    # MUG-01: Jan O1 10 x 4.0; none in Feb; Mar O3 280, cancellation C5 -28, guest G6 12 (units 100 - 10 + 3).
    assert monthly_sales(session=sample_session, product_id=ids["MUG-01"]) == [
        MonthSales("2024-01", 40.0, 10.0, 1), MonthSales("2024-02", 0.0, 0.0, 0), MonthSales("2024-03", 264.0, 93.0, 3)]
    # TEA-02: Jan O1 45 + O2 20; Feb O4 270; March (the workspace's today) without sales.
    assert monthly_sales(session=sample_session, product_id=ids["TEA-02"]) == [
        MonthSales("2024-01", 65.0, 7.0, 2), MonthSales("2024-02", 270.0, 30.0, 1), MonthSales("2024-03", 0.0, 0.0, 0)]
    assert [m.month for m in monthly_sales(session=sample_session, product_id=ids["MUG-01"], months=2)] == [
        "2024-02", "2024-03"]
    unsold = Product(sku="NEW-1", name="New thing")
    sample_session.add(unsold)
    sample_session.flush()
    assert monthly_sales(session=sample_session, product_id=unsold.id) == []


def test_buyers_by_industry_with_top_buyers(sample_session: Session) -> None:
    tea = _ids(sample_session)["TEA-02"]
    groups = buyer_industries(session=sample_session, product_id=tea)
    assert [(g.key, g.accounts, g.revenue, g.share) for g in groups] == [
        ("Food & Beverage", 1, 270.0, round(270 / 335, 4)), ("Retail", 1, 65.0, round(65 / 335, 4))]
    top = product_sales(session=sample_session, product_id=tea).top_buyers
    assert [(b.name, b.industry, b.orders, b.revenue) for b in top] == [
        ("Borealis Foods GmbH", "Food & Beverage", 1, 270.0), ("Acme Trading Co", "Retail", 2, 65.0)]


def test_bought_together_counts_shared_sales_orders(engine: Engine, sample: dict[str, int]) -> None:
    with Session(engine) as session:
        ids = _ids(session)
        assert bought_together(session=session, product_id=ids["TEA-02"]) == []  # one shared order is not enough
    lines = [sd._line("O7", "CEDAR", datetime(2024, 3, 7, 9), "TEA-02", 4, 10.0),
             sd._line("O7", "CEDAR", datetime(2024, 3, 7, 9), "MUG-01", 4, 4.0)]
    assert import_frame("orders", pd.DataFrame(lines), source="o7.csv", strict=True, engine=engine).rejected == 0
    with Session(engine) as session:
        found = bought_together(session=session, product_id=ids["TEA-02"])
        # TEA-02 sold in O1, O2, O4, O7; MUG-01 shares O1 and O7; POST only O4.
        assert [(b.sku, b.orders, b.share) for b in found] == [("MUG-01", 2, 0.5)]
        # MUG-01's sales orders: O1, O3, G6, O7 (the cancellation C5 is no sale).
        assert [(b.sku, b.orders, b.share) for b in bought_together(session=session, product_id=ids["MUG-01"])] == [
            ("TEA-02", 2, 0.5)]


def test_aspects_in_both_languages() -> None:
    assert aspects_of("Delivery was late and the box was crushed") == ["delivery", "packaging"]
    assert aspects_of("质量很好，但是价格有点贵") == ["quality", "price"]
    assert aspects_of("Could you call me back?") == []
    assert aspects_of("Our staff like the latest colours") == []  # "late" only at a word's start


def test_product_voice_links_by_sku_or_mention_and_takes_stored_sentiment(sample_session: Session,
                                                                           sample: dict[str, int]) -> None:
    s = sample_session
    ids = _ids(s)
    when = datetime(2024, 3, 8, 10)

    def add(ext: str, text: str, **kw: object) -> None:
        s.add(Interaction(external_id=ext, channel=kw.pop("channel", "review"), text=text, occurred_at=when, **kw))

    add("v1", "The mugs arrived late and the packaging was crushed.", product_id=ids["MUG-01"],
        account_id=sample["ACME"], sentiment="negative", sentiment_score=-0.8)
    add("v2", "Quality of the Ceramic mug is excellent.", rating=5.0)  # no SKU filed: found by its name
    add("v3", "Please quote 50 units of mug-01.", channel="email")  # the SKU, any case; not analysed
    add("v4", "We also sell the Ceramic mug in our shop.", channel="email", direction="outbound")  # our own words
    add("v5", "The Ceramic mug next to the tea was fine.", product_id=ids["TEA-02"])  # filed under another product
    s.flush()
    voice = product_voice(session=s, product_id=ids["MUG-01"])
    assert (voice.mentions, voice.linked, voice.matched) == (3, 1, 2)
    assert voice.sentiment == {"positive": 1, "neutral": 0, "negative": 1, "unanalysed": 1}
    assert voice.sources == {"signals": 1, "rating": 1, "none": 1}
    by = {a.aspect: a for a in voice.aspects}
    assert set(by) == {"delivery", "packaging", "quality", "price"}
    assert (by["delivery"].negative, by["delivery"].mentions, by["delivery"].net) == (1, 1, -1.0)
    assert (by["quality"].positive, by["quality"].net) == (1, 1.0)
    assert (by["price"].unanalysed, by["price"].net) == (1, 0.0)  # "quote" is about price; nothing to weigh
    assert by["delivery"].quotes[0]["text"].startswith("The mugs arrived late")
    assert by["delivery"].quotes[0]["account_name"] == "Acme Trading Co"
    # v1 is about delivery and packaging; packaging has no other message, so it shows v1 too (not nothing)
    assert [q["text"][:8] for q in by["packaging"].quotes] == ["The mugs"]
    s.add(Interaction(external_id="v6", channel="review", text="Mug-01 box was crushed.", occurred_at=when,
                      product_id=ids["MUG-01"]))
    s.flush()
    by = {a.aspect: a for a in product_voice(session=s, product_id=ids["MUG-01"]).aspects}
    assert [q["text"][:8] for q in by["delivery"].quotes] == ["The mugs"]  # v1 is quoted once, under delivery
    assert [q["text"][:8] for q in by["packaging"].quotes] == ["Mug-01 b"]
    assert product_voice(session=s, product_id=ids["POST"]).mentions == 0


def test_generated_copy_is_listed_with_its_check(sample_session: Session) -> None:
    ids = _ids(sample_session)
    assert product_generations(session=sample_session, product_id=ids["TEA-02"]) == []
    made = generate_content(session=sample_session, kind="product_description", product_id="TEA-02", use_llm=False)
    generate_content(session=sample_session, kind="sales_email", account_id="ACME", use_llm=False)  # not copy
    rows = product_generations(session=sample_session, product_id=ids["TEA-02"])
    assert [r["id"] for r in rows] == [made.id]
    row = rows[0]
    assert row["kind"] == "product_description" and row["output"] == made.output
    assert row["fallback"] is True and row["fallback_reason"] == made.fallback_reason
    assert (row["kept"], row["repaired"], row["dropped"]) == (made.check["kept"], made.check["repaired"],
                                                             made.check["dropped"])
    assert row["failed_checks"] == made.lint["failed_checks"]


def test_segments_of_buyers_wait_for_their_model(engine: Engine, sample: dict[str, int]) -> None:
    with Session(engine) as session:
        tea = _ids(session)["TEA-02"]
        with pytest.raises(ModelNotReady):  # ... and the missing model is queued for background training
            buyer_segments(session=session, product_id=tea)
    jobs.wait(timeout=300)
    with Session(engine) as session:
        groups = buyer_segments(session=session, product_id=tea, lang="en")
        assert sum(g.accounts for g in groups) == 2 and round(sum(g.share for g in groups), 3) == 1.0
        assert {g.revenue for g in groups} <= {270.0, 65.0, 335.0}
