"""Shared fixtures: every test gets its own workspace; storage tests run on PostgreSQL when CI sets
``BIZPILOT_DATABASE_URL`` (``make test-postgres``), on a fresh SQLite file otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, upgrade

JOBS_TIMEOUT_S = 900  # background trainings a test left behind, at most (a hung one fails the test, never hangs)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; tests that need it skip with a reason where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset not available here: {path} (see ../shared/data/README.md)")
    return path


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, migrated workspace directory as BIZPILOT_HOME (database included)."""
    home = tmp_path / "ws"
    monkeypatch.setenv("BIZPILOT_HOME", str(home))
    if not os.environ.get("BIZPILOT_LLM_MODEL"):
        # The same small local model on every machine: the default is the strongest one installed (the 1.5B where
        # `make demo` put it), which would make the suite's speed and texts depend on the machine.
        monkeypatch.setenv("BIZPILOT_LLM_MODEL", "smollm2")
    if not os.environ.get("BIZPILOT_DATABASE_URL"):
        monkeypatch.delenv("BIZPILOT_DATABASE_URL", raising=False)
    reset_settings()
    reset_engine()
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
    upgrade(engine)
    yield home
    reset_engine()
    reset_settings()


@pytest.fixture
def engine(workspace: Path) -> Engine:
    return get_engine()


@pytest.fixture(autouse=True)
def background_training(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test with a workspace waits for the models it queued for background training and forgets them before the
    workspace goes, so no training thread outlives its workspace (or writes into the next test's)."""
    if "workspace" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("workspace")  # set up first, so torn down after this fixture
    yield
    from bizpilot.services.models import jobs

    try:
        jobs.wait(timeout=JOBS_TIMEOUT_S)
    finally:
        jobs.forget_jobs()
