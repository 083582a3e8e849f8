"""The one way a workspace model is trained and recorded.

``start_run`` records a ``ModelRun`` as running (so the Models page shows "training…"), ``train_model`` trains the
spec inside a session the caller owns, saves the file through the store, replaces the model's outputs and finishes
the run with uniform fields (UTC times, spec version, model-file format, parameters, metrics, data size and
fingerprint, duration, metric changes against the previous run, the drift reference); ``fail_run`` records why a
run failed. Sessions are opened and committed by the caller (``jobs.py``, the CLI, a test), never here.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, Numeric, String, cast, func, inspect, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import InsufficientData, NotFoundError
from bizpilot.ml.base import FORMAT_VERSION
from bizpilot.services.clock import as_of as workspace_as_of
from bizpilot.services.models import health
from bizpilot.services.models.outputs import replace_outputs
from bizpilot.services.models.spec import ModelSpec, Progress, no_progress, train_with
from bizpilot.services.models.store import get_store
from bizpilot.services.recovery import process_token


@dataclass(frozen=True)
class TrainOutcome:
    """How one training ended: finished, skipped (too little data, with the reason) or failed (with the reason)."""

    name: str
    status: str
    run_id: int | None
    seconds: float
    message: str | None = None
    metrics: dict[str, Any] | None = None
    n_rows: int | None = None
    artifact: str | None = None
    model: str | None = None
    outputs: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("finished", "skipped")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _column_marks(column: Any) -> list[Any]:
    """Aggregates of one column that move when a row is added, removed or edited: the sum of a number, the total
    length of a text, the range of a timestamp (JSON columns are left out)."""
    kind = column.type
    if isinstance(kind, Boolean):
        return [func.sum(cast(column, Integer))]
    if isinstance(kind, Integer | Numeric | Float):
        return [func.sum(column)]
    if isinstance(kind, String):
        return [func.sum(func.length(column))]
    if isinstance(kind, DateTime):
        return [func.min(column), func.max(column)]
    return []


def _mark(value: Any) -> str:
    return f"{value:.9g}" if isinstance(value, float) else str(value)


def data_fingerprint(*, session: Session, spec: ModelSpec) -> str | None:
    """A short hash of per-column aggregates of every input table (row count, sums of numbers, total length of
    texts, timestamp ranges): equal fingerprints mean a retrain would see the same data, and an edited row (an
    import that corrects a quantity) counts as a change. One scan per table, no full content hash, so it stays
    cheap on large tables."""
    if not spec.inputs:
        return None
    parts = []
    for table in spec.inputs:
        marks = [func.count()]
        for column in inspect(table).columns:
            marks.extend(_column_marks(column))
        parts.append(f"{table.__tablename__}:" + ",".join(_mark(v) for v in session.execute(select(*marks)).one()))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def start_run(*, session: Session, spec: ModelSpec, trigger: str, status: str = "running") -> ModelRun:
    """Record a run of ``spec`` as queued or running (the caller commits it so other sessions see it)."""
    run = ModelRun(task=spec.name, model_name=spec.estimator.__name__ if spec.estimator else spec.name,
                   version=spec.version, status=status, trigger=trigger, progress=0.0, started_at=utcnow(),
                   params={}, metrics={}, health={}, process=process_token())
    session.add(run)
    session.flush()
    return run


def previous_finished(*, session: Session, name: str, before: int | None = None) -> ModelRun | None:
    stmt = select(ModelRun).where(ModelRun.task == name, ModelRun.status == "finished")
    if before is not None:
        stmt = stmt.where(ModelRun.id < before)
    return session.scalar(stmt.order_by(ModelRun.id.desc()).limit(1))


def train_model(spec: ModelSpec, *, session: Session, trigger: str, run_id: int | None = None,
                as_of: datetime | None = None, progress: Progress = no_progress,
                params: dict[str, Any] | None = None) -> TrainOutcome:
    """Train ``spec`` from the workspace in ``session`` and record the run (see the module docstring).

    ``InsufficientData`` ends the run as skipped (returned, not raised); any other error propagates so the caller
    can record it with ``fail_run`` in a fresh transaction."""
    started = time.perf_counter()
    run = (session.get(ModelRun, run_id) if run_id is not None
           else start_run(session=session, spec=spec, trigger=trigger))
    if run is None:
        raise NotFoundError(f"model run {run_id} not found")
    as_of = as_of or workspace_as_of(session=session)
    fingerprint = data_fingerprint(session=session, spec=spec)
    # The run row is written after training, not before: a pending change would be flushed by the trainer's first
    # query and hold the row (PostgreSQL) or the whole database (SQLite) locked while it trains, so the progress
    # writer, which updates this row from its own session, would wait on this transaction forever (PostgreSQL)
    # or time out (SQLite), and on SQLite every other write in the workspace would wait too. The row is read again
    # after training so the final fields replace what the progress writer put there (its note in ``message``).
    try:
        trained = train_with(spec, session=session, as_of=as_of, progress=progress, params=params)
    except InsufficientData as exc:
        session.refresh(run)
        run.as_of, run.data_fingerprint = as_of, fingerprint
        run.status, run.message = "skipped", exc.message
        run.finished_at, run.duration_s = utcnow(), round(time.perf_counter() - started, 3)
        run.progress = None
        session.flush()
        return TrainOutcome(spec.name, "skipped", run.id, run.duration_s, message=exc.message)
    session.refresh(run)
    run.as_of, run.data_fingerprint = as_of, fingerprint
    artifact = None
    if trained.model is not None:
        artifact = str(get_store().save(spec, trained.model))
        run.model_name = type(trained.model).__name__
        run.format_version = FORMAT_VERSION
    written = replace_outputs(session=session, model=spec.name, run_id=run.id, outputs=trained.outputs)
    previous = previous_finished(session=session, name=spec.name, before=run.id)
    metrics = {**trained.metrics, "outputs": written}
    run.params = _plain(trained.params if trained.params is not None else
                        (trained.model.get_params() if trained.model is not None else {}))
    run.metrics = _plain(metrics)
    run.n_rows = int(trained.n_rows)
    run.artifact_path = artifact
    run.health = {"metric_changes": health.metric_changes(spec.key_metrics, previous.metrics if previous else None,
                                                          run.metrics)}
    if trained.reference is not None and not trained.reference.empty:
        run.health["reference"] = health.reference_bins(trained.reference)
    run.status, run.message, run.progress = "finished", None, 1.0
    run.finished_at, run.duration_s = utcnow(), round(time.perf_counter() - started, 3)
    session.flush()
    return TrainOutcome(spec.name, "finished", run.id, run.duration_s, metrics=run.metrics, n_rows=run.n_rows,
                        artifact=artifact, model=run.model_name, outputs=written)


def fail_run(*, session: Session, run_id: int, message: str, seconds: float | None = None) -> None:
    """Mark run ``run_id`` failed with the reason (in the caller's fresh transaction)."""
    run = session.get(ModelRun, run_id)
    if run is not None:
        run.status, run.message, run.progress = "failed", message[:2000], None
        run.finished_at = utcnow()
        run.duration_s = None if seconds is None else round(seconds, 3)
        session.flush()


def mark_running(*, session: Session, run_id: int) -> None:
    """A queued run starts (the background worker picked it up)."""
    run = session.get(ModelRun, run_id)
    if run is not None:
        run.status, run.progress, run.started_at, run.process = "running", 0.0, utcnow(), process_token()
        session.flush()


def set_progress(*, session: Session, run_id: int, fraction: float, note: str = "") -> None:
    run = session.get(ModelRun, run_id)
    if run is not None and run.status == "running":
        run.progress = round(min(max(float(fraction), 0.0), 1.0), 3)
        run.message = note[:500] or run.message
        session.flush()


def _plain(value: Any) -> Any:
    """A JSON-friendly copy (numpy scalars, dates and paths as plain values or text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)


__all__ = ["TrainOutcome", "data_fingerprint", "fail_run", "mark_running", "previous_finished", "set_progress",
           "start_run", "train_model"]
