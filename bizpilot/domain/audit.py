"""Audit trail: who changed which fields of which record from what to what, when, and through which channel.

One row per change of a record (create, update, archive, restore, stage change...), its field changes in
``changes`` as ``{field: [old, new]}``. Rows are only ever added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import PublicSchema

CHANNELS = ("page", "api", "import", "cli", "system")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "entity", "record_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntryPublic(PublicSchema):
    id: int
    entity: str
    record_id: int
    action: str
    changes: dict[str, Any]
    user_id: int | None
    actor: str | None
    channel: str
    at: datetime


__all__ = ["CHANNELS", "AuditEntry", "AuditEntryPublic"]
