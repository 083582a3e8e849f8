"""Retraining on a schedule while `bizpilot serve` runs, as Odoo recomputes its lead scoring nightly.

Every ``Settings.retrain_hours`` (default 24), starting at the next ``Settings.retrain_at`` local time (default
02:00), every `train all` model whose input tables changed since its current run (data fingerprint) is queued on
the background worker, and then the drift of each model's inputs since its training is checked and kept on its
run (the Models page shows both). ``retrain_hours = 0`` turns the
schedule off. The thread is a daemon: stopping the server stops it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.db.engine import session_scope
from bizpilot.services.models import jobs
from bizpilot.services.models.access import model_state
from bizpilot.services.models.overview import check_drift
from bizpilot.services.models.registry import MODELS, train_all_specs
from bizpilot.services.models.spec import ModelSpec
from bizpilot.services.models.training import data_fingerprint

log = logging.getLogger("bizpilot.models")


def next_run(now: datetime, at: str) -> datetime:
    """The next time of day ``at`` (HH:MM) after ``now`` (local time)."""
    hour, minute = (int(part) for part in at.split(":"))
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def data_changed(*, session: Session, spec: ModelSpec) -> bool:
    """Whether a retrain would see other data than the model's current run did (or there is no usable run)."""
    state = model_state(session=session, spec=spec)
    if state.finished is None or not spec.inputs:
        return True
    return data_fingerprint(session=session, spec=spec) != state.finished.data_fingerprint


def retrain_now(engine: Engine) -> list[str]:
    """Queue every `train all` model whose data changed since its current run, wait for them, then check drift and
    refresh the tasks (reorders come due and deals go quiet even without new data); the names queued (a night
    without new orders retrains nothing)."""
    with session_scope(engine) as session:
        due = [spec for spec in train_all_specs() if data_changed(session=session, spec=spec)]
    queued = jobs.request_many(due, engine=engine, trigger="schedule")
    jobs.wait()
    with session_scope(engine) as session:
        for spec in MODELS.values():
            try:
                check_drift(session=session, spec=spec)
            except Exception:  # noqa: BLE001 - a drift check never stops the schedule
                log.exception("drift check of %s failed", spec.name)
    from bizpilot.services.tasks import refresh_tasks

    with session_scope(engine) as session:
        log.info("tasks refreshed: %s", refresh_tasks(session=session))
    return queued


class RetrainSchedule:
    """The background thread of the schedule (see the module docstring)."""

    def __init__(self, engine: Engine, *, hours: float | None = None, at: str | None = None) -> None:
        settings = get_settings()
        self.engine = engine
        self.hours = settings.retrain_hours if hours is None else hours
        self.at = at or settings.retrain_at
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.next_at: datetime | None = None

    def start(self) -> bool:
        """Start the thread unless the schedule is off; True when it runs."""
        if self.hours <= 0 or self._thread is not None:
            return False
        self.next_at = next_run(datetime.now(), self.at)
        self._thread = threading.Thread(target=self._loop, name="bizpilot-retrain", daemon=True)
        self._thread.start()
        log.info("models retrain every %s h, next at %s", self.hours, self.next_at)
        return True

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while self.next_at is not None and not self._stop.wait(max(0.0, (self.next_at - datetime.now())
                                                                    .total_seconds())):
            try:
                retrain_now(self.engine)
            except Exception:  # noqa: BLE001 - one bad night never ends the schedule
                log.exception("scheduled retraining failed")
            self.next_at = self.next_at + timedelta(hours=self.hours)


__all__ = ["RetrainSchedule", "next_run", "retrain_now"]
