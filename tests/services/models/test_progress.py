"""Progress of a training that writes in its own transaction: on SQLite those writes hold the database's write lock
until the run commits, so a report must neither wait out the busy timeout nor get lost; the Models page still
shows it (``model_state``), and a report made while the database is free is stored in the run row."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models import jobs
from bizpilot.services.models.access import model_state
from bizpilot.services.models.spec import Progress, Trained
from tests.services.models.toys import PRICES, add_products, train_prices


def _seen(engine: Engine, run_id: int | None) -> tuple[Any, ...]:
    """What another session (a page) sees now: the run row and the model's state."""
    with Session(engine) as session:
        run = session.get(ModelRun, run_id)
        assert run is not None
        state = model_state(session=session, spec=PRICES)
        return run.progress, run.message, state.state, state.progress, state.message


def test_progress_of_a_trainer_holding_the_write_lock(priced: Engine, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 0.0)
    seen: list[tuple[Any, ...]] = []
    run_ids: list[int | None] = []

    def train(*, session: Session, as_of: datetime, progress: Progress, **params: Any) -> Trained:
        run_ids.append(session.query(ModelRun.id).filter(ModelRun.task == "prices").scalar())
        progress(0.1, "reading")  # nothing written yet: stored in the run row
        seen.append(_seen(priced, run_ids[0]))
        add_products(session, [99.0], prefix="LOCK")  # flushed: this transaction now holds the write lock
        progress(0.3, "first")
        seen.append(_seen(priced, run_ids[0]))
        progress(0.4, "second")
        seen.append(_seen(priced, run_ids[0]))
        return train_prices(session=session, as_of=as_of, progress=no_report, **params)

    def no_report(fraction: float, note: str = "") -> None:
        return None

    caplog.set_level(logging.DEBUG, logger="bizpilot")
    outcome = jobs.run_training(replace(PRICES, train=train), engine=priced, trigger="test")

    assert outcome.status == "finished", outcome.message
    assert seen[0] == (0.1, "reading", "training", 0.1, "reading")
    # The later reports are shown from this process's live progress while the trainer's transaction is open.
    assert [s[2:] for s in seen[1:]] == [("training", 0.3, "first"), ("training", 0.4, "second")]
    with Session(priced) as session:
        run = session.get(ModelRun, outcome.run_id)
        assert run is not None and run.status == "finished" and run.progress == 1.0
        assert model_state(session=session, spec=PRICES).progress is None
    assert [r for r in caplog.records if "locked" in r.getMessage() or "locked" in str(r.exc_text)] == []
