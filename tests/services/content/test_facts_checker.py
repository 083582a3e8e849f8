"""Facts, plans, deterministic realisation and the checker, on the demo business."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.content import KINDS, check_text, load_facts, make_plan, realise_deterministic
from bizpilot.services.content.facts import PRODUCT_KINDS


def test_load_facts_reads_product_and_account(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        b = load_facts(session=s, kind="product_description", product_id="ADH-1001")
        assert b.get("product.name").text == "Thread Locker 400 mL grey"
        assert b.get("product.price").value == pytest.approx(30.45) and b.get("product.price").currency == "USD"
        assert b.get("product.attr.volume").text == "400 mL"
        assert b.get("product.attr.color").text_zh == "灰色"
        assert b.get("product.stock").value == 56
        assert "grey" in b.lexicon["color"] and "blue" in b.lexicon["color"]
        a = load_facts(session=s, kind="sales_email", account_id="ACC-00001")
        assert a.get("account.name").text == "Evergreen Hospitality Group Ltd"
        assert a.get("order.count").value > 0 and a.get("order.last.date").text >= a.get("order.first.date").text
        assert a.has("order.top.1.name") and a.has("opportunity.1.stage")
        same = load_facts(session=s, kind="sales_email", account_id=a.account_id)  # by id as well as by external id
        assert same.get("account.name").text == a.get("account.name").text


def test_load_facts_errors(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        with pytest.raises(NotFoundError, match="NOPE-1") as product:
            load_facts(session=s, kind="ad", product_id="NOPE-1")
        assert product.value.details[0]["field"] == "product_id"  # the request field content callers know
        with pytest.raises(NotFoundError, match="ACC-99999") as account:
            load_facts(session=s, kind="sales_email", account_id="ACC-99999")
        assert account.value.details[0]["field"] == "account_id"
        with pytest.raises(ValidationFailed, match="needs a product"):
            load_facts(session=s, kind="ad")
        with pytest.raises(ValidationFailed, match="unknown content kind"):
            load_facts(session=s, kind="poem", product_id="ADH-1001")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_deterministic_realisation_passes_the_checker_for_every_kind(demo_engine: Engine, language: str) -> None:
    with Session(demo_engine) as s:
        for kind in KINDS:
            for product, account in (("ADH-1001", "ACC-00001"), ("PPE-1002", "ACC-00299")):
                refs = {"product_id": product} if kind in PRODUCT_KINDS else {"account_id": account}
                bundle = load_facts(session=s, kind=kind, **refs)
                for length in ("short", "long"):
                    plan = make_plan(bundle, language=language, length=length, tone="formal")
                    text = realise_deterministic(plan, bundle)
                    result = check_text(text, bundle)
                    assert result.clean, (kind, language, [(c.text, c.reason) for c in result.problems()])
                    assert result.output == text.strip()
                    subject = "product.name" if kind in PRODUCT_KINDS else "account.name"
                    assert subject in result.backed_by
                    if language == "zh":
                        assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _bundle(engine: Engine, kind: str = "product_description", sku: str = "ADH-1001"):
    s = Session(engine)
    return load_facts(session=s, kind=kind, product_id=sku)


def test_checker_repairs_an_invented_price(demo_engine: Engine) -> None:
    b = _bundle(demo_engine)
    r = check_text("Thread Locker 400 mL grey is a strong adhesive. It costs USD 19.99 each.", b)
    assert not r.clean
    assert r.output == "Thread Locker 400 mL grey is a strong adhesive. It costs USD 30.45 each."
    change = r.repaired[0].claims[0]
    assert change.status == "contradicting" and change.fact_ids == ["product.price"]
    assert "product.price" in r.repaired[0].backed_by


def test_checker_repairs_a_wrong_attribute_value_en_and_zh(demo_engine: Engine) -> None:
    b = _bundle(demo_engine)
    r = check_text("Thread Locker 400 mL grey comes in blue and cures in 30 min.", b)
    assert r.output == "Thread Locker 400 mL grey comes in grey and cures in 30 min."
    assert {"product.attr.color", "product.attr.cure_time", "product.name"} <= set(r.backed_by)
    wrong_volume = check_text("This thread locker holds 250 mL.", b)
    assert wrong_volume.output == "This thread locker holds 400 mL."
    zh = check_text("这款螺纹锁固剂颜色为蓝色。价格为30.45 USD。", b)
    assert zh.output == "这款螺纹锁固剂颜色为灰色。价格为30.45 USD。"


def test_checker_drops_invented_products_and_numbers(demo_engine: Engine) -> None:
    b = _bundle(demo_engine)
    other = b.catalog_names[0]
    text = (f"Thread Locker 400 mL grey is in stock. Pair it with {other}. Order the ThreadMax ZX-9000 too. "
            "Save 15% this week. Delivery by 2024-12-01.")
    r = check_text(text, b)
    assert r.output == "Thread Locker 400 mL grey is in stock."
    reasons = [c.reason for s in r.dropped for c in s.claims if c.status != "supported"]
    assert "another product's name" in reasons and "percentage not in the facts" in reasons
    assert "date not in the facts" in reasons
    assert len(r.dropped) == 4
