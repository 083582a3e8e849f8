"""Model runs and model outputs: the record of every training of a workspace model, and what it computed.

A ``ModelRun`` is one training (or attempt): which model (``task``: the registered name), which estimator, the
spec version and model-file format, parameters, metrics, the size and fingerprint of the data it saw, how long it
took, who or what started it, and how it ended (queued, running, finished, skipped for lack of data, failed with
a reason, interrupted when its process died). ``ModelOutput`` rows hold what a run computed for the pages to read
(a score per account, a forecast per product, a reorder cycle per account and product), so no page computes a model
on the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import PublicSchema

RUN_STATES = ("queued", "running", "finished", "skipped", "failed", "interrupted")


class ModelRun(Base):
    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(64), index=True)
    model_name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str | None] = mapped_column(String(64))
    format_version: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    n_rows: Mapped[int | None] = mapped_column(Integer)
    data_fingerprint: Mapped[str | None] = mapped_column(String(64))
    artifact_path: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="finished")
    trigger: Mapped[str | None] = mapped_column(String(32))
    progress: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[datetime | None] = mapped_column(DateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    health: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # host:pid:start of the process running it (services/recovery.py): a run whose process is gone is interrupted
    process: Mapped[str | None] = mapped_column(String(128))


class ModelOutput(Base):
    """One precomputed result of a run: ``subject`` names what it is about (account, product, opportunity,
    account_product, workspace), ``subject_id``/``item_id`` the rows, ``score`` orders lists, ``payload`` is the
    rest (factors, intervals, reasons)."""

    __tablename__ = "model_outputs"
    __table_args__ = (Index("ix_model_outputs_lookup", "model", "subject", "subject_id"),
                      Index("ix_model_outputs_ranked", "model", "subject", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class ModelRunPublic(PublicSchema):
    id: int
    task: str
    model_name: str
    version: str | None
    format_version: int | None = None
    params: dict[str, Any]
    metrics: dict[str, Any]
    n_rows: int | None
    data_fingerprint: str | None = None
    artifact_path: str | None
    status: str
    trigger: str | None = None
    progress: float | None = None
    message: str | None = None
    as_of: datetime | None = None
    duration_s: float | None = None
    health: dict[str, Any] = {}
    started_at: datetime
    finished_at: datetime | None
