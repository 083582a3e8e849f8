"""The outbox: messages drafted by follow-ups and sequences wait here until someone edits, sends or discards them.

``send_message`` validates the draft first (recipient, subject, text, who may send it), then delivers it by SMTP
when a server is configured (``services/mail.py``) and records the outcome on the message: ``sent`` (logged as an
outbound e-mail Interaction with its audit row, and its task completed), or ``failed`` with the server's answer.
Without SMTP settings the message is ``queued`` with a note that sending is not configured; ``send_queued`` tries
the queued ones again once it is. Nothing here commits: the caller's unit of work stores the outcome with
everything else, so an error page or a rolled-back request leaves no half-recorded send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.config import Settings, get_settings
from bizpilot.db.base import utcnow
from bizpilot.domain import Contact, Interaction, Task
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.domain.user import EMAIL_PATTERN, User
from bizpilot.errors import ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.mail import NOT_CONFIGURED, Envelope, MailError, build_message, deliver, sender_address
from bizpilot.services.mail import smtp_configured as smtp_is_configured
from bizpilot.services.policy import may_change, owner_of, require_change
from bizpilot.services.records import apply_changes, create_record

UNSENT = ("draft", "queued", "failed")
MAX_SUBJECT, MAX_BODY = 255, 20000


@dataclass
class SendResult:
    """What happened to a message: ``sent``, ``queued`` (no SMTP configured: ``note`` says so) or ``failed``."""

    message: OutboxMessage
    outcome: str
    note: str | None = None


def get_message(*, session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(f"outbox message {message_id} not found",
                            details=[{"field": "id", "reason": "not found", "value": message_id}])
    return message


def list_messages(*, session: Session, status: str | None = None, task_id: int | None = None,
                  account_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[OutboxMessage], int]:
    """Outbox messages, newest first, with the total; ``status=unsent`` means draft, queued or failed."""
    conditions = []
    if status == "unsent":
        conditions.append(OutboxMessage.status.in_(UNSENT))
    elif status:
        conditions.append(OutboxMessage.status == status)
    if task_id is not None:
        conditions.append(OutboxMessage.task_id == task_id)
    if account_id is not None:
        conditions.append(OutboxMessage.account_id == account_id)
    total = int(session.scalar(select(func.count()).select_from(OutboxMessage).where(*conditions)) or 0)
    rows = session.scalars(select(OutboxMessage).where(*conditions)
                           .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def may_handle(*, session: Session, principal: Principal, message: OutboxMessage) -> bool:
    """Whoever may change the message's account, or its task (a task of theirs), edits and discards it."""
    if may_change(principal, owner_id=owner_of(session=session, record=message)):
        return True
    task = session.get(Task, message.task_id) if message.task_id is not None else None
    if task is None:
        return False
    try:
        require_change(principal, session=session, record=task, what=f"task {task.id}")
    except Forbidden:
        return False
    return True


def _editable(session: Session, message_id: int, principal: Principal) -> OutboxMessage:
    message = get_message(session=session, message_id=message_id)
    if not may_handle(session=session, principal=principal, message=message):
        require_change(principal, session=session, record=message, what=f"outbox message {message.id}")
    if message.status not in UNSENT:
        raise ConflictError(f"outbox message {message.id} is {message.status}: only unsent messages change",
                            details=[{"field": "status", "reason": message.status}])
    return message


def _address(value: str | None) -> str | None:
    value = (value or "").strip()
    if value and not re.fullmatch(EMAIL_PATTERN, value):
        raise ValidationFailed(f"{value!r} is not an e-mail address",
                               details=[{"field": "to_address", "reason": "not an e-mail address"}])
    return value or None


def update_message(*, session: Session, message_id: int, principal: Principal, subject: str | None = None,
                   body: str | None = None, to_address: str | None = None) -> OutboxMessage:
    """Edit an unsent message (fields left None stay; an empty ``to_address`` clears it)."""
    message = _editable(session, message_id, principal)
    if subject is not None:
        if not subject.strip() or len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
            raise ValidationFailed(f"the subject must be one line of 1-{MAX_SUBJECT} characters",
                                   details=[{"field": "subject", "reason": "1-255 characters, one line"}])
        message.subject = subject.strip()
    if body is not None:
        if not body.strip() or len(body) > MAX_BODY:
            raise ValidationFailed(f"the text must have 1-{MAX_BODY} characters",
                                   details=[{"field": "body", "reason": f"1-{MAX_BODY} characters"}])
        message.body = body.replace("\r\n", "\n").strip()
    if to_address is not None:
        message.to_address = _address(to_address)
    session.flush()
    return message


def discard_message(*, session: Session, message_id: int, principal: Principal) -> OutboxMessage:
    """Discard an unsent message (it stays listed as discarded; a sent one cannot be)."""
    message = _editable(session, message_id, principal)
    message.status = "discarded"
    session.flush()
    return message


def note_for(message: OutboxMessage, settings: Settings | None = None) -> str | None:
    """Why a message waits: a queued one without SMTP settings says that sending is not configured."""
    if message.status == "queued":
        return NOT_CONFIGURED if not smtp_is_configured(settings) else "queued: send it again to deliver it"
    return None


def _log_interaction(session: Session, message: OutboxMessage, principal: Principal, channel: str,
                     when: datetime) -> Interaction:
    """The sent message as an outbound e-mail Interaction, created (and audited) through the records write path."""
    data = {"external_id": f"outbox-{message.id}", "channel": "email", "direction": "outbound",
            "subject": message.subject, "text": message.body, "language": message.language, "occurred_at": when,
            "account_id": message.account_id, "contact_id": message.contact_id, "outcome": "sent"}
    return create_record(session=session, entity="interactions", data={k: v for k, v in data.items() if v is not None},
                         principal=principal, channel=channel)


def send_message(*, session: Session, message_id: int, principal: Principal, complete_task: bool = True,
                 channel: str = "api", settings: Settings | None = None) -> SendResult:
    """Send one unsent message (see the module docstring). Validation failures raise before anything is sent."""
    settings = settings or get_settings()
    message = _editable(session, message_id, principal)
    # A sent message is logged as an activity of its account, which only those who may change the account add:
    # checked here, before anything leaves.
    require_change(principal, session=session, record=message, what=f"outbox message {message.id} (sending logs "
                   "it on its account)")
    problems = []
    if not message.to_address:
        problems.append({"field": "to_address", "reason": "no recipient: the account has no contact with an "
                                                          "e-mail; add one or type the address"})
    elif not re.fullmatch(EMAIL_PATTERN, message.to_address):
        problems.append({"field": "to_address", "reason": "not an e-mail address"})
    if not (message.subject or "").strip():
        problems.append({"field": "subject", "reason": "empty"})
    if not (message.body or "").strip():
        problems.append({"field": "body", "reason": "empty"})
    if problems:
        raise ValidationFailed(f"outbox message {message.id} cannot be sent: "
                               + "; ".join(f"{p['field']} {p['reason']}" for p in problems), details=problems)
    if not smtp_is_configured(settings):
        message.status = "queued"
        session.flush()
        return SendResult(message, "queued", NOT_CONFIGURED)
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    sender = sender_address(settings, user_email=user.email if user else None)
    if sender is None:
        raise ValidationFailed("no From address for sending: set BIZPILOT_SMTP_FROM (or give the user an e-mail)",
                               details=[{"field": "smtp_from", "reason": "not set"}])
    contact = session.get(Contact, message.contact_id) if message.contact_id is not None else None
    to_name = contact.name if contact is not None and contact.email == message.to_address else None
    email = build_message(Envelope(sender, message.to_address or "", to_name, user.email if user else None),
                          subject=message.subject, body=message.body)
    task = session.get(Task, message.task_id) if message.task_id is not None else None
    finish = (complete_task and task is not None and task.status in ("open", "snoozed")
              and may_change(principal, owner_id=owner_of(session=session, record=task)))
    try:
        deliver(email, settings=settings)
    except MailError as exc:
        message.status, message.error = "failed", exc.message
        session.flush()
        return SendResult(message, "failed", exc.message)
    now = utcnow()
    message.status, message.error, message.sent_at = "sent", None, now
    message.interaction_id = _log_interaction(session, message, principal, channel, now).id
    if finish and task is not None:
        apply_changes(session=session, entity="tasks", record=task, action="complete", principal=principal,
                      channel=channel, changes={"status": "done", "completed_at": now, "snoozed_until": None})
    session.flush()
    return SendResult(message, "sent")


def send_queued(*, session: Session, principal: Principal, channel: str = "api",
                settings: Settings | None = None) -> dict[str, int]:
    """Try every queued message again (after SMTP was configured); how many were sent, failed, still queued."""
    counts = {"sent": 0, "failed": 0, "queued": 0}
    ids = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "queued")
                               .order_by(OutboxMessage.id)))
    for message_id in ids:
        message = session.get(OutboxMessage, message_id)
        if message is None or not may_change(principal, owner_id=owner_of(session=session, record=message)):
            continue
        try:
            outcome = send_message(session=session, message_id=message_id, principal=principal, channel=channel,
                                   settings=settings).outcome
        except ValidationFailed:  # no recipient yet: it stays queued until someone fixes it
            outcome = "queued"
        counts[outcome] += 1
    return counts


__all__ = ["MAX_BODY", "MAX_SUBJECT", "UNSENT", "SendResult", "discard_message", "get_message", "list_messages",
           "may_handle", "note_for", "send_message", "send_queued", "update_message"]
