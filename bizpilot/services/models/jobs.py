"""Training as a job: the edge that opens and commits sessions around ``training.train_model``.

``run_training`` trains one model in the foreground (the CLI, the demo, `train all`): it records the run as
running in its own transaction, trains in a second one and, if training fails, records the failure in a third, so
a failed model never leaves a half-written run or outputs behind. ``request_training`` does the same on one
background worker thread per process, so a page or API call that needs a missing model returns at once with a
"training…" state instead of training inside the request; a model already queued or training is not queued twice.

Progress: a trainer writes in its own transaction, which it commits only when the run is done. On SQLite its first
flushed write takes the database's write lock until then, so a report written from another session would wait out
the busy timeout (10 s) and fail, every time. So every report is kept in memory (``live_progress``, which
``access.model_state`` shows: the Models page and the API) and written to the run row (throttled) only when the
trainer's own transaction does not hold the lock, waiting at most ``STORE_WAIT_MS`` for any other writer; a report
that cannot be stored now is skipped, never waited for. On PostgreSQL the trainer holds no lock on the run row (it
writes that row only after training), so every report is also stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bizpilot.db.engine import session_scope
from bizpilot.errors import BizpilotError
from bizpilot.services.models.spec import ModelSpec, Progress
from bizpilot.services.models.training import (
    TrainOutcome,
    fail_run,
    mark_running,
    set_progress,
    start_run,
    train_model,
)

log = logging.getLogger("bizpilot.models")
PROGRESS_EVERY_S = 1.0
STORE_WAIT_MS = 200  # how long a progress report waits for another writer before it is skipped

_executor: ThreadPoolExecutor | None = None
_jobs: dict[tuple[str, str], Future[TrainOutcome]] = {}
_lock = threading.Lock()
_queue_lock = threading.Lock()
_live: dict[tuple[str, int], tuple[float, str]] = {}


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def live_progress(engine: Engine, run_id: int) -> tuple[float, str] | None:
    """The latest (fraction, note) reported by run ``run_id`` while it trains in this process (the run row may not
    hold it yet)."""
    with _lock:
        return _live.get((_engine_key(engine), run_id))


def _publish(engine: Engine, run_id: int, fraction: float, note: str) -> None:
    with _lock:
        _live[(_engine_key(engine), run_id)] = (round(min(max(float(fraction), 0.0), 1.0), 3), note[:500])


def _forget(engine: Engine, run_id: int) -> None:
    with _lock:
        _live.pop((_engine_key(engine), run_id), None)


def _holds_write_lock(trainer: Session) -> bool:
    """Whether the trainer has written on SQLite in its open transaction (the driver begins one at the first write,
    and it holds the database's write lock until it ends)."""
    if trainer.get_bind().dialect.name != "sqlite" or not trainer.in_transaction():
        return False
    raw = trainer.connection().connection.dbapi_connection
    return bool(getattr(raw, "in_transaction", False))


def _store_progress(engine: Engine, run_id: int, fraction: float, note: str) -> bool:
    """Write a report into the run row from a connection of its own, waiting at most ``STORE_WAIT_MS`` for a
    lock; False when it was skipped."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        raw: Any = conn.connection.dbapi_connection
        if sqlite:
            previous = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
            raw.execute(f"PRAGMA busy_timeout={STORE_WAIT_MS}")
        try:
            with Session(bind=conn) as session:
                if not sqlite:
                    session.execute(text(f"SET LOCAL lock_timeout = '{STORE_WAIT_MS}ms'"))
                set_progress(session=session, run_id=run_id, fraction=fraction, note=note)
                session.commit()
            return True
        except OperationalError:
            log.debug("progress of run %s not stored now: another writer holds the database", run_id)
            return False
        finally:
            if sqlite:
                raw.execute(f"PRAGMA busy_timeout={previous}")


def _progress_writer(engine: Engine, run_id: int, trainer: Session, also: Progress | None) -> Progress:
    """Every report is shown at once (``live_progress``); it is stored in the run row (throttled) only when that
    cannot wait on the trainer's own transaction (see the module docstring)."""
    last = [0.0]

    def report(fraction: float, note: str = "") -> None:
        if also is not None:
            also(fraction, note)
        _publish(engine, run_id, fraction, note)
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        try:
            if _holds_write_lock(trainer):
                return  # shown from memory; the run row is written when the run ends
            if _store_progress(engine, run_id, fraction, note):
                last[0] = now
        except Exception:  # noqa: BLE001 - progress is a courtesy; training goes on without it
            log.debug("could not record progress of run %s", run_id, exc_info=True)

    return report


START_ATTEMPTS = 6


def _record_start(spec: ModelSpec, *, engine: Engine, trigger: str, run_id: int | None) -> int:
    """Record the run as running (a new row, or the queued one) and return its id. A job queued by a request that
    has written in its own transaction starts while that transaction still holds SQLite's write lock, so a locked
    database is waited for a few times (each attempt waits the busy timeout) before giving up."""
    for attempt in range(START_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                if run_id is None:
                    return start_run(session=session, spec=spec, trigger=trigger).id
                mark_running(session=session, run_id=run_id)
                return run_id
        except OperationalError:
            if attempt == START_ATTEMPTS - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def run_training(spec: ModelSpec, *, engine: Engine, trigger: str, params: dict[str, Any] | None = None,
                 progress: Progress | None = None, run_id: int | None = None) -> TrainOutcome:
    """Train ``spec`` now and record the run; a failure is recorded and returned as a failed outcome (the reason
    in ``message``), never raised, so `train all` goes on with the next model."""
    started = time.perf_counter()
    try:
        run_id = _record_start(spec, engine=engine, trigger=trigger, run_id=run_id)
    except OperationalError as exc:  # the database stayed locked or unreachable: nothing could be recorded
        log.error("could not start training %s: %s", spec.name, exc)
        return TrainOutcome(spec.name, "failed", run_id, round(time.perf_counter() - started, 3),
                            message=f"could not record the run: {str(exc.orig).splitlines()[0]}")
    try:
        with session_scope(engine) as session:
            return train_model(spec, session=session, trigger=trigger, run_id=run_id, params=params,
                               progress=_progress_writer(engine, run_id, session, progress))
    except BizpilotError as exc:
        message = exc.message
    except Exception as exc:  # noqa: BLE001 - recorded with its type; the log keeps the traceback
        log.exception("training %s failed", spec.name)
        message = f"{type(exc).__name__}: {exc}"
    finally:
        _forget(engine, run_id)
    seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        fail_run(session=session, run_id=run_id, message=message, seconds=seconds)
    return TrainOutcome(spec.name, "failed", run_id, round(seconds, 3), message=message)


def train_many(specs: Sequence[ModelSpec], *, engine: Engine, trigger: str,
               on_step: Callable[[ModelSpec, int, int], None] | None = None) -> list[TrainOutcome]:
    """Train ``specs`` one after the other (dependencies first is the caller's order); one failing model never
    stops the others."""
    outcomes = []
    for i, spec in enumerate(specs):
        if on_step is not None:
            on_step(spec, i, len(specs))
        outcomes.append(run_training(spec, engine=engine, trigger=trigger))
    return outcomes


def _executor_instance() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bizpilot-train")
        return _executor


def in_flight(engine: Engine, name: str) -> bool:
    with _lock:
        job = _jobs.get((_engine_key(engine), name))
        return job is not None and not job.done()


def request_training(spec: ModelSpec, *, engine: Engine, trigger: str = "page") -> bool:
    """Queue ``spec`` for training on the background worker unless it is already queued or training here;
    True when this call queued it."""
    key = (_engine_key(engine), spec.name)
    # One requester at a time from the check to the registration: pages are served on several threads, and two
    # that both saw "not queued" would otherwise both queue it.
    with _queue_lock:
        with _lock:
            job = _jobs.get(key)
            if job is not None and not job.done():
                return False
        # The run row is written by the worker when it starts, not here: the requester may be inside a transaction
        # that has written (SQLite's write lock), and a queued job shows as "queued" through ``in_flight`` meanwhile.
        future = _executor_instance().submit(run_training, spec, engine=engine, trigger=trigger)
        with _lock:
            _jobs[key] = future
        return True


def request_many(specs: Sequence[ModelSpec], *, engine: Engine, trigger: str) -> list[str]:
    """Queue every spec (in order) on the background worker; returns the names queued by this call."""
    return [spec.name for spec in specs if request_training(spec, engine=engine, trigger=trigger)]


def wait(timeout: float | None = None) -> list[TrainOutcome]:
    """Wait for every queued or running background training (tests, shutdown); their outcomes."""
    with _lock:
        futures = list(_jobs.values())
    outcomes = []
    deadline = None if timeout is None else time.monotonic() + timeout
    for future in futures:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        outcomes.append(future.result(timeout=remaining))
    return outcomes


def forget_jobs() -> None:
    """Forget finished jobs (tests switch workspaces)."""
    with _lock:
        for key in [k for k, f in _jobs.items() if f.done()]:
            del _jobs[key]


__all__ = ["forget_jobs", "in_flight", "live_progress", "request_many", "request_training", "run_training",
           "train_many", "wait"]
