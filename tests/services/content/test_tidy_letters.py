"""What a small model wraps around a letter is tidied before the checks (subject line, slot-only signature, slot
greeting, trailing notes), a slot in the body is still a placeholder failure, and a letter with a purpose is asked
with the letter prompt (roles in words, plain fact labels, no section markers or fact keys)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bizpilot.llm import CallLog
from bizpilot.llm.scripted import ScriptedBackend
from bizpilot.services.content import generate_content
from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import Fact, FactBundle
from bizpilot.services.content.plan import ContentPlan, Section
from bizpilot.services.content.prompting import judge
from bizpilot.services.content.tidy import tidy_email
from bizpilot.services.llmprobe.probe import CASES

SLOTTED = ("Subject: Thank you for your order\n\nDear [Customer Name],\n\nThank you for your order.\n\n"
           "Best regards,\n\n[Your Name]  \n[Your Position]\n[Your Contact Information]\n\n"
           "Note: replace the brackets before sending.")


def test_slot_signature_subject_greeting_and_note_are_tidied() -> None:
    tidied = tidy_email(SLOTTED, language="en", account_name="Granite Hotels Ltd")
    assert tidied.text == ("Dear Granite Hotels Ltd,\n\nThank you for your order.\n\nBest regards,\n"
                           "The sales team")
    assert tidied.changes == ["subject line removed", "greeting addressed to the account",
                              "note after the letter removed", "placeholder signature replaced"]


def test_chinese_slot_signature_is_signed_by_the_sales_team() -> None:
    text = "安科建设，您好：\n\n感谢您的订单。\n\n此致，\n[您的名字]\n[您的职位]"
    assert tidy_email(text, language="zh", account_name="安科建设").text == \
        "安科建设，您好：\n\n感谢您的订单。\n\n此致，\n销售团队"


def test_a_real_signature_and_a_slot_in_the_body_are_left_alone() -> None:
    text = "Hello Acme,\n\nYour price is [PRICE] per box.\n\nBest regards,\nLena Hoffmann"
    tidied = tidy_email(text, language="en", account_name="Acme")
    assert tidied.text == text and tidied.changes == []


def test_a_slot_line_is_not_an_echo_but_a_section_marker_still_is() -> None:
    bundle = FactBundle(kind="sales_email", facts=[Fact("account.name", "name", "Acme", "Acme"),
                                                   Fact("order.count", "count", 16, "16", "16")])
    plan = ContentPlan(kind="sales_email", language="en", tone="neutral", length="medium",
                       sections=[Section("greeting", ["account.name"]), Section("detail", ["order.count"])])
    slot = check_text("Hello Acme,\nYou have placed 16 orders with us.\n[Your Name]", bundle)
    marker = check_text("Hello Acme,\n[detail]\nYou have placed 16 orders with us.", bundle)
    assert judge(slot, plan, bundle).accepted is True
    assert judge(marker, plan, bundle).reason == "the model echoed the prompt's fact list instead of writing copy"


def test_a_purpose_letter_with_a_slot_signature_is_kept_after_tidying(demo_session: Session) -> None:
    plain = generate_content(session=demo_session, kind="sales_email", account_id="ACC-00108", use_llm=False,
                             purpose="thank_you")
    facts = {f["id"]: f["text"] for f in plain.facts}
    draft = (f"Subject: Your order\n\nHello {facts['account.name']},\n\nMany thanks for ordering "
             f"{facts['recent.1.qty']} units of {facts['recent.1.name']} on {facts['recent.date']}; it is good to "
             "work with your team again.\n\nShould anything be added before it ships? Just reply to this "
             "email.\n\nBest regards,\n[Your Name]\n[Your Position]")
    backend = ScriptedBackend([draft], call_log=CallLog())
    result = generate_content(session=demo_session, kind="sales_email", account_id="ACC-00108", backend=backend,
                              purpose="thank_you")
    assert result.fallback is False and result.output.endswith("Best regards,\nThe sales team")
    assert "Subject" not in result.output and result.lint["failed_checks"] == []
    # the draft as written is still measured: slots, and the subject line where the greeting should be
    assert result.lint["draft_failed_checks"] == ["placeholders", "email_parts"]
    assert result.lint["tidied"] == ["subject line removed", "placeholder signature replaced"]
    assert result.prompt_version.startswith("letter.en@v3+")


def test_probe_email_cases_ask_with_the_letter_prompt() -> None:
    email = {c.id: c for c in CASES}["email_en"]
    assert email.prompt.startswith("Write a sales email in "
                                   "English to your customer Anchor Contractors B.V.")
    assert "- product due for reorder: Hex Bolt M8" in email.prompt and "order_count" not in email.prompt
