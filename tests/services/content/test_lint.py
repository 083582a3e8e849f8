"""The quality checks, one by one on the small catalog's facts, with the span they name; the simple repairs; and
purposeful letters that pass every check in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bizpilot.errors import ValidationFailed
from bizpilot.services.content import generate_content, load_facts
from bizpilot.services.content.lint import LintContext, failed_checks, lint_text, repair

EMAIL = ("Hello Evergreen Hospitality Group Ltd,\n\nYou last ordered Thread Locker 400 mL grey on 2024-06-01.\n\n"
         "Just reply to this email and I will prepare a quote.\n\nBest regards,\nThe sales team")


def _ctx(session: Session, language: str = "en", kind: str = "sales_email") -> LintContext:
    return LintContext(kind, language, "medium", load_facts(session=session, kind="sales_email",
                                                            account_id="ACC-T1", product_id="ADH-2001"))


def test_a_good_email_passes_every_check(small_session: Session) -> None:
    assert lint_text(EMAIL, _ctx(small_session)) == []


@pytest.mark.parametrize(("bad", "check", "span"), [
    ("Thank you for your great products.", "voice", "Thank you for your great products"),
    ("We would like to order 8 more.", "voice", "We would like to order"),
    ("Our order is late.", "voice", "Our order"),
    ("Kind regards from [NAME_1].", "placeholders", "[NAME_1]"),
    ("Ask for [POSITION about it.", "placeholders", "[POSITION about it"),
    ("Write to {contact} today.", "placeholders", "{contact}"),
    ("Order Top Quantities: 624.", "field_names", "Order Top Quantities"),
    ("The order_count is high.", "field_names", "order_count"),
    ("Please settle invoice.amount_due by Friday.", "field_names", "invoice.amount_due"),
    ("我们很高兴为您服务。", "language", "我们很高兴为您服务。"),
])
def test_each_check_names_its_span(small_session: Session, bad: str, check: str, span: str) -> None:
    text = EMAIL.replace("Just reply", bad + " Just reply")
    failures = [f for f in lint_text(text, _ctx(small_session)) if f.check == check]
    assert [f.text for f in failures] == [span] and text[failures[0].start:failures[0].end] == span


def test_parts_length_and_repetition(small_session: Session) -> None:
    ctx = _ctx(small_session)
    assert failed_checks(lint_text("You last ordered Thread Locker 400 mL grey on 2024-06-01.", ctx)) == [
        "email_parts", "length"]
    looped = EMAIL.replace("Just reply", "We can help. We can help. Just reply")
    assert [f.reason for f in lint_text(looped, ctx)] == ["a sentence is repeated"]
    zh = ("Evergreen Hospitality Group Ltd，您好：\n\nThis whole sentence is in English, not Chinese.\n\n请回复。"
          "\n\n此致\n销售团队")
    assert "language" in failed_checks(lint_text(zh, _ctx(small_session, "zh")))


def test_repair_drops_the_bad_sentences_and_adds_the_missing_frame(small_session: Session) -> None:
    ctx = _ctx(small_session)
    text = ("You last ordered Thread Locker 400 mL grey on 2024-06-01. We would like to order more. "
            "Just reply to this email and I will prepare a quote.")
    fixed = repair(text, lint_text(text, ctx), ctx, greeting="Hello Evergreen Hospitality Group Ltd,",
                   closing="Best regards,\nThe sales team")
    assert fixed == ("Hello Evergreen Hospitality Group Ltd,\n\nYou last ordered Thread Locker 400 mL grey on "
                     "2024-06-01. Just reply to this email and I will prepare a quote.\n\nBest regards,\n"
                     "The sales team")
    assert lint_text(fixed, ctx) == []


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", ["sales_email", "follow_up", "call_script"])
def test_purposeful_letters_pass_every_check(small_session: Session, kind: str, language: str) -> None:
    for purpose in ("auto", "thank_you", "quote_follow_up", "check_in"):
        r = generate_content(session=small_session, kind=kind, account_id="ACC-T1", language=language,
                             use_llm=False, purpose=purpose)
        assert r.lint["failed_checks"] == [] and r.check["clean"], (purpose, r.output)
        assert r.purpose["name"] == ("thank_you" if purpose == "auto" else purpose)
    quote = generate_content(session=small_session, kind="sales_email", account_id="ACC-T1", language=language,
                             use_llm=False, purpose="quote_follow_up")
    assert ("Evergreen – Adhesives restock" in quote.output
            and ("4200" in quote.output) and ("negotiation" in quote.output or "谈判" in quote.output))
    with pytest.raises(ValidationFailed, match="reorder reminder"):  # no reorder model trained here
        generate_content(session=small_session, kind=kind, account_id="ACC-T1", use_llm=False,
                         purpose="reorder_reminder")


BUYER_HISTORY = {
    "en": ["We have placed 16 orders with you since 2024-04-01.", "We usually reorder every 45 days.",
           "We have been buying Thread Locker 400 mL grey from you for years.",
           "We have been a loyal customer since 2024."],
    "zh": ["我们已经向贵司下了16个订单。", "我们自2024年起在贵司这里下了16笔订单。", "我司已向贵公司订购了 8 件。",
           "我们通常每45天补货一次。"],
}
SELLER_HISTORY = {
    "en": ["You have placed 16 orders with us since 2024-04-01.", "We have placed your order with our warehouse.",
           "We usually ship within two days."],
    "zh": ["您已在我们这里下了16笔订单。", "我们在您下单后24小时内发货。", "我们向贵司采购团队发送了报价。",
           "我们会为您安排补货。"],
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_buyers_order_history_in_the_buyers_words_fails_voice(small_session: Session, language: str) -> None:
    ctx = _ctx(small_session, language)
    for sentence in BUYER_HISTORY[language]:
        failures = [f for f in lint_text(sentence, ctx) if f.check == "voice"]
        assert len(failures) == 1 and failures[0].text and failures[0].text in sentence, sentence
    for sentence in SELLER_HISTORY[language]:
        assert [f for f in lint_text(sentence, ctx) if f.check == "voice"] == [], sentence
