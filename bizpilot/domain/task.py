"""Task: something a person should do for a customer, by a date: often created by the intelligence (a reorder is
due, the repurchase chance dropped, an alert, an open hand-off, a deal gone quiet, a product worth offering), each
with its reason in words, or added by hand.

``source_key`` identifies what caused an automatic task (``reorder:<account>:<product>``), so a refresh never opens
a second task for the same cause while one is open, and closes it when the cause is gone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, utcnow
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

TASK_STATUSES = ("open", "snoozed", "done", "closed")
TASK_SOURCES = ("manual", "reorder", "churn", "alert", "handoff", "stale_deal", "recommendation", "sequence")
Priority = Literal["low", "normal", "high"]


class Task(Editable, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_owner_status_due", "owner_id", "status", "due_date"),
                      Index("ix_tasks_source_key", "source_key", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_tickets.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    source: Mapped[str] = mapped_column(String(24), default="manual")
    source_key: Mapped[str | None] = mapped_column(String(128))
    expected_value: Mapped[float | None] = mapped_column(Float)
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TaskCreate(InputSchema):
    title: str = Field(min_length=1, max_length=255)
    reason: str | None = Field(default=None, max_length=4000)
    due_date: date | None = None
    owner_id: int | None = Field(default=None, ge=1, le=2**62)
    account_id: int | None = Field(default=None, ge=1, le=2**62)
    opportunity_id: int | None = Field(default=None, ge=1, le=2**62)
    ticket_id: int | None = Field(default=None, ge=1, le=2**62)
    product_id: int | None = Field(default=None, ge=1, le=2**62)
    priority: Priority = "normal"


TaskUpdate = update_schema(TaskCreate, "title", "reason", "due_date", "owner_id", "priority")


class TaskPublic(PublicSchema):
    id: int
    title: str
    reason: str | None
    due_date: date | None
    owner_id: int | None
    account_id: int | None
    opportunity_id: int | None
    ticket_id: int | None
    product_id: int | None
    status: str
    priority: str
    source: str
    source_key: str | None
    expected_value: float | None
    snoozed_until: date | None
    completed_at: datetime | None
    closed_reason: str | None
    created_at: datetime
    version: int


__all__ = ["TASK_SOURCES", "TASK_STATUSES", "Task", "TaskCreate", "TaskPublic", "TaskUpdate"]
