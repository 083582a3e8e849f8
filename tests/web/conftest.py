"""A browser signed in to the dashboard: ``browser_client`` (via the one-time login link, as a person would);
``sign_in(client, engine)`` for a client a test builds itself; ``csrf_token(client)`` reads the page's token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.api.security import SESSION_COOKIE
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import create_login_token


def sign_in(client: TestClient, engine: Engine) -> TestClient:
    """Open a fresh one-time login link with ``client``; its cookie jar then holds the session."""
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    resp = client.get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]
    assert client.cookies.get(SESSION_COOKIE)
    return client


def csrf_token(client: TestClient, page: str = "/") -> str:
    """The CSRF token a signed-in page carries (the logout form and ``<meta name="csrf-token">``)."""
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', client.get(page).text)
    assert match, "page has no CSRF token (not signed in?)"
    return match.group(1)


@pytest.fixture
def browser_client(engine: Engine) -> TestClient:
    return sign_in(TestClient(create_app()), engine)
