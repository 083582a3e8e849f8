"""Model health, visible: every registered model with its state, its runs over time (metrics, data size, duration,
who or what started them), the flags of its latest retrain (a key metric that got worse) and of input drift since
training, and whether it is stale (the workspace embedding model it was fitted through is gone). What the Models
page, `bizpilot models` and ``GET /api/v1/models`` show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.model_run import ModelRun, ModelRunPublic
from bizpilot.ml.text.embedding import configuration_problem
from bizpilot.services.clock import as_of as workspace_as_of
from bizpilot.services.models import health
from bizpilot.services.models.access import model_state
from bizpilot.services.models.spec import ModelSpec

RUNS_SHOWN = 10


def run_summary(run: ModelRun) -> dict[str, Any]:
    """A run as lists show it (the reference bins of the drift check are left out: they are for the check)."""
    data = ModelRunPublic.model_validate(run).model_dump()
    data["health"] = {k: v for k, v in (run.health or {}).items() if k != "reference"}
    return data


def flags(run: ModelRun | None) -> list[str]:
    """Plain-language warnings about a finished run: metrics that dropped, inputs that drifted."""
    if run is None:
        return []
    out = []
    for change in (run.health or {}).get("metric_changes", []):
        if change.get("flagged"):
            out.append(f"{change['metric']} got worse: {change['previous']:g} -> {change['current']:g}")
    drift = (run.health or {}).get("drift")
    if drift and drift.get("level") == "alert":
        out.append("input drift since training: " + ", ".join(
            f"{k} (PSI {drift['psi'][k]:.2f})" for k in drift.get("flagged", [])))
    fallback = (run.metrics or {}).get("fallback_reason") or (run.metrics or {}).get("text_fallback_reason")
    if fallback:
        out.append(f"fallback in use: {fallback}")
    return out


def embedding_problem(row: dict[str, Any]) -> str | None:
    """Why the model of an overview row no longer gets the vectors it was fitted with (the workspace embedding model
    its current run recorded, ``metrics["embedding"]``, is gone: the model is stale until retrained), or None. Reads
    the recorded configuration and, at most, one small adapter file per digest (kept in memory afterwards): no model
    is loaded."""
    run = row.get("current") or {}
    config = (run.get("metrics") or {}).get("embedding")
    return configuration_problem(config) if isinstance(config, str) else None


def describe(*, session: Session, spec: ModelSpec, runs: int = RUNS_SHOWN) -> dict[str, Any]:
    """One model: what it is, its state, its latest finished run, its recent runs and its flags."""
    state = model_state(session=session, spec=spec)
    history = list(session.scalars(select(ModelRun).where(ModelRun.task == spec.name)
                                   .order_by(ModelRun.id.desc()).limit(runs)))
    row = {"name": spec.name, "title": spec.title, "summary": spec.summary, "version": spec.version,
            "estimator": spec.estimator.__name__ if spec.estimator else None, "state": state.state,
            "progress": state.progress, "message": state.message, "last_error": state.last_error,
            "in_train_all": spec.in_train_all, "default_note": spec.default_note,
            "key_metrics": dict(spec.key_metrics),
            "current": run_summary(state.finished) if state.finished else None,
            "flags": flags(state.finished), "runs": [run_summary(r) for r in history]}
    problem = embedding_problem(row)
    return {**row, "stale": problem is not None, "embedding_problem": problem}


def overview(*, session: Session, specs: list[ModelSpec]) -> list[dict[str, Any]]:
    return [describe(session=session, spec=spec) for spec in specs]


def check_drift(*, session: Session, spec: ModelSpec, now: datetime | None = None) -> dict[str, Any] | None:
    """Compare the spec's main features today with those of its latest finished run (PSI per feature) and keep
    the result on that run; None when the spec has no drift check or the run kept no reference."""
    if spec.drift is None:
        return None
    state = model_state(session=session, spec=spec)
    run = state.finished
    reference = (run.health or {}).get("reference") if run is not None else None
    if run is None or not reference:
        return None
    when = now or workspace_as_of(session=session)
    report = health.drift_report(reference, spec.drift(session=session, as_of=when))
    report["checked_at"] = utcnow().isoformat(timespec="seconds")
    report["as_of"] = when.date().isoformat()
    run.health = {**(run.health or {}), "drift": report}
    session.flush()
    return report


__all__ = ["check_drift", "describe", "embedding_problem", "flags", "overview", "run_summary"]
