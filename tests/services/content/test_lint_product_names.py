"""The product-name check, from two drafts the bundled 1.5B model really wrote: a half-translated name ("玻璃 cleaner
20 L lemon 6-pack") and a code glued to a number ("六角螺栓M852天"); shortened names that fit several products; and
correct texts in both languages that must still pass. Hand-made fact bundles: no database needed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bizpilot.domain.glossary import GlossaryEntry
from bizpilot.llm import CallLog
from bizpilot.llm.scripted import ScriptedBackend
from bizpilot.services.content import generate_content
from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import Fact, FactBundle
from bizpilot.services.content.glossary import glossary_scope
from bizpilot.services.content.lint import LintContext, lint_text
from bizpilot.services.glossary import GlossaryLookup, default_lookup

CLEANER = "Glass Cleaner 20 L lemon 6-pack"
CLEANERS = FactBundle("sales_email", [
    Fact("account.name", "name", "Anchor Contractors B.V.", "Anchor Contractors B.V."),
    Fact("recent.date", "date", "2025-11-28", "2025-11-28"),
    Fact("recent.1.name", "name", CLEANER, CLEANER), Fact("recent.1.qty", "quantity", 30.0, "30")],
    catalog_names=["Glass Cleaner 5 L lemon 12-pack", "Glass Cleaner 500 mL unscented 24-pack",
                   "Hand Sanitizer 5 L lemon 6-pack", "一次性防护口罩 XL 白色 200装", "一次性防护口罩 XL 蓝色 100装"])
BOLT = FactBundle("sales_email", [  # the capability probe's reorder case
    Fact("account.name", "name", "Anchor Contractors B.V.", "Anchor Contractors B.V.", "安科建设"),
    Fact("reorder.name", "name", "Hex Bolt M8", "Hex Bolt M8", "六角螺栓M8", aliases=("M8六角螺栓",)),
    Fact("reorder.sku", "sku", "FB-00123", "FB-00123"), Fact("reorder.cycle", "count", 45, "45"),
    Fact("reorder.since", "count", 52, "52")], catalog_names=["Hex Bolt M10 zinc-plated steel 100-pack"])
LOCKER = FactBundle("sales_email", [
    Fact("account.name", "name", "Evergreen Hospitality Group Ltd", "Evergreen Hospitality Group Ltd"),
    Fact("order.top.1.name", "name", "Thread Locker 400 mL grey", "Thread Locker 400 mL grey"),
    Fact("product.attr.volume", "attribute", "400 mL", "400 mL")], catalog_names=["Thread Locker 250 mL blue"])
PROBE_ZH = ("安科建设，您好：\n\n距离您上次订购六角螺栓M852天已经52天了，您通常每45天补货一次，库存可能快用完了。\n\n"
            "需要我们按上次的订单再准备一批吗？回复您需要的数量即可。\n\n此致\n销售团队")


def _names(text: str, bundle: FactBundle, language: str) -> list[tuple[str, str]]:
    ctx = LintContext("sales_email", language, "medium", bundle)
    return [(f.text, f.reason) for f in lint_text(text, ctx) if f.check == "product_names"]


def test_a_half_translated_name_fails() -> None:
    text = "感谢您在2025-11-28订购的玻璃 cleaner 20 L lemon 6-pack共30件。"
    assert _names(text, CLEANERS, "zh") == [("玻璃 cleaner 20 L lemon 6-pack",
                                            f"half-translated product name: write {CLEANER!r} whole")]
    assert check_text(text, CLEANERS).problems() == []  # every value in it is a fact: only the name check sees it


def test_a_code_glued_to_a_number_fails_the_name_check_and_the_fact_check() -> None:
    assert _names(PROBE_ZH, BOLT, "zh") == [("六角螺栓M852天", "a product code glued to a number: 六角螺栓M8 + 52天")]
    checked = check_text(PROBE_ZH, BOLT)
    assert [(c.kind, c.text) for c in checked.problems()] == [("mangled", "六角螺栓M852天")]
    assert "六角螺栓M8" not in checked.output and checked.dropped[0].original.startswith("距离您上次订购")
    en = "It has been 52 days since your last order of Hex Bolt M852 days ago."
    assert _names(en, BOLT, "en") == [("Hex Bolt M852 days", "a product code glued to a number: Hex Bolt M8 + 52 days")]


def test_a_glossary_word_glued_inside_the_name_fails_where_the_workspace_glossary_has_it() -> None:
    """'柠檬 6-pack' has no English word left, but 柠檬 is the demo workspace's word for 'lemon' (柠檬香)."""
    text = "本次订单包括Glass Cleaner 20 L 柠檬 6-pack共30件。"
    assert _names(text, CLEANERS, "zh") == []  # the shipped glossary has no 'lemon': nothing says 柠檬 is the name
    lemon = GlossaryEntry(kind="value", key="lemon", en="lemon", zh="柠檬香", source="workspace")
    with glossary_scope(GlossaryLookup([*default_lookup().entries(), lemon])):
        assert _names(text, CLEANERS, "zh") == [("Glass Cleaner 20 L 柠檬 6-pack",
                                                f"half-translated product name: write {CLEANER!r} whole")]


@pytest.mark.parametrize(("text", "language", "bundle", "found"), [
    ("Thank you for ordering Glass Cleaner on 2025-11-28.", "en", CLEANERS,
     ("Glass Cleaner", f"a shortened product name that fits 3 products: write {CLEANER!r} whole")),
    ("感谢您订购Glass Cleaner，共30件。", "zh", CLEANERS,
     ("Glass Cleaner", f"a shortened product name that fits 3 products: write {CLEANER!r} whole")),
    ("You may also like our Hand Sanitizer.", "en", CLEANERS,
     ("Hand Sanitizer", "part of the name of a product this text is not about")),
    ("您也可以试试一次性防护口罩 XL。", "zh", CLEANERS,
     ("一次性防护口罩 XL", "part of the name of a product this text is not about")),
    ("Your Thread Locker is due again.", "en", LOCKER,
     ("Thread Locker", "a shortened product name that fits 2 products: write 'Thread Locker 400 mL grey' whole")),
])
def test_a_shortened_or_foreign_name_fails(text: str, language: str, bundle: FactBundle,
                                           found: tuple[str, str]) -> None:
    assert _names(text, bundle, language) == [found]


@pytest.mark.parametrize(("text", "language", "bundle"), [
    ("Thank you for your order of 30 units of Glass Cleaner 20 L lemon 6-pack on 2025-11-28.", "en", CLEANERS),
    ("感谢您在2025-11-28下的订单，本次订单包括Glass Cleaner 20 L lemon 6-pack共30件。", "zh", CLEANERS),
    ("本次订单包括GLASS CLEANER 20 L LEMON 6-PACK共30件，柠檬香型。", "zh", CLEANERS),
    ("距离您上次订购六角螺栓M8已经52天了，您通常每45天补货一次。", "zh", BOLT),
    ("您上次订购的M8六角螺栓（货号FB-00123）已经52天了。", "zh", BOLT),
    ("It has been 52 days since your last order of Hex Bolt M8 (SKU FB-00123).", "en", BOLT),
    ("Your Thread Locker 400 mL is due again.", "en", LOCKER),  # shortened, but it fits one product only
    ("Thread Locker 400 mL grey: you usually reorder it every 45 days.", "en", LOCKER),
])
def test_whole_names_and_unambiguous_short_names_pass(text: str, language: str, bundle: FactBundle) -> None:
    assert _names(text, bundle, language) == []


def test_a_draft_with_a_shortened_name_is_replaced_and_the_whole_name_kept(small_session: Session) -> None:
    """The draft states its facts (the judge accepts it); only the second, shortened mention fails, and the
    deterministic text writes the name whole. The same draft with the name whole is kept."""
    draft = ("Hello Evergreen Hospitality Group Ltd,\n\nThank you for your order of 8 units of Thread Locker 400 mL "
             "grey on 2024-06-01. I hope the Thread Locker arrived as you needed it.\n\nIs there anything else we "
             "can add? Just reply to this email.\n\nBest regards,\nThe sales team")
    for text, kept in ((draft, False), (draft.replace("the Thread Locker arrived", "it arrived"), True)):
        r = generate_content(session=small_session, kind="sales_email", account_id="ACC-T1", language="en",
                             purpose="auto", backend=ScriptedBackend([text], call_log=CallLog()))
        assert (r.fallback, r.lint["draft_failed_checks"]) == ((False, []) if kept else (True, ["product_names"]))
        assert r.lint["failed_checks"] == [] and "Thread Locker 400 mL grey" in r.output
        if not kept:
            assert r.fallback_reason == "the model's draft failed the quality checks: product_names"
            assert [f["text"] for f in r.lint["draft"]] == ["Thread Locker"]


PAPER = "Letter复印纸 75 gsm 10 reams"  # a demo product whose catalogue name mixes scripts
PAPERS = FactBundle("sales_email", [
    Fact("account.name", "name", "Evergreen Hospitality Group Ltd", "Evergreen Hospitality Group Ltd"),
    Fact("recent.1.name", "name", PAPER, PAPER), Fact("recent.1.qty", "quantity", 105.0, "105")],
    catalog_names=["Letter复印纸 70 gsm 5 reams", "A4复印纸 80 gsm 5 reams"])


@pytest.mark.parametrize(("text", "found"), [
    (f"Your order includes 105 units of {PAPER}.", []),
    (f"Your order includes 105 units of “{PAPER}”.", []),  # curly quotes are English punctuation too
    ("Your order includes 105 units of Letter 复印纸 75 gsm 10 reams.", []),
    ("Your Letter复印纸 is on its way.",  # the name as the facts write it, cut short: only the name check fails
     [("product_names", "Letter复印纸")]),
    ("Your order includes 105 units of Letter复印 paper 75 gsm 10 reams.",  # 纸 put in English: half-translated
     [("language", "复印"), ("product_names", "Letter复印 paper")]),
    ("Your order includes 105 units of it. 我们很高兴为您服务。", [("language", "我们很高兴为您服务。")]),
])
def test_a_mixed_script_name_counts_against_the_name_check_only(text: str, found: list[tuple[str, str]]) -> None:
    ctx = LintContext("product_description", "en", "medium", PAPERS)
    assert [(f.check, f.text) for f in lint_text(text, ctx) if f.check in ("language", "product_names")] == found
