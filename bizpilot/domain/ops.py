"""Operational records: generated content with its facts and feedback, and import runs (what was imported,
rejected and where the rejects report is). Model runs live in ``domain/model_run.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import PublicSchema, UTCSchema


class GeneratedContent(Base):
    __tablename__ = "generated_content"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    model: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    output: Mapped[str] = mapped_column(Text)
    check_result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    rating: Mapped[int | None] = mapped_column(Integer)
    edited_output: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    strict: Mapped[bool] = mapped_column(default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    rejects_path: Mapped[str | None] = mapped_column(String(512))
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # host:pid:start of the importing process (services/recovery.py): a run whose process is gone is interrupted
    process: Mapped[str | None] = mapped_column(String(128))


class GeneratedContentPublic(PublicSchema):
    id: int
    kind: str
    language: str | None
    account_id: int | None
    product_id: int | None
    facts: dict[str, Any]
    model: str | None
    output: str
    check_result: dict[str, Any]
    status: str
    rating: int | None
    created_at: datetime


class _ImportRunFields(UTCSchema):
    """What names an import run and what it counted, in both views of a run below."""

    id: int
    entity: str
    source: str
    status: str
    strict: bool
    counts: dict[str, Any]


class ImportRunPublic(PublicSchema, _ImportRunFields):
    rejects_path: str | None
    message: str | None
    started_at: datetime
    finished_at: datetime | None


class ImportRunStatus(_ImportRunFields):
    """A run as the Imports API reports it: the stored run plus live progress while it is running."""

    message: str | None = None
    started_at: datetime
    finished_at: datetime | None = None
    progress: dict[str, Any] | None = None
    has_rejects: bool = False


class RejectedRow(BaseModel):
    row: int
    field: str
    reason: str
    value: str | None = None


class RejectedRows(BaseModel):
    total: int
    rows: list[RejectedRow]
