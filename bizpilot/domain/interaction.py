"""Interaction: any touchpoint with a customer (email, chat, ticket, review, call, note)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

CHANNELS = ("email", "chat", "ticket", "review", "call", "meeting", "note")
Channel = Literal["email", "chat", "ticket", "review", "call", "meeting", "note"]
Direction = Literal["inbound", "outbound", "internal"]


class Interaction(Editable, Base):
    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_account_time", "account_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    subject: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    rating: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # Filled by the signals analysis (issue 6): what the message is about and how the customer feels.
    sentiment: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str | None] = mapped_column(String(32))
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who logged it
    outcome: Mapped[str | None] = mapped_column(String(64))


class InteractionCreate(InputSchema):
    external_id: str | None = Field(default=None, max_length=64)
    channel: Channel
    direction: Direction = "inbound"
    subject: str | None = Field(default=None, max_length=255)
    text: str | None = None
    language: str | None = Field(default=None, max_length=8)
    rating: float | None = Field(default=None, ge=0, le=10)
    occurred_at: datetime
    account_external_id: str | None = None
    contact_external_id: str | None = None
    sku: str | None = None
    order_external_id: str | None = None


InteractionUpdate = update_schema(InteractionCreate, "subject", "text", "rating")


class InteractionPublic(PublicSchema):
    id: int
    external_id: str
    channel: str
    direction: str
    subject: str | None
    text: str | None
    language: str | None
    rating: float | None
    occurred_at: datetime
    account_id: int | None
    contact_id: int | None
    product_id: int | None
    order_id: int | None
    sentiment: str | None = None
    sentiment_score: float | None = None
    intent: str | None = None
    intent_confidence: float | None = None
    analysed_at: datetime | None = None
    user_id: int | None = None
    outcome: str | None = None
    version: int = 1
    archived_at: datetime | None = None
    updated_at: datetime | None = None
