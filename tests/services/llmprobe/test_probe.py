"""The capability probe: fixed texts score the same every time (seller's voice, language, facts), results are
stored per model in the workspace, and a model that failed its probe never drafts content."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizpilot.llm import CallLog
from bizpilot.llm.scripted import ScriptedBackend
from bizpilot.services.llmprobe import load_results, model_key, probe_passed, probe_result, save_result
from bizpilot.services.llmprobe.probe import CASES, run_probe, score_text, summarise

CASE = {c.id: c for c in CASES}
GOOD = {
    "email_en": "Hello Anchor Contractors B.V.,\n\n"
                "Your last order of 624 pcs of Hex Bolt M8 went out on 2025-05-12, and you usually "
                "reorder about every 45 days, so your stock may be running low.\nSince 2024-04-01 you have placed 16 "
                "orders with us, and we would be glad to have the next one ready in time.\nJust reply to this e-mail "
                "with the quantity you need and I will arrange the delivery.\n\nBest regards,\nLena Hoffmann, "
                "Northwind Fasteners",
    "email_zh": "安科建设，您好：\n\n贵司最近一次订单是2025年5月12日订购的六角螺栓M8 624件，"
                "按通常每45天补货一次的节奏，库存可能快用完了。\n"
                "自2024年4月1日以来，贵司已在我们这里下了16笔订单，感谢一直以来的信任。\n如需补货，请直接回复本邮件告知数量，"
                "我们会尽快安排发货。\n\n此致\n诺思紧固件 李娜",
    "description_en": "Hex Bolt M8 (SKU FB-00123) is made of 304 stainless steel. It comes with 100 pcs per box at "
                      "USD 12.50 per box.",
    "description_zh": "六角螺栓M8（SKU FB-00123）采用304不锈钢制造，耐腐蚀、经久耐用。每盒100件，单价12.50美元/盒。",
}
BUYER = ("Dear Northwind Fasteners,\n\nThank you for your quality products. We would like to order 624 Hex Bolt M8 "
         "with a 10% discount.\nPlease reply.\n\nRegards, [NAME_1]")


@pytest.mark.parametrize("case_id", sorted(GOOD))
def test_a_fit_answer_passes_its_case(case_id: str) -> None:
    scored = score_text(CASE[case_id], GOOD[case_id])
    assert scored["failed"] == [] and scored["passed"] is True
    assert scored["lint"] == [] and scored["fact_problems"] == [] and scored["missing"] == []


def test_writing_as_the_buyer_with_a_discount_fails_voice_and_facts() -> None:
    scored = score_text(CASE["email_en"], BUYER)
    assert scored["failed"] == ["voice", "facts", "form"]   # form: no call to action
    assert "voice" in scored["lint"] and "placeholders" in scored["lint"]
    # an offer without a number is a claim too (content's fact check since the prompt-injection work)
    assert scored["discounts"] == ["discount"]
    assert scored["fact_problems"] == ["unsupported: discount", "unsupported: 10%"]
    assert scored["missing"] == ["account.name"]


def test_english_where_chinese_was_asked_fails_language() -> None:
    scored = score_text(CASE["email_zh"], GOOD["email_en"])
    assert scored["failed"] == ["language"] and scored["lint"] == ["language"]


def test_an_invented_price_fails_facts_only() -> None:
    text = GOOD["description_en"].replace("USD 12.50", "USD 9.90")
    scored = score_text(CASE["description_en"], text)
    assert scored["failed"] == ["facts"] and scored["fact_problems"]


def test_chinese_discount_words_are_caught() -> None:
    text = GOOD["description_zh"].replace("单价12.50美元/盒。", "单价12.50美元/盒，现在下单可享九折优惠。")
    scored = score_text(CASE["description_zh"], text)
    assert "facts" in scored["failed"] and scored["discounts"] == ["九折", "优惠"]


def test_summary_allows_one_form_failure_but_no_voice_language_or_fact_failure() -> None:
    clean = {"failed": [], "passed": True}
    long = {"failed": ["form"], "passed": False}
    assert summarise([clean, clean, clean, long]) == {
        "capabilities": {"voice": True, "language": True, "facts": True, "form": False}, "score": 0.75,
        "passed": True, "languages": {}}
    assert summarise([clean, clean, long, long])["passed"] is False
    assert summarise([clean, clean, clean, {"failed": ["facts"], "passed": False}])["passed"] is False
    assert summarise([])["passed"] is False


def test_the_verdict_per_language_lets_a_model_draft_where_it_kept_the_facts() -> None:
    en, zh = {"language": "en", "failed": [], "passed": True}, {"language": "zh", "failed": [], "passed": True}
    mangled_zh = {"language": "zh", "failed": ["facts"], "passed": False}
    summary = summarise([en, en, zh, mangled_zh])
    assert summary["passed"] is False and summary["languages"] == {"en": True, "zh": False}
    assert summarise([en, en, zh, zh])["languages"] == {"en": True, "zh": True}


def _backend(replies: dict[str, str]) -> ScriptedBackend:
    backend = ScriptedBackend(call_log=CallLog())
    for case in CASES:
        backend.add_rule(replies[case.id], pattern=case.prompt[:30].replace("(", r"\("))
    return backend


def test_run_probe_scores_every_case_and_stores_per_model(tmp_path: Path) -> None:
    passing = run_probe(_backend(GOOD))
    assert passing["passed"] is True and passing["score"] == 1.0 and len(passing["cases"]) == len(CASES)
    assert passing["model"] == model_key(_backend(GOOD)) and passing["date"][:2] == "20"
    assert [c["text"] for c in passing["cases"]] == [GOOD[c.id] for c in CASES]
    failing = run_probe(_backend({**GOOD, "email_en": BUYER}))
    assert failing["passed"] is False and failing["capabilities"]["voice"] is False

    assert probe_passed(passing["model"], home=tmp_path) is None   # never probed: not blocked
    save_result(passing, home=tmp_path)
    assert probe_passed(passing["model"], home=tmp_path) is True
    save_result(failing, home=tmp_path)                               # same model: replaces the result
    assert probe_passed(failing["model"], home=tmp_path) is False
    assert list(load_results(home=tmp_path)) == [failing["model"]]
    assert probe_result(failing["model"], home=tmp_path)["score"] == failing["score"]


def test_a_backend_that_fails_counts_as_failed_cases() -> None:
    result = run_probe(ScriptedBackend(call_log=CallLog()))   # no rule answers: every call is an LLMError
    assert result["passed"] is False and result["score"] == 0.0
    assert all(c["error"] and c["failed"] == ["voice", "language", "facts", "form"] for c in result["cases"])
