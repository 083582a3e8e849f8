"""Outreach: follow-up sequences (ordered steps with delays, started for an account, stopped when the customer
orders or replies) and the outbox of messages (drafts until sent; sent by SMTP when it is configured), each sent
message logged as an Interaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import PublicSchema

MESSAGE_STATUSES = ("draft", "queued", "sent", "failed", "discarded")


class Sequence(Base):
    """A named series of steps: ``steps`` is a list of ``{"kind": "email"|"call", "delay_days": n, "purpose": k}``;
    ``trigger`` says when one starts by itself (``manual``, or ``churn_risk`` when the repurchase chance falls)."""

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SequenceEnrollment(Base):
    """One account going through a sequence: the next step and when it is due, or why it stopped."""

    __tablename__ = "sequence_enrollments"
    __table_args__ = (Index("ix_sequence_enrollments_due", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    stopped_reason: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("sequence_enrollments.id", ondelete="SET NULL"))
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("generated_content.id", ondelete="SET NULL"))
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    to_address: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboxMessagePublic(PublicSchema):
    id: int
    account_id: int | None
    contact_id: int | None
    task_id: int | None
    generation_id: int | None
    interaction_id: int | None
    to_address: str | None
    subject: str
    body: str
    language: str | None
    status: str
    error: str | None
    created_at: datetime
    sent_at: datetime | None


__all__ = ["MESSAGE_STATUSES", "OutboxMessage", "OutboxMessagePublic", "Sequence", "SequenceEnrollment"]
