"""The demo business built once per session into a template SQLite file; each test gets its own copy, so stored
generations and approvals never leak between tests (and the 6 s demo build happens once)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from bizpilot.db import upgrade
from bizpilot.ingest.demo import build_demo


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("content-demo") / "demo.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    build_demo(engine=engine)
    engine.dispose()
    return path


@pytest.fixture
def demo_engine(demo_db_file: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db_file, copy)
    engine = create_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()
