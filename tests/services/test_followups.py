"""Follow-ups drafted from tasks on the sample data: the purpose each task source calls for, written by the content
service (the deterministic realisation, or a scripted model draft), grounded in the account's facts, addressed to
the account's main contact, kept as an outbox draft; redrafting, the check of an edited text, and who may draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Task
from bizpilot.domain.conversation import Conversation, HandoffTicket
from bizpilot.domain.invoice import Invoice
from bizpilot.domain.ops import GeneratedContent
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.errors import Forbidden, NotFoundError, ValidationFailed
from bizpilot.llm import CallLog
from bizpilot.llm.scripted import ScriptedBackend
from bizpilot.services.auth import SYSTEM
from bizpilot.services.clock import workspace_today
from bizpilot.services.followups import PURPOSES, draft_followup, purpose_for_task, review_message
from bizpilot.services.outbox import update_message
from bizpilot.services.sequences import create_sequence, enroll_account
from tests.services.outreach_data import make_task, make_user, opportunity_id, product_id

GREETING_EN = "Hello Acme Trading Co,"
LAST_ORDER_EN = "Thank you for your order of 2024-03-02, which included Ceramic mug."
OPPORTUNITY_EN = 'Open opportunities: "Spring fair mugs" is at the proposal stage (EUR 1200).'


def _links(session: Session, source: str) -> dict[str, int]:
    if source in ("reorder", "recommendation"):
        return {"product_id": product_id(session, "MUG-01")}
    if source == "stale_deal":
        return {"opportunity_id": opportunity_id(session, "opp-1")}
    return {}


@pytest.mark.parametrize(("source", "purpose", "kind", "subject", "lead"), [
    ("reorder", "reorder_reminder", "follow_up", "Time to reorder Ceramic mug?",
     "Based on your usual ordering rhythm, Ceramic mug should be due for a reorder soon."),
    ("churn", "win_back", "follow_up", "We miss you, Acme Trading Co",
     "It has been a while since we last worked together, and we would be glad to help again."),
    ("stale_deal", "quote_follow_up", "follow_up", "Following up on Spring fair mugs",
     'I am following up on our proposal "Spring fair mugs".'),
    ("alert", "service_follow_up", "follow_up", "Following up on your request",
     "I am following up on your recent message to make sure everything has been resolved to your satisfaction."),
    ("handoff", "service_follow_up", "follow_up", "Following up on your request",
     "I am following up on your recent message to make sure everything has been resolved to your satisfaction."),
    ("manual", "check_in", "follow_up", "Checking in, Acme Trading Co", None),
])
def test_each_task_source_drafts_its_follow_up(sample_session: Session, sample: dict[str, int], source: str,
                                               purpose: str, kind: str, subject: str, lead: str | None) -> None:
    task = make_task(sample_session, sample["ACME"], source, **_links(sample_session, source))
    assert purpose_for_task(session=sample_session, task=task) == purpose
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, language="en",
                             use_llm=False)
    assert (message.status, message.task_id, message.account_id) == ("draft", task.id, sample["ACME"])
    assert message.to_address == "li.wei@acme.example" and message.language == "en"
    assert message.subject == subject
    paragraphs = message.body.split("\n\n")
    assert paragraphs[0] == GREETING_EN
    assert paragraphs[1:3] == ([LAST_ORDER_EN, OPPORTUNITY_EN] if lead is None else [lead, LAST_ORDER_EN])
    generation = sample_session.get(GeneratedContent, message.generation_id)
    assert (generation.kind, generation.account_id, generation.model) == (kind, sample["ACME"], "deterministic")
    # the generated text, with the purpose sentence after the greeting
    assert message.body == (generation.output if lead is None
                            else generation.output.replace(GREETING_EN, f"{GREETING_EN}\n\n{lead}", 1))
    review = review_message(session=sample_session, message=message)
    assert review["clean"] and review["problems"] == []
    assert review["generation"]["fallback_reason"] == "LLM not requested (deterministic realisation)"


def test_a_cross_sell_is_a_sales_email_offering_the_product_at_its_price(sample_session: Session,
                                                                         sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["ACME"], "recommendation", product_id=product_id(sample_session, "TEA-02"))
    assert purpose_for_task(session=sample_session, task=task) == "cross_sell"
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, language="en", use_llm=False)
    assert message.subject == "Green tea 500g for Acme Trading Co"
    assert sample_session.get(GeneratedContent, message.generation_id).kind == "sales_email"
    assert message.body.split("\n\n")[:3] == [
        GREETING_EN, "Based on what you order from us, we think Green tea 500g would suit you well.",
        "Acme Trading Co is a Retail customer that has placed 3 orders since 2024-01-15."]
    assert "We also recommend Green tea 500g at EUR 10.00." in message.body
    facts = {f["id"] for s in review_message(session=sample_session, message=message)["sentences"] for f in s["facts"]}
    assert {"product.name", "product.price", "account.name", "order.count"} <= facts


def test_the_contacts_language_is_the_default_and_chinese_is_written_in_chinese(
        sample_session: Session, sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["ACME"], "reorder", product_id=product_id(sample_session, "MUG-01"))
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, use_llm=False)
    assert message.language == "zh"  # Li Wei, the main contact, reads Chinese
    assert message.subject == "Ceramic mug补货提醒"
    assert message.body.split("\n\n")[:3] == ["Acme Trading Co，您好：",
                                              "根据您以往的采购周期，Ceramic mug差不多该补货了。",
                                              "感谢您在2024-03-02的订单，其中包括Ceramic mug。"]


def test_an_account_without_contacts_gets_a_draft_without_recipient(sample_session: Session,
                                                                    sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["CEDAR"], "churn")
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, use_llm=False)
    assert message.to_address is None and message.contact_id is None and message.language == "en"
    assert message.subject == "We miss you, Cedar Retail Ltd"


def test_the_model_writes_it_when_asked_and_a_service_follow_up_quotes_the_hand_off(
        sample_session: Session, sample: dict[str, int]) -> None:
    conversation = Conversation(account_id=sample["ACME"], channel="chat", language="en")
    sample_session.add(conversation)
    sample_session.flush()
    ticket = HandoffTicket(conversation_id=conversation.id, account_id=sample["ACME"], reason="complaint",
                           summary="Two cups arrived broken and nobody answered the claim.")
    sample_session.add(ticket)
    sample_session.flush()
    task = make_task(sample_session, sample["ACME"], "handoff", ticket_id=ticket.id)
    draft = ("Hello Acme Trading Co,\n\nThank you for your order of 2024-03-02, which included Ceramic mug. "
             "Reply to this email and we will prepare a quote or a reorder.\n\nBest regards,\nThe sales team")
    backend = ScriptedBackend([draft], call_log=CallLog())
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, language="en",
                             backend=backend)
    assert "Two cups arrived broken and nobody answered the claim." in backend.last_request().prompt
    generation = sample_session.get(GeneratedContent, message.generation_id)
    assert generation.model == "scripted" and generation.output == draft
    assert message.body == draft.replace(
        "Hello Acme Trading Co,\n\n", "Hello Acme Trading Co,\n\nI am following up on your recent message to make "
        "sure everything has been resolved to your satisfaction.\n\n")
    assert review_message(session=sample_session, message=message)["generation"]["model"] == "scripted"


def test_drafting_again_replaces_the_unsent_draft(sample_session: Session, sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["ACME"], "churn")
    first = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, use_llm=False)
    second = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, purpose="check_in",
                            language="en", use_llm=False)
    statuses = dict(sample_session.execute(select(OutboxMessage.id, OutboxMessage.status)
                                           .where(OutboxMessage.task_id == task.id)).all())
    assert statuses == {first.id: "discarded", second.id: "draft"}
    assert second.subject == "Checking in, Acme Trading Co"


def test_an_edited_text_is_checked_against_its_facts(sample_session: Session, sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["ACME"], "reorder", product_id=product_id(sample_session, "MUG-01"))
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, language="en", use_llm=False)
    body = message.body.replace(LAST_ORDER_EN, "Order 300 mugs before Friday and get 15% off.")
    update_message(session=sample_session, message_id=message.id, principal=SYSTEM, body=body,
                   subject="Mugs for the spring fair")
    review = review_message(session=sample_session, message=message)
    assert message.subject == "Mugs for the spring fair" and not review["clean"]
    flagged = [s for s in review["sentences"] if s["action"] == "dropped"]
    assert [s["text"] for s in flagged] == ["Order 300 mugs before Friday and get 15% off."]
    assert review["problems"] == ["300: number not in the facts", "15%: percentage not in the facts"]


def test_only_whoever_may_change_the_task_drafts(sample_session: Session, sample: dict[str, int]) -> None:
    owner, owner_principal = make_user(sample_session, "mia", "sales", "mia@example.com")
    _, other = make_user(sample_session, "tom", "sales", "tom@example.com")
    _, viewer = make_user(sample_session, "vic", "viewer")
    task = make_task(sample_session, sample["ACME"], "churn", owner_id=owner.id)
    for principal in (other, viewer):
        with pytest.raises(Forbidden):
            draft_followup(session=sample_session, task_id=task.id, principal=principal, use_llm=False)
    message = draft_followup(session=sample_session, task_id=task.id, principal=owner_principal, use_llm=False)
    assert message.created_by == owner.id


def test_bad_requests_are_refused_naming_the_field(sample_session: Session, sample: dict[str, int]) -> None:
    with pytest.raises(NotFoundError):
        draft_followup(session=sample_session, task_id=987654, principal=SYSTEM, use_llm=False)
    orphan = make_task(sample_session, None, "manual")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as no_account:
        draft_followup(session=sample_session, task_id=orphan.id, principal=SYSTEM, use_llm=False)
    assert no_account.value.details[0]["field"] == "account_id"
    task = make_task(sample_session, sample["ACME"], "churn")
    with pytest.raises(ValidationFailed) as purpose:
        draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, purpose="spam", use_llm=False)
    assert purpose.value.details[0]["field"] == "purpose"
    with pytest.raises(ValidationFailed) as language:
        draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, language="fr", use_llm=False)
    assert language.value.details[0]["field"] == "language"


def test_drafting_never_commits(sample_session: Session, sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["ACME"], "churn")
    draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, use_llm=False)
    sample_session.rollback()
    assert sample_session.scalar(select(OutboxMessage.id)) is None


def test_a_payment_reminder_step_states_the_overdue_invoice_and_falls_back_to_a_check_in(
        sample_session: Session, sample: dict[str, int]) -> None:
    """A sequence step may use every content purpose (one list): a payment reminder is planned by the content
    service around the overdue invoice; an account with nothing overdue gets a check-in, not a failed run."""
    today = workspace_today(session=sample_session)
    sample_session.add(Invoice(external_id="INV-9001", account_id=sample["ACME"], number="INV-9001",
                               issued_at=today - timedelta(days=50), due_at=today - timedelta(days=20),
                               amount=480.0, currency="EUR", amount_paid=0.0, status="open"))
    sample_session.flush()
    assert "payment_reminder" in PURPOSES and "service_follow_up" in PURPOSES and "auto" not in PURPOSES
    create_sequence(session=sample_session, principal=SYSTEM, data={
        "name": "Dunning", "steps": [{"kind": "email", "purpose": "payment_reminder"}]})
    for key, subject in (("ACME", "发票INV-9001付款提醒"), ("CEDAR", "Checking in, Cedar Retail Ltd")):
        enrollment = enroll_account(session=sample_session, sequence_id="Dunning", account_id=sample[key],
                                    principal=SYSTEM)
        message = sample_session.scalar(select(OutboxMessage).where(OutboxMessage.enrollment_id == enrollment.id))
        task = sample_session.get(Task, message.task_id)
        assert task.title == f"Send the payment reminder e-mail to {sample_session.get(Account, sample[key]).name}"
        assert purpose_for_task(session=sample_session, task=task) == "payment_reminder"
        assert message.subject == subject
        generation = sample_session.get(GeneratedContent, message.generation_id)
        if key == "ACME":
            assert generation.check_result["purpose"]["name"] == "payment_reminder"
            assert "发票INV-9001的应付金额480.00 EUR已于" in message.body and "已逾期20天" in message.body
        else:
            assert generation.check_result["purpose"] is None and "INV-9001" not in message.body
        assert review_message(session=sample_session, message=message)["clean"]
