"""Progress of the trainings running in this process, kept in memory and stored in the run row when it can be.

A trainer writes in its own transaction, which it commits only when the run is done (a failed run leaves nothing
behind). On SQLite its first flushed write takes the database's write lock until then, so a progress report written
from another session would wait out the busy timeout (10 s) and fail, every time. So a report is always kept here
(``model_state`` shows it, which is what the Models page and the API read), and it is written to the run row only
when the trainer's own transaction does not hold the lock, with a short wait for any other writer; a report that
cannot be stored now is skipped, never waited for, and the next one tries again. On PostgreSQL the trainer holds no
lock on the run row (it writes that row only after training), so every report is stored.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bizpilot.services.models.training import set_progress

log = logging.getLogger("bizpilot.models")
STORE_WAIT_MS = 200  # how long a report waits for another writer before it is skipped

_live: dict[tuple[str, int], tuple[float, str]] = {}
_lock = threading.Lock()


def engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def publish(engine: Engine, run_id: int, fraction: float, note: str) -> None:
    with _lock:
        _live[(engine_key(engine), run_id)] = (round(min(max(float(fraction), 0.0), 1.0), 3), note[:500])


def live(engine: Engine, run_id: int) -> tuple[float, str] | None:
    """The latest (fraction, note) reported by run ``run_id`` if it trains in this process."""
    with _lock:
        return _live.get((engine_key(engine), run_id))


def forget(engine: Engine, run_id: int) -> None:
    with _lock:
        _live.pop((engine_key(engine), run_id), None)


def holds_write_lock(session: Session) -> bool:
    """Whether ``session`` has written on SQLite in its open transaction (the driver begins one at the first write,
    and it holds the database's write lock until it ends)."""
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    raw = session.connection().connection.dbapi_connection
    return bool(getattr(raw, "in_transaction", False))


def store(engine: Engine, run_id: int, fraction: float, note: str) -> bool:
    """Write the report into the run row from a connection of its own, waiting at most ``STORE_WAIT_MS`` for a
    lock; False when it was skipped."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection
        if sqlite:
            previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]  # type: ignore[union-attr]
            raw.execute(f"PRAGMA busy_timeout={STORE_WAIT_MS}")  # type: ignore[union-attr]
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
                raw.execute(f"PRAGMA busy_timeout={int(previous)}")  # type: ignore[union-attr]


__all__ = ["engine_key", "forget", "holds_write_lock", "live", "publish", "store"]
