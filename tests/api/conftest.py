"""API clients that carry a key: ``api_client`` (read), ``write_client``, ``admin_client``; ``make_key(role)``
for anything else. Import ``auth_headers`` where a test builds its own ``TestClient``."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import create_api_key

_names = itertools.count(1)


def auth_headers(key: str) -> dict[str, str]:
    """The headers an API client sends: ``Authorization: Bearer <key>``."""
    return {"Authorization": f"Bearer {key}"}


def new_key(engine: Engine, role: str = "read", name: str | None = None) -> str:
    """A key committed in its own transaction, as `bizpilot keys create` makes one."""
    with session_scope(engine) as session:
        key, _ = create_api_key(session=session, name=name or f"test-{role}-{next(_names)}", role=role)
    return key


@pytest.fixture
def make_key(engine: Engine) -> Callable[..., str]:
    """``make_key("write")`` -> a fresh key with that role in the test workspace."""
    return lambda role="read", name=None: new_key(engine, role, name)


@pytest.fixture
def read_key(engine: Engine) -> str:
    return new_key(engine, "read")


@pytest.fixture
def api_client(read_key: str) -> TestClient:
    return TestClient(create_app(), headers=auth_headers(read_key))


@pytest.fixture
def write_client(engine: Engine) -> TestClient:
    return TestClient(create_app(), headers=auth_headers(new_key(engine, "write")))


@pytest.fixture
def admin_client(engine: Engine) -> TestClient:
    return TestClient(create_app(), headers=auth_headers(new_key(engine, "admin")))
