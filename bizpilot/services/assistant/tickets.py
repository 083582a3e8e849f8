"""Stored conversations and the hand-off queue (open -> claimed -> closed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.conversation import (
    HANDOFF_STATUSES,
    Conversation,
    ConversationMessage,
    ConversationMessagePublic,
    ConversationPublic,
    HandoffTicket,
    HandoffTicketPublic,
)
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.assistant.orders import account_name


def _ticket_dict(session: Session, t: HandoffTicket) -> dict[str, Any]:
    out = HandoffTicketPublic.model_validate(t).model_dump(mode="json")
    out["account_name"] = account_name(session=session, account_id=t.account_id)
    first = session.scalar(select(ConversationMessage.text).where(ConversationMessage.conversation_id ==
                                                                  t.conversation_id,
                                                                  ConversationMessage.role == "user")
                           .order_by(ConversationMessage.id.desc()).limit(1))
    out["last_message"] = first
    return out


def list_handoffs(*, session: Session, status: str | None = "open", limit: int = 50) -> list[dict[str, Any]]:
    """Tickets newest first (``status=None``: all)."""
    if status is not None and status not in HANDOFF_STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(HANDOFF_STATUSES)}",
                               details=[{"field": "status", "reason": "unknown status"}])
    q = select(HandoffTicket).order_by(HandoffTicket.id.desc()).limit(max(1, min(int(limit), 500)))
    if status is not None:
        q = q.where(HandoffTicket.status == status)
    return [_ticket_dict(session, t) for t in session.scalars(q)]


def handoff_counts(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(HandoffTicket.status, func.count()).group_by(HandoffTicket.status)).all()
    return {s: 0 for s in HANDOFF_STATUSES} | {s: n for s, n in rows}


def update_handoff(*, session: Session, ticket_id: int, status: str, assignee: str | None = None) -> dict[str, Any]:
    """Claim or close a ticket (or re-open it); closing also closes its conversation. Flushed, not committed."""
    if status not in HANDOFF_STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(HANDOFF_STATUSES)}",
                               details=[{"field": "status", "reason": "unknown status"}])
    t = session.get(HandoffTicket, int(ticket_id))
    if t is None:
        raise NotFoundError(f"hand-off ticket {ticket_id} not found",
                            details=[{"field": "ticket_id", "reason": "unknown"}])
    t.status = status
    if assignee is not None:
        t.assignee = assignee.strip()[:64] or None
    t.closed_at = utcnow() if status == "closed" else None
    t.updated_at = utcnow()
    conv = session.get(Conversation, t.conversation_id)
    if conv is not None:
        conv.status = "closed" if status == "closed" else "handed_off"
    session.flush()
    return _ticket_dict(session, t)


def get_conversation(*, session: Session, conversation_id: int) -> dict[str, Any]:
    """A conversation with its messages (sources included) and its tickets."""
    conv = session.get(Conversation, int(conversation_id))
    if conv is None:
        raise NotFoundError(f"conversation {conversation_id} not found",
                            details=[{"field": "conversation_id", "reason": "unknown"}])
    msgs = session.scalars(select(ConversationMessage).where(ConversationMessage.conversation_id == conv.id)
                           .order_by(ConversationMessage.id))
    tickets = session.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == conv.id)
                              .order_by(HandoffTicket.id))
    out = ConversationPublic.model_validate(conv).model_dump(mode="json")
    out["account_name"] = account_name(session=session, account_id=conv.account_id)
    out["messages"] = [ConversationMessagePublic.model_validate(m).model_dump(mode="json") for m in msgs]
    out["tickets"] = [_ticket_dict(session, t) for t in tickets]
    return out


def list_conversations(*, session: Session, account_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    q = select(Conversation).order_by(Conversation.id.desc()).limit(max(1, min(int(limit), 500)))
    if account_id is not None:
        q = q.where(Conversation.account_id == account_id)
    out = []
    for c in session.scalars(q):
        d = ConversationPublic.model_validate(c).model_dump(mode="json")
        d["messages"] = session.scalar(select(func.count()).select_from(ConversationMessage)
                                       .where(ConversationMessage.conversation_id == c.id)) or 0
        out.append(d)
    return out
