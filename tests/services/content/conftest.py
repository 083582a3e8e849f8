"""Two businesses built once per session into template SQLite files, copied for each test so stored generations
and approvals never leak between tests: the demo business (the 6 s demo build happens once) and the small
hand-made catalog of ``data.seed_small`` (what the branch tests script drafts against)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from bizpilot.db import upgrade
from bizpilot.ingest.demo import build_demo
from tests.services.content.data import seed_small


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("content-demo") / "demo.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    build_demo(engine=engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def small_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("content-small") / "small.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_small(engine)
    engine.dispose()
    return path


def _copy(template: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / template.name
    shutil.copy(template, copy)
    engine = create_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def demo_engine(demo_db_file: Path, tmp_path: Path) -> Iterator[Engine]:
    yield from _copy(demo_db_file, tmp_path)


@pytest.fixture
def small_engine(small_db_file: Path, tmp_path: Path) -> Iterator[Engine]:
    yield from _copy(small_db_file, tmp_path)


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """The caller's unit of work, as an edge would hold it: services flush into it, the test commits or not."""
    with Session(demo_engine) as session:
        yield session


@pytest.fixture
def small_session(small_engine: Engine) -> Iterator[Session]:
    with Session(small_engine) as session:
        yield session
