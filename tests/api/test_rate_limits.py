"""Rate limits on signing in (password form, login links) and on creating API keys: per client IP and per account,
sliding windows from settings, 429 with Retry-After."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.api.ratelimit import SlidingWindow
from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import create_login_token, set_password
from bizpilot.services.users import create_user
from tests.api.conftest import auth_headers, new_key
from tests.web.conftest import csrf_token, sign_in


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_per_key_and_slides() -> None:
    clock = FakeClock()
    window = SlidingWindow(limit=3, window_s=60, clock=clock)
    for _ in range(3):
        assert window.retry_after(["ip:a"]) is None
        window.hit(["ip:a"])
        clock.now += 10  # events at 1000, 1010, 1020
    assert window.retry_after(["ip:a"]) == 30  # at 1030 the first event leaves at 1060
    assert window.retry_after(["ip:b"]) is None  # another address is not affected
    assert window.retry_after(["ip:b", "ip:a"]) == 30  # any key at its limit blocks
    clock.now = 1060.5
    assert window.retry_after(["ip:a"]) is None  # the oldest event slid out
    window.hit(["ip:a"])
    assert window.retry_after(["ip:a"]) == 10  # the one at 1010 leaves at 1070
    window.clear(["ip:a"])
    assert window.retry_after(["ip:a"]) is None


@pytest.fixture
def tight_limits(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("BIZPILOT_LOGIN_RATE_LIMIT", "3")
    monkeypatch.setenv("BIZPILOT_LOGIN_RATE_WINDOW_S", "300")
    monkeypatch.setenv("BIZPILOT_KEY_RATE_LIMIT", "2")
    monkeypatch.setenv("BIZPILOT_KEY_RATE_WINDOW_S", "3600")
    reset_settings()
    with session_scope(engine) as session:
        create_user(session=session, name="alice", email="alice@example.com", role="admin", password="alice pass 1")
        create_user(session=session, name="bob", email="bob@example.com", role="sales", password="bob pass 123")
        set_password(session=session, password="workspace pw!")
    return engine


def _client(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, client=(ip, 40000), raise_server_exceptions=False)


def test_login_is_limited_per_ip(tight_limits: Engine) -> None:
    client = _client(create_app(), "10.0.0.1")
    for name in ("x", "y", "z"):  # different names: the address's count still fills
        assert client.post("/login", data={"login": name, "password": "wrong"}).status_code == 401
    resp = client.post("/login", data={"login": "bob", "password": "bob pass 123"}, follow_redirects=False)
    assert resp.status_code == 429
    assert 290 <= int(resp.headers["Retry-After"]) <= 300
    assert "Too many failed attempts" in resp.text


def test_login_is_limited_per_account_across_addresses(tight_limits: Engine) -> None:
    app = create_app()
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert _client(app, ip).post("/login", data={"login": "Alice", "password": "guess"}).status_code == 401
    other = _client(app, "10.0.0.4")
    resp = other.post("/login", data={"login": "alice", "password": "alice pass 1"}, follow_redirects=False)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    # another account from the same fresh address is not held up
    resp = other.post("/login", data={"login": "bob", "password": "bob pass 123"}, follow_redirects=False)
    assert resp.status_code == 303


def test_a_successful_sign_in_clears_the_accounts_failures(tight_limits: Engine) -> None:
    app = create_app()
    first, second = _client(app, "10.0.0.1"), _client(app, "10.0.0.2")
    for _ in range(2):
        assert first.post("/login", data={"login": "alice", "password": "guess"}).status_code == 401
    resp = second.post("/login", data={"login": "alice", "password": "alice pass 1"}, follow_redirects=False)
    assert resp.status_code == 303
    third = _client(app, "10.0.0.3")
    for _ in range(2):
        assert third.post("/login", data={"login": "alice", "password": "guess"}).status_code == 401
    assert third.post("/login", data={"login": "alice", "password": "guess"}).status_code == 401  # 3rd of 3


def test_login_links_are_limited_per_ip(tight_limits: Engine) -> None:
    client = _client(create_app(), "10.0.0.9")
    for i in range(3):
        assert client.get(f"/login/token/not-a-token-{i}", follow_redirects=False).status_code == 401
    with session_scope(tight_limits) as session:
        token = create_login_token(session=session)
    resp = client.get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    # the link was not used up by the refused try: from another address it still signs in
    resp = _client(client.app, "10.0.0.10").get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 303


def test_key_creation_over_the_api_is_limited(tight_limits: Engine) -> None:
    client = _client(create_app(), "10.0.0.5")
    headers = auth_headers(new_key(tight_limits, "admin", "limit-admin"))
    for i in range(2):
        assert client.post("/api/v1/keys", json={"name": f"k{i}"}, headers=headers).status_code == 201
    resp = client.post("/api/v1/keys", json={"name": "k2"}, headers=headers)
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited"
    assert 3590 <= int(resp.headers["Retry-After"]) <= 3600
    names = [k["name"] for k in client.get("/api/v1/keys", headers=headers).json()["items"]]
    assert "k2" not in names
    documented = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/keys"]["post"]["responses"]
    assert "429" in documented


def test_key_creation_on_the_settings_page_is_limited(tight_limits: Engine) -> None:
    client = sign_in(TestClient(create_app()), tight_limits)
    token = csrf_token(client, "/settings")
    for i in range(2):
        resp = client.post("/settings/keys", data={"name": f"page{i}", "role": "read", "csrf_token": token})
        assert resp.status_code == 200 and "bp_" in resp.text
    resp = client.post("/settings/keys", data={"name": "page2", "role": "read", "csrf_token": token})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
