"""Opportunity: a deal in the pipeline, with its outcome once closed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, Money
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed")
Outcome = Literal["open", "won", "lost"]


class Opportunity(Editable, Base):
    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(32))
    amount: Mapped[float | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    source: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(8), default="open", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    next_step: Mapped[str | None] = mapped_column(String(255))
    close_reason: Mapped[str | None] = mapped_column(Text)
    # When the deal is expected to close (the forecast's month); empty: estimated from the workspace's won deals.
    expected_close: Mapped[date | None] = mapped_column(Date)


class OpportunityCreate(InputSchema):
    external_id: str | None = Field(default=None, max_length=64)
    account_external_id: str | None = None
    name: str = Field(min_length=1, max_length=255)
    stage: str = Field(min_length=1, max_length=32)
    amount: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    source: str | None = Field(default=None, max_length=64)
    owner: str | None = Field(default=None, max_length=128)
    created_at: datetime
    closed_at: datetime | None = None
    outcome: Outcome = "open"
    expected_close: date | None = None


# What a change may set. The stage, outcome and close date move only through the pipeline
# (``services/pipeline.py::move_opportunity``, ``POST /api/v1/opportunities/{id}/stage``), which checks the workspace's
# stages, asks a reason for won and lost and tells subscribers (``opportunity.stage_changed``); imports and syncs by
# external id set them from the file, as the source system has them.
MOVED_BY_PIPELINE = ("stage", "outcome", "closed_at")
OpportunityUpdate = update_schema(OpportunityCreate, "name", "amount", "currency", "owner", "expected_close")


class OpportunityPublic(PublicSchema):
    id: int
    external_id: str
    account_id: int | None
    name: str
    stage: str
    amount: float | None
    currency: str | None
    source: str | None
    owner: str | None
    created_at: datetime
    closed_at: datetime | None
    outcome: str
    expected_close: date | None = None
    owner_id: int | None = None
    version: int = 1
    archived_at: datetime | None = None
    updated_at: datetime | None = None
