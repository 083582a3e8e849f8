"""How pages, routes and services use a model: its state, its saved file, its outputs.

A reader asks for what training computed (``outputs``) or the fitted model (``load_model``). When the model has
never been trained, or its last attempt failed and no file is left, the reader gets ``ModelNotReady`` at once with
the state the Models page shows (queued, training with progress, failed with the reason, missing), and a missing
model is queued for background training (unless ``BIZPILOT_TRAIN_ON_DEMAND`` is off). No request trains a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.domain.model_run import ModelOutput, ModelRun
from bizpilot.errors import ModelFileError, ModelNotReady
from bizpilot.ml.base import Estimator
from bizpilot.services.models import jobs
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.models.spec import ModelSpec
from bizpilot.services.models.store import get_store

# A run left "running" or "queued" this long without finishing was cut short (a killed process).
STALE_RUN = timedelta(hours=6)


@dataclass(frozen=True)
class ModelState:
    """Where a model stands. ``state``: ready, queued, training, failed, missing, or default (a shipped default
    is in use). ``ready`` with a ``last_error`` means the last retrain failed but the previous model still serves."""

    name: str
    title: str
    state: str
    latest: ModelRun | None
    finished: ModelRun | None
    progress: float | None = None
    message: str | None = None
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "state": self.state, "progress": self.progress,
                "message": self.message, "last_error": self.last_error,
                "run_id": self.finished.id if self.finished else None,
                "trained_at": self.finished.finished_at if self.finished else None,
                "latest_run_id": self.latest.id if self.latest else None}


def latest_run(*, session: Session, name: str, statuses: tuple[str, ...] | None = None) -> ModelRun | None:
    stmt = select(ModelRun).where(ModelRun.task == name)
    if statuses is not None:
        stmt = stmt.where(ModelRun.status.in_(statuses))
    return session.scalar(stmt.order_by(ModelRun.id.desc()).limit(1))


def _usable(session: Session, spec: ModelSpec, run: ModelRun | None) -> bool:
    if run is None:
        return False
    if spec.artifact is not None:
        return get_store().exists(spec)
    return True


def model_state(*, session: Session, spec: ModelSpec) -> ModelState:
    """The model's state as the Models page and ``ModelNotReady`` report it."""
    latest = latest_run(session=session, name=spec.name)
    # Every read asks this: when the latest run finished (the usual case) it is also the latest finished one.
    finished = (latest if latest is not None and latest.status == "finished"
                else latest_run(session=session, name=spec.name, statuses=("finished",)))
    usable = _usable(session, spec, finished)
    if latest is not None and latest.status in ("queued", "running"):
        stale = (utcnow() - latest.started_at > STALE_RUN
                 and not jobs.in_flight(session.get_bind(), spec.name))  # type: ignore[arg-type]
        if not stale:
            state = ("training" if latest.status == "running" else "queued") if not usable else "ready"
            progress, message = latest.progress, latest.message
            reported = (jobs.live_progress(session.get_bind(), latest.id)  # type: ignore[arg-type]
                        if latest.status == "running" else None)
            if reported is not None:  # trains here: its latest report, which the run row may not hold yet
                progress, message = reported[0], reported[1] or message
            return ModelState(spec.name, spec.title, state, latest, finished if usable else None,
                              progress=progress, message=message)
    if not usable and jobs.in_flight(session.get_bind(), spec.name):  # type: ignore[arg-type]
        # Queued on this process's worker, which records the run when it starts.
        return ModelState(spec.name, spec.title, "queued", latest, None, progress=0.0)
    last_error = latest.message if latest is not None and latest.status == "failed" else None
    if usable:
        return ModelState(spec.name, spec.title, "ready", latest, finished, last_error=last_error)
    if latest is not None and latest.status in ("failed", "skipped"):
        return ModelState(spec.name, spec.title, "failed" if latest.status == "failed" else "skipped", latest, None,
                          message=latest.message, last_error=last_error)
    if spec.default_note:
        return ModelState(spec.name, spec.title, "default", latest, None, message=spec.default_note)
    return ModelState(spec.name, spec.title, "missing", latest, None)


def _not_ready(state: ModelState) -> ModelNotReady:
    words = {"queued": "is queued for training", "training": "is training", "failed": "could not be trained",
             "skipped": "was not trained", "missing": "is not trained yet"}
    reason = f": {state.message}" if state.message and state.state in ("failed", "skipped") else ""
    progress = f" ({state.progress:.0%})" if state.state == "training" and state.progress else ""
    return ModelNotReady(f"the {state.title.lower()} model {words.get(state.state, 'is not ready')}{progress}"
                         f"{reason}", model=state.name, state=state.state, reason=state.message)


def require_ready(*, session: Session, spec: ModelSpec) -> ModelRun:
    """The model's latest finished run; otherwise queue a missing model for training and raise ``ModelNotReady``."""
    state = model_state(session=session, spec=spec)
    if state.state == "ready" and state.finished is not None:
        return state.finished
    if state.state == "missing" and spec.on_demand and get_settings().train_on_demand:
        jobs.request_training(spec, engine=session.get_bind(), trigger="on demand")  # type: ignore[arg-type]
        state = model_state(session=session, spec=spec)
    raise _not_ready(state)


def load_model(*, session: Session, spec: ModelSpec) -> Estimator:
    """The fitted model of a ready spec (cached by the store)."""
    require_ready(session=session, spec=spec)
    try:
        return get_store().load(spec)
    except ModelFileError as exc:
        if spec.on_demand and get_settings().train_on_demand:
            jobs.request_training(spec, engine=session.get_bind(), trigger="on demand")  # type: ignore[arg-type]
        raise ModelNotReady(f"the {spec.title.lower()} model file does not load ({exc.message}); retraining",
                            model=spec.name, state="queued", reason=exc.message) from None


def outputs(*, session: Session, spec: ModelSpec, **filters: Any) -> list[ModelOutput]:
    """What the model's latest run computed (see ``outputs.read_outputs`` for the filters)."""
    require_ready(session=session, spec=spec)
    return read_outputs(session=session, model=spec.name, **filters)


__all__ = ["ModelState", "latest_run", "load_model", "model_state", "outputs", "require_ready"]
