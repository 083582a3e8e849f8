"""Service-assistant records: conversations, their messages (with intent, sentiment and cited sources) and
hand-off tickets, the queue where a person takes over what the assistant must not answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import PublicSchema

MESSAGE_ROLES = ("user", "assistant", "agent", "system")
HANDOFF_STATUSES = ("open", "claimed", "closed")
HandoffStatus = Literal["open", "claimed", "closed"]


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="chat")
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (Index("ix_conversation_messages_conv_time", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reason: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ConversationPublic(PublicSchema):
    id: int
    account_id: int | None
    channel: str
    language: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class ConversationMessagePublic(PublicSchema):
    id: int
    conversation_id: int
    role: str
    text: str
    intent: str | None
    intent_confidence: float | None
    sentiment: str | None
    sentiment_score: float | None
    sources: list[dict[str, Any]]
    created_at: datetime


class HandoffTicketPublic(PublicSchema):
    id: int
    conversation_id: int
    account_id: int | None
    status: str
    reason: str
    summary: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
