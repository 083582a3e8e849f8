"""SQLite runs in WAL mode with a busy timeout: a reader never waits behind a writer's open transaction (it reads
the last committed state), and a second writer waits for the lock instead of failing at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bizpilot.db.engine import get_engine, reset_engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('committed')"))
    yield engine
    reset_engine()


def test_every_connection_is_in_wal_mode_with_a_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_reader_is_not_blocked_by_an_open_writer_transaction(sqlite_engine: Engine) -> None:
    writer = sqlite_engine.connect()
    try:
        # EXCLUSIVE: in the rollback-journal mode this would lock every reader out until the commit.
        writer.exec_driver_sql("BEGIN EXCLUSIVE")
        writer.execute(text("INSERT INTO notes (body) VALUES ('uncommitted')"))
        with sqlite_engine.connect() as reader:  # a separate connection from the pool
            assert reader.execute(text("SELECT body FROM notes ORDER BY id")).scalars().all() == ["committed"]
        writer.commit()
    finally:
        writer.close()
    with sqlite_engine.connect() as reader:
        assert reader.execute(text("SELECT body FROM notes ORDER BY id")).scalars().all() == ["committed",
                                                                                           "uncommitted"]


def test_a_second_writer_waits_for_the_first_instead_of_failing(sqlite_engine: Engine) -> None:
    first = sqlite_engine.connect()
    first.exec_driver_sql("BEGIN IMMEDIATE")
    first.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    waiting = threading.Event()
    outcome: dict[str, object] = {}

    def second_writer() -> None:
        try:
            with sqlite_engine.begin() as conn:
                waiting.set()
                conn.execute(text("INSERT INTO notes (body) VALUES ('second')"))  # waits for the first's lock
            outcome["ok"] = True
        except Exception as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert waiting.wait(timeout=30)
    thread.join(timeout=0.5)
    assert thread.is_alive()  # waiting on the lock (without a busy timeout it would have failed at once)
    first.commit()  # releases the lock while the second writer is (or will be) waiting on it
    first.close()
    thread.join(timeout=30)
    assert outcome == {"ok": True}
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes ORDER BY id")).scalars().all() == ["committed", "first",
                                                                                          "second"]
