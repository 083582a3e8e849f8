"""Fixtures of the model-store tests: a workspace with priced products (the toy models' data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.services.models.toys import PriceModel, add_products


@pytest.fixture
def priced(engine: Engine) -> Engine:
    """The workspace with 50 products priced 1..50."""
    with Session(engine) as session:
        add_products(session, [float(p) for p in range(1, 51)])
        session.commit()
    return engine


@pytest.fixture(autouse=True)
def fresh_reads() -> Iterator[None]:
    PriceModel.reads = 0
    PriceModel.read_delay_s = 0.0
    yield
    PriceModel.read_delay_s = 0.0
