"""Follow-ups drafted from tasks: the message a task calls for, written from the account's facts.

A task says why a customer needs a message (a reorder is due, the repurchase chance dropped, a deal went quiet, a
product is worth offering, a complaint or hand-off). ``draft_followup`` turns that into a purpose (reorder
reminder, win-back, quote follow-up, cross-sell, service follow-up), has the content service write it from the
account's facts (grounded and checked as every generation is), adds one purpose sentence that is itself checked
against the same facts, and keeps it as an ``OutboxMessage`` draft addressed to the account's main contact
(``services/outbox.py`` edits, sends and discards it). Nothing here commits.

The purposes are content generation's (``content/purpose.PURPOSES``, one list) plus ``service_follow_up``. Those a
task carries the subject of (its product, its opportunity) keep the fact plan and the purpose sentence above, so
the e-mail is about the task's product or deal. Those no task carries (``PLANNED``: a payment reminder needs the
overdue invoice, a thank-you the latest order, a new-product e-mail the new product) are planned by the content
service around the purpose, with its facts; a sequence step whose purpose the account's data cannot support
(nothing overdue, no recent order) is written as a check-in instead of failing the run.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Contact, Interaction, Opportunity, Task
from bizpilot.domain.conversation import HandoffTicket
from bizpilot.domain.ops import GeneratedContent
from bizpilot.domain.outreach import OutboxMessage, Sequence, SequenceEnrollment
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import LANGUAGES, FactBundle
from bizpilot.services.content.purpose import PURPOSES as CONTENT_PURPOSES
from bizpilot.services.content.service import generate_content
from bizpilot.services.invites import main_contact
from bizpilot.services.outbox import MAX_BODY, MAX_SUBJECT
from bizpilot.services.policy import require_change

PURPOSES = (*(p for p in CONTENT_PURPOSES if p != "auto"), "service_follow_up")
# Purposes the content service plans the letter around (their facts come from the account, not from a task).
PLANNED = frozenset({"thank_you", "new_product", "payment_reminder"})
PURPOSE_BY_SOURCE = {"reorder": "reorder_reminder", "churn": "win_back", "stale_deal": "quote_follow_up",
                     "recommendation": "cross_sell", "alert": "service_follow_up", "handoff": "service_follow_up"}
# The content kind that writes each purpose: follow-ups recall the last order and the open deals; a cross-sell is
# a sales e-mail that offers the product.
KIND_BY_PURPOSE = {"reorder_reminder": "follow_up", "win_back": "follow_up", "quote_follow_up": "follow_up",
                   "cross_sell": "sales_email", "service_follow_up": "follow_up", "check_in": "follow_up",
                   "thank_you": "follow_up", "new_product": "sales_email", "payment_reminder": "follow_up"}
# The purpose sentence after the greeting, and the subject, in each language: the first variant whose {slots}
# (product, opportunity, account) are all known is used. Slots are filled with the facts' own spellings.
LEADS: dict[str, list[dict[str, str]]] = {
    "reorder_reminder": [
        {"en": "Based on your usual ordering rhythm, {product} should be due for a reorder soon.",
         "zh": "根据您以往的采购周期，{product}差不多该补货了。"},
        {"en": "Based on your usual ordering rhythm, it may be time to restock.",
         "zh": "根据您以往的采购周期，差不多该补货了。"}],
    "win_back": [{"en": "It has been a while since we last worked together, and we would be glad to help again.",
                  "zh": "我们已有一段时间没有合作了，很期待能再次为您服务。"}],
    "quote_follow_up": [
        {"en": "I am following up on our proposal \"{opportunity}\".", "zh": "我想跟进一下我们的方案“{opportunity}”。"},
        {"en": "I am following up on our recent proposal.", "zh": "我想跟进一下我们最近的报价方案。"}],
    "cross_sell": [{"en": "Based on what you order from us, we think {product} would suit you well.",
                    "zh": "根据您的采购记录，我们认为{product}会很适合您。"}],
    "service_follow_up": [{"en": "I am following up on your recent message to make sure everything has been "
                                 "resolved to your satisfaction.",
                           "zh": "我想跟进一下您最近的来信，确认问题是否已经妥善解决。"}],
    "check_in": [],
    # planned by the content service: the letter itself says why it is written
    "thank_you": [], "new_product": [], "payment_reminder": [],
}
SUBJECTS: dict[str, list[dict[str, str]]] = {
    "reorder_reminder": [{"en": "Time to reorder {product}?", "zh": "{product}补货提醒"},
                         {"en": "Time to restock, {account}?", "zh": "{account}补货提醒"}],
    "win_back": [{"en": "We miss you, {account}", "zh": "{account}，好久不见"}],
    "quote_follow_up": [{"en": "Following up on {opportunity}", "zh": "关于“{opportunity}”的跟进"},
                        {"en": "Following up on our proposal", "zh": "报价方案跟进"}],
    "cross_sell": [{"en": "{product} for {account}", "zh": "为{account}推荐：{product}"},
                   {"en": "An idea for {account}", "zh": "给{account}的采购建议"}],
    "service_follow_up": [{"en": "Following up on your request", "zh": "关于您的问题的跟进"}],
    "check_in": [{"en": "Checking in, {account}", "zh": "{account}，近况如何"}],
    "thank_you": [{"en": "Thank you for your order, {account}", "zh": "{account}，感谢您的订单"}],
    "new_product": [{"en": "New for {account}: {new}", "zh": "给{account}的新品介绍：{new}"},
                    {"en": "Something new for {account}", "zh": "给{account}的新品介绍"}],
    "payment_reminder": [{"en": "Reminder: invoice {invoice}", "zh": "发票{invoice}付款提醒"},
                         {"en": "Payment reminder, {account}", "zh": "{account}付款提醒"}],
}
_SLOT = re.compile(r"\{(\w+)\}")


def purpose_for_task(*, session: Session, task: Task) -> str:
    """The follow-up a task calls for, from its source (a sequence task: its step's purpose)."""
    if task.source in PURPOSE_BY_SOURCE:
        return PURPOSE_BY_SOURCE[task.source]
    if task.source == "sequence" and task.source_key:  # sequence:<enrolment>:<step number>
        _, enrollment_id, number = (task.source_key.split(":") + ["", ""])[:3]
        enrollment = session.get(SequenceEnrollment, int(enrollment_id)) if enrollment_id.isdigit() else None
        sequence = session.get(Sequence, enrollment.sequence_id) if enrollment is not None else None
        steps = (sequence.steps or []) if sequence is not None else []
        step = steps[int(number) - 1] if number.isdigit() and 0 < int(number) <= len(steps) else {}
        if step.get("purpose") in PURPOSES:
            return str(step["purpose"])
    return "quote_follow_up" if task.opportunity_id is not None else "check_in"


def _language(requested: str | None, contact: Contact | None, account: Account) -> str:
    """The language asked for, else the contact's, else the account's (when we write it), else English."""
    if requested and requested not in LANGUAGES:
        raise ValidationFailed(f"language must be one of {', '.join(LANGUAGES)}",
                               details=[{"field": "language", "reason": "unknown", "value": requested}])
    for candidate in (requested, contact.language if contact else None, account.language):
        if candidate and candidate.lower() in LANGUAGES:
            return candidate.lower()
    return "en"


def _slots(bundle: FactBundle, language: str, opportunity_name: str | None) -> dict[str, str]:
    """Slot texts; the opportunity is the task's, else the account's most recent open one."""
    values = {"account": "account.name", "product": "product.name", "invoice": "invoice.number",
              "new": "new.1.name"}
    match = next((f.id for f in bundle.facts if f.id.startswith("opportunity.") and f.id.endswith(".name")
                  and f.value == opportunity_name), None) if opportunity_name else "opportunity.1.name"
    if match:
        values["opportunity"] = match
    return {slot: fact.render(language) for slot, fid in values.items() if (fact := bundle.get(fid))}


def _fill(variants: list[dict[str, str]], language: str, slots: dict[str, str]) -> str | None:
    for variant in variants:
        template = variant[language]
        if all(name in slots for name in _SLOT.findall(template)):
            return _SLOT.sub(lambda m: slots[m[1]], template)
    return None


def _with_lead(text: str, lead: str | None) -> str:
    """The purpose sentence as the second paragraph (after the greeting), or first when there is no greeting."""
    if not lead:
        return text
    head, sep, rest = text.partition("\n\n")
    if sep and len(head) <= 80:
        return f"{head}\n\n{lead}\n\n{rest}"
    return f"{lead}\n\n{text}"


def _inquiry(session: Session, task: Task) -> str | None:
    """What the customer said, for a service follow-up: the hand-off's summary, else their latest inbound
    message (given to the model as the customer's words; the deterministic text does not quote it)."""
    if task.ticket_id is not None and (ticket := session.get(HandoffTicket, task.ticket_id)) is not None:
        return ticket.summary[:4000]
    if task.source in ("alert", "handoff") and task.account_id is not None:
        text = session.scalar(select(Interaction.text).where(
            Interaction.account_id == task.account_id, Interaction.direction == "inbound",
            Interaction.text.is_not(None)).order_by(Interaction.occurred_at.desc()).limit(1))
        return text[:4000] if text else None
    return None


def _compose(session: Session, *, account: Account, purpose: str, principal: Principal, language: str | None,
             task: Task | None = None, enrollment_id: int | None = None, product_id: int | None = None,
             opportunity_name: str | None = None, inquiry: str | None = None, tone: str = "neutral",
             length: str = "medium", use_llm: bool = True, backend: Any = None,
             check_in_instead: bool = False) -> OutboxMessage:
    if purpose not in PURPOSES:
        raise ValidationFailed(f"unknown purpose {purpose!r}; one of: {', '.join(PURPOSES)}",
                               details=[{"field": "purpose", "reason": "unknown", "value": purpose}])
    contact = main_contact(session=session, account_id=account.id)
    lang = _language(language, contact, account)
    try:
        result = generate_content(session=session, kind=KIND_BY_PURPOSE[purpose], account_id=account.id,
                                  product_id=product_id, language=lang, tone=tone, length=length, use_llm=use_llm,
                                  backend=backend, inquiry=inquiry, purpose=purpose if purpose in PLANNED else None)
    except ValidationFailed as exc:
        unsupported = any(d.get("reason") == "no data for this purpose" for d in exc.details or [])
        if not (unsupported and check_in_instead):
            raise
        purpose = "check_in"  # a sequence step the account's data cannot support (nothing overdue): a check-in
        result = generate_content(session=session, kind=KIND_BY_PURPOSE[purpose], account_id=account.id,
                                  product_id=product_id, language=lang, tone=tone, length=length, use_llm=use_llm,
                                  backend=backend, inquiry=inquiry)
    bundle = FactBundle.from_dict(session.get(GeneratedContent, result.id).facts or {})
    slots = _slots(bundle, lang, opportunity_name)
    lead = _fill(LEADS[purpose], lang, slots)
    if lead is not None and not check_text(lead, bundle).clean:
        lead = None  # never add a sentence the facts do not back
    subject = _fill(SUBJECTS[purpose], lang, slots) or account.name
    message = OutboxMessage(account_id=account.id, contact_id=contact.id if contact else None,
                            task_id=task.id if task else None, enrollment_id=enrollment_id,
                            generation_id=result.id, to_address=contact.email if contact else None,
                            subject=subject[:MAX_SUBJECT], body=_with_lead(result.output, lead)[:MAX_BODY],
                            language=lang, status="draft", created_by=principal.user_id, created_at=utcnow())
    session.add(message)
    session.flush()
    return message


def draft_followup(*, session: Session, task_id: int, principal: Principal, purpose: str | None = None,
                   language: str | None = None, tone: str = "neutral", length: str = "medium", use_llm: bool = True,
                   backend: Any = None) -> OutboxMessage:
    """Draft the follow-up a task calls for (see the module docstring); an earlier unsent draft of the same task is
    discarded, so drafting again replaces it."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} not found", details=[{"field": "task_id", "reason": "not found"}])
    require_change(principal, session=session, record=task, what=f"task {task.id}")
    account = session.get(Account, task.account_id) if task.account_id is not None else None
    if account is None:
        raise ValidationFailed(f"task {task.id} has no account: a follow-up goes to an account's contact",
                               details=[{"field": "account_id", "reason": "required for a follow-up"}])
    opportunity = session.get(Opportunity, task.opportunity_id) if task.opportunity_id is not None else None
    earlier = list(session.scalars(select(OutboxMessage).where(OutboxMessage.task_id == task.id,
                                                               OutboxMessage.status.in_(("draft", "queued")))))
    message = _compose(session, account=account, purpose=purpose or purpose_for_task(session=session, task=task),
                       principal=principal, language=language, task=task, product_id=task.product_id,
                       opportunity_name=opportunity.name if opportunity else None, inquiry=_inquiry(session, task),
                       tone=tone, length=length, use_llm=use_llm, backend=backend)
    for old in earlier:
        old.status = "discarded"
    session.flush()
    return message


def draft_for_account(*, session: Session, account_id: int, purpose: str, principal: Principal,
                      language: str | None = None, task_id: int | None = None, enrollment_id: int | None = None,
                      use_llm: bool = False, backend: Any = None) -> OutboxMessage:
    """A draft for an account without a task of its own source (a sequence step): the same generation; a planned
    purpose the account's data cannot support becomes a check-in (an unattended run must not fail on it)."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} not found", details=[{"field": "account_id", "reason": "not found"}])
    require_change(principal, session=session, record=account, what=f"account {account.id}")
    task = session.get(Task, task_id) if task_id is not None else None
    return _compose(session, account=account, purpose=purpose, principal=principal, language=language, task=task,
                    enrollment_id=enrollment_id, use_llm=use_llm, backend=backend, check_in_instead=True)


def review_message(*, session: Session, message: OutboxMessage) -> dict[str, Any]:
    """What the follow-up page shows next to a message, as the Content studio shows a generation: who wrote it
    (model, prompt, why the template was used, claims repaired or removed), and its current text - edits
    included - checked sentence by sentence against the facts it was written from."""
    row = session.get(GeneratedContent, message.generation_id) if message.generation_id is not None else None
    if row is None:
        return {"generation": None, "sentences": [], "problems": [], "clean": True}
    bundle = FactBundle.from_dict(row.facts or {})
    lang = message.language or row.language
    check = check_text(message.body, bundle)
    sentences = [{"text": s.text if s.action != "dropped" else s.original, "action": s.action,
                  "facts": [{"id": i, "text": f.render(lang)} for i in s.backed_by if (f := bundle.get(i))],
                  "reasons": [f"{c.text}: {c.reason}" for c in s.claims if c.status != "supported"]}
                 for s in check.sentences]
    stored = row.check_result or {}
    return {"generation": {"id": row.id, "kind": row.kind, "model": row.model, "prompt_version": row.prompt_version,
                           "fallback_reason": stored.get("fallback_reason"), "removed": stored.get("removed") or [],
                           "repaired": stored.get("repaired_claims") or [],
                           "draft": (stored.get("llm_draft") or {}).get("text")},
            "sentences": sentences, "problems": [f"{c.text}: {c.reason}" for c in check.problems()],
            "clean": check.clean}


__all__ = ["KIND_BY_PURPOSE", "PLANNED", "PURPOSES", "PURPOSE_BY_SOURCE", "draft_for_account", "draft_followup",
           "purpose_for_task", "review_message"]
