"""The service tests' fixtures over the small, hand-checkable dataset of ``sample_data.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.services import sample_data as sd


@pytest.fixture
def sample(engine: Engine) -> dict[str, int]:
    """The sample dataset, imported through the real pipeline: account ids by external id."""
    return sd.load_sample(engine)


@pytest.fixture
def sample_session(engine: Engine, sample: dict[str, int]) -> Iterator[Session]:
    """A session over the sample dataset, held as an edge holds it (services flush into it, never commit)."""
    with Session(engine) as session:
        yield session
