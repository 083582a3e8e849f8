"""How readers get a model: its state (ready, queued, training, failed, skipped, missing, default), ``ModelNotReady``
with that state instead of training on the request, and one background training for a missing model."""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import partial

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ModelNotReady
from bizpilot.services.models import jobs
from bizpilot.services.models.access import load_model, model_state, outputs, require_ready
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.store import get_store
from tests.services.models.toys import PRICES, Gate, PriceModel, train_prices


def _runs(engine: Engine, name: str) -> list[ModelRun]:
    with Session(engine) as session:
        return list(session.scalars(select(ModelRun).where(ModelRun.task == name).order_by(ModelRun.id)))


def _not_ready(engine: Engine, spec=PRICES) -> ModelNotReady:  # type: ignore[no-untyped-def]
    with Session(engine) as session, pytest.raises(ModelNotReady) as info:
        require_ready(session=session, spec=spec)
    return info.value


@pytest.fixture
def busy_worker(priced: Engine):  # type: ignore[no-untyped-def]
    """The background worker busy with another model until the test opens the gate, so what the test queues
    stays queued while it looks."""
    gate = Gate()
    blocker = replace(PRICES, name="blocker", train=partial(train_prices, gate=gate))
    assert jobs.request_training(blocker, engine=priced, trigger="test")
    assert gate.started.wait(timeout=60)
    yield gate
    gate.opened.set()


def test_a_missing_model_is_queued_once_and_becomes_ready(priced: Engine, busy_worker: Gate) -> None:
    with Session(priced) as session:
        assert model_state(session=session, spec=PRICES).state == "missing"
    first = _not_ready(priced)
    assert first.state == "queued" and first.model == "prices" and "is queued for training" in first.message
    assert first.to_dict()["state"] == "queued"
    second = _not_ready(priced)  # a second page asking meanwhile queues nothing more
    assert second.state == "queued"
    # Queued on the worker, which records the run when it starts (a requester's transaction may hold the lock).
    assert _runs(priced, "prices") == []
    assert jobs.in_flight(priced, "prices")
    busy_worker.opened.set()
    outcomes = jobs.wait(timeout=120)
    assert sorted((o.name, o.status) for o in outcomes) == [("blocker", "finished"), ("prices", "finished")]
    runs = _runs(priced, "prices")
    assert [(r.status, r.trigger) for r in runs] == [("finished", "on demand")]
    with Session(priced) as session:
        run = require_ready(session=session, spec=PRICES)
        assert run.id == runs[0].id and model_state(session=session, spec=PRICES).state == "ready"
        assert len(outputs(session=session, spec=PRICES, subject="product")) == 50
        assert isinstance(load_model(session=session, spec=PRICES), PriceModel)
    assert not jobs.in_flight(priced, "prices")


def test_without_train_on_demand_a_missing_model_stays_missing(priced: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    error = _not_ready(priced)
    assert error.state == "missing" and "is not trained yet" in error.message
    assert _not_ready(priced).state == "missing"
    assert _runs(priced, "prices") == [] and not jobs.in_flight(priced, "prices")


def test_a_model_that_is_not_on_demand_is_never_queued_by_a_reader(priced: Engine) -> None:
    manual = replace(PRICES, on_demand=False)
    assert _not_ready(priced, manual).state == "missing"
    assert _runs(priced, "prices") == []


def test_a_failed_first_training_is_failed_with_the_reason(priced: Engine) -> None:
    run_training(PRICES, engine=priced, trigger="test", params={"fail": "no memory left"})
    with Session(priced) as session:
        state = model_state(session=session, spec=PRICES)
    assert state.state == "failed" and state.message == "RuntimeError: no memory left"
    assert state.last_error == "RuntimeError: no memory left" and state.finished is None
    error = _not_ready(priced)
    assert error.state == "failed" and "could not be trained: RuntimeError: no memory left" in error.message
    assert len(_runs(priced, "prices")) == 1  # a failure is not retried on every page view


def test_a_skipped_training_says_why(engine: Engine) -> None:
    run_training(PRICES, engine=engine, trigger="test")
    error = _not_ready(engine)
    assert error.state == "skipped" and "was not trained: no priced products to learn from" in error.message


def test_a_failed_retrain_keeps_the_previous_model_with_the_error(priced: Engine) -> None:
    good = run_training(PRICES, engine=priced, trigger="test")
    run_training(PRICES, engine=priced, trigger="test", params={"fail": "lost the disk"})
    with Session(priced) as session:
        state = model_state(session=session, spec=PRICES)
        assert state.state == "ready" and state.last_error == "RuntimeError: lost the disk"
        assert state.finished is not None and state.finished.id == good.run_id
        assert state.latest is not None and state.latest.status == "failed"
        assert require_ready(session=session, spec=PRICES).id == good.run_id
        assert state.to_dict()["run_id"] == good.run_id and state.to_dict()["last_error"]


def test_a_finished_run_whose_file_is_gone_is_not_ready(priced: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    run_training(PRICES, engine=priced, trigger="test")
    get_store().remove(PRICES)
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    assert _not_ready(priced).state == "missing"


def test_a_shipped_default_is_a_state_of_its_own(priced: Engine) -> None:
    with_default = replace(PRICES, on_demand=False, default_note="shipped default prices")
    with Session(priced) as session:
        state = model_state(session=session, spec=with_default)
    assert state.state == "default" and state.message == "shipped default prices"


def test_queued_and_training_states_while_the_worker_runs(priced: Engine, busy_worker: Gate) -> None:
    gate = Gate()
    held = replace(PRICES, train=partial(train_prices, gate=gate))
    assert jobs.request_training(held, engine=priced, trigger="test")
    assert not jobs.request_training(held, engine=priced, trigger="test")  # already queued
    with Session(priced) as session:
        assert model_state(session=session, spec=held).state == "queued"
    busy_worker.opened.set()
    assert gate.started.wait(timeout=60)
    with Session(priced) as session:
        state = model_state(session=session, spec=held)
        assert state.state == "training" and state.progress == 0.0
        assert _runs(priced, "prices")[0].status == "running"
    gate.opened.set()
    jobs.wait(timeout=120)
    with Session(priced) as session:
        assert model_state(session=session, spec=held).state == "ready"
        assert session.scalar(select(func.count()).select_from(ModelRun).where(ModelRun.task == "prices")) == 1


def test_progress_is_visible_while_a_model_trains(priced: Engine) -> None:
    """The progress writer records progress on the run from its own session while training holds its own."""
    gate = Gate()
    held = replace(PRICES, train=partial(train_prices, late_gate=gate))
    assert jobs.request_training(held, engine=priced, trigger="test")
    assert gate.started.wait(timeout=60)
    try:
        with Session(priced) as session:
            state = model_state(session=session, spec=held)
        assert state.state == "training" and state.progress == 0.5 and state.message == "fitting"
        error = _not_ready(priced, held)
        assert error.state == "training" and "is training (50%)" in error.message
    finally:
        gate.opened.set()
    jobs.wait(timeout=120)
    run = _runs(priced, "prices")[0]
    assert run.status == "finished" and run.progress == 1.0 and run.message is None  # the note is not left behind


def test_concurrent_requests_queue_a_missing_model_once(priced: Engine, busy_worker: Gate) -> None:
    """Pages are served on several threads: eight asking at the same moment still queue one training."""
    start = threading.Barrier(8)
    states: list[str] = []
    lock = threading.Lock()

    def page() -> None:
        start.wait(timeout=30)
        error = _not_ready(priced)
        with lock:
            states.append(error.state)

    threads = [threading.Thread(target=page) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert states == ["queued"] * 8
    assert _runs(priced, "prices") == [] and jobs.in_flight(priced, "prices")  # one job, recorded when it starts
    busy_worker.opened.set()
    jobs.wait(timeout=120)
    assert [r.status for r in _runs(priced, "prices")] == ["finished"]


def test_a_request_that_has_written_queues_without_waiting_on_its_own_lock(priced: Engine) -> None:
    """A request that wrote in its transaction (the assistant stores the turn first) and then needs a missing model:
    queueing writes nothing in another transaction, so on SQLite it never waits on the request's own write lock;
    the worker records the run once the request has committed."""
    from bizpilot.db.engine import session_scope
    from bizpilot.domain import Account

    with session_scope(priced) as session:
        session.add(Account(external_id="W-1", name="Written first"))
        session.flush()  # this transaction now holds the write lock (on SQLite, the whole database's)
        with pytest.raises(ModelNotReady) as info:
            require_ready(session=session, spec=PRICES)
        assert info.value.state == "queued"
        assert model_state(session=session, spec=PRICES).state == "queued"
    outcomes = jobs.wait(timeout=120)
    assert [(o.name, o.status) for o in outcomes] == [("prices", "finished")]
    assert [(r.status, r.trigger) for r in _runs(priced, "prices")] == [("finished", "on demand")]
