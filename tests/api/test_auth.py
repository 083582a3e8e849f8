"""Authentication at the HTTP edge: API keys and roles, the dashboard login (password, one-time link, logout),
CSRF for cookie-authenticated writes, open reads on loopback only, and the OpenAPI security scheme."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from bizpilot.api.security import (
    SESSION_COOKIE,
    WritePrincipal,
    access_guard,
    require_role,
)
from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain.security import LoginToken
from bizpilot.services.auth import (
    Principal,
    authenticate_key,
    create_login_token,
    list_api_keys,
    revoke_api_key,
    set_password,
)
from tests.api.conftest import auth_headers
from tests.api.test_routes import assert_error
from tests.web.conftest import csrf_token, sign_in

# --- API keys and roles ---------------------------------------------------------------------------------------


def test_data_routes_need_a_key(engine: Engine) -> None:
    client = TestClient(create_app())
    for path in ("/api/v1/accounts", "/api/v1/accounts/1", "/api/v1/stats", "/api/v1/keys"):
        resp = client.get(path)
        err = assert_error(resp, 401, "unauthorized")
        assert "bizpilot keys create" in err["message"] and resp.headers["www-authenticate"].startswith("Bearer")


def test_health_and_docs_stay_open(engine: Engine) -> None:
    client = TestClient(create_app())
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_wrong_malformed_and_revoked_keys_are_401(engine: Engine, make_key: Callable[..., str]) -> None:
    key = make_key("read", "scripts")
    client = TestClient(create_app())
    assert client.get("/api/v1/accounts", headers=auth_headers(key)).status_code == 200
    assert client.get("/api/v1/accounts", headers={"X-API-Key": key}).status_code == 200
    tampered = key[:-3] + ("xyz" if not key.endswith("xyz") else "abc")
    for headers in ({"Authorization": f"Bearer {tampered}"}, {"X-API-Key": "bp_nothing_" + "x" * 40},
                    {"Authorization": "Bearer not-a-key"}, {"Authorization": f"Basic {key}"},
                    {"Authorization": f"Bearer {tampered}", "X-API-Key": key}):
        assert_error(client.get("/api/v1/accounts", headers=headers), 401, "unauthorized")
    with session_scope(engine) as session:
        revoke_api_key(session=session, name_or_prefix="scripts")
    err = assert_error(client.get("/api/v1/accounts", headers=auth_headers(key)), 401, "unauthorized")
    assert "revoked" in err["message"] and key not in err["message"]


def test_key_use_is_recorded(engine: Engine, api_client: TestClient) -> None:
    with session_scope(engine) as session:
        assert list_api_keys(session=session)[0].last_used_at is None
    assert api_client.get("/api/v1/accounts").status_code == 200  # a read request: the touch is still committed
    with session_scope(engine) as session:
        assert list_api_keys(session=session)[0].last_used_at is not None


def test_read_key_cannot_write_and_admin_manages_keys(engine: Engine, api_client: TestClient,
                                                     write_client: TestClient, admin_client: TestClient) -> None:
    body = {"name": "new-robot", "role": "write"}
    err = assert_error(api_client.post("/api/v1/keys", json=body), 403, "forbidden")
    assert "role read" in err["message"] and "needs role write" in err["message"]
    err = assert_error(write_client.post("/api/v1/keys", json=body), 403, "forbidden")
    assert "needs role admin" in err["message"]
    assert_error(write_client.get("/api/v1/keys"), 403, "forbidden")
    resp = admin_client.post("/api/v1/keys", json=body)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["info"]["prefix"] in created["key"] and created["info"]["role"] == "write"
    listed = admin_client.get("/api/v1/keys").json()["items"]
    assert "new-robot" in [k["name"] for k in listed]
    assert created["key"] not in str(listed) and all("key_hash" not in k for k in listed)
    assert_error(admin_client.post("/api/v1/keys", json=body), 409, "conflict")
    err = assert_error(admin_client.post("/api/v1/keys", json={"name": "x", "role": "root"}), 422,
                       "validation_error")
    assert err["details"][0]["field"] == "role"
    assert admin_client.delete("/api/v1/keys/new-robot").json()["revoked_at"]
    with session_scope(engine) as session:
        assert authenticate_key(session=session, key=created["key"]) is None


def test_new_routes_are_protected_by_default(engine: Engine, make_key: Callable[..., str]) -> None:
    """A router behind ``access_guard`` (as every /api/v1 router is) needs read for GET and write for POST."""
    router = APIRouter(prefix="/api/v1/test-only", dependencies=[Depends(access_guard)])

    @router.get("/things")
    def things() -> dict[str, int]:
        return {"n": 1}

    @router.post("/things")
    def add_thing() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/who")
    def who(principal: WritePrincipal) -> dict[str, str]:
        return {"name": principal.name, "role": principal.role, "kind": principal.kind}

    @router.get("/admin-only", dependencies=[Depends(require_role("admin"))])
    def admin_only() -> dict[str, bool]:
        return {"ok": True}

    app = create_app()
    app.include_router(router)
    client = TestClient(app)
    read, write, admin = (auth_headers(make_key(role)) for role in ("read", "write", "admin"))
    assert_error(client.get("/api/v1/test-only/things"), 401, "unauthorized")
    assert client.get("/api/v1/test-only/things", headers=read).json() == {"n": 1}
    assert_error(client.post("/api/v1/test-only/things", headers=read), 403, "forbidden")
    assert client.post("/api/v1/test-only/things", headers=write).json() == {"ok": True}
    assert_error(client.get("/api/v1/test-only/who", headers=read), 403, "forbidden")
    assert client.get("/api/v1/test-only/who", headers=write).json()["role"] == "write"
    assert_error(client.get("/api/v1/test-only/admin-only", headers=write), 403, "forbidden")
    assert client.get("/api/v1/test-only/admin-only", headers=admin).json() == {"ok": True}
    assert require_role("write") is require_role("write")  # one dependency per role, cached by FastAPI
    with pytest.raises(ValueError):
        require_role("owner")  # type: ignore[arg-type]


def test_openapi_documents_the_security_schemes(engine: Engine) -> None:
    spec = TestClient(create_app()).get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["ApiKeyAuth"] == {**schemes["ApiKeyAuth"], "type": "apiKey", "in": "header",
                                     "name": "X-API-Key"}
    accounts = spec["paths"]["/api/v1/accounts"]["get"]
    assert {"BearerAuth": []} in accounts["security"] and {"ApiKeyAuth": []} in accounts["security"]
    assert {"401", "403"} <= set(accounts["responses"])
    assert "security" not in spec["paths"]["/api/v1/health"]["get"]
    unprotected = [f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method, op in ops.items()
                   if path != "/api/v1/health" and not op.get("security")]
    assert unprotected == []  # every data route (also those added later) needs a key or a session
    assert not any(path.startswith("/login") or path == "/logout" for path in spec["paths"])


# --- dashboard sessions ---------------------------------------------------------------------------------------


def test_pages_redirect_to_login_and_static_stays_public(engine: Engine) -> None:
    client = TestClient(create_app())
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    resp = client.get("/accounts?q=tea&page=2", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/accounts%3Fq%3Dtea%26page%3D2"
    resp = client.get("/forecasts", headers={"Accept": "application/json"})
    assert_error(resp, 401, "unauthorized")
    assert client.get("/static/app.css").status_code == 200
    page = client.get("/login")
    assert page.status_code == 200 and "bizpilot init --password" in page.text  # no password yet
    assert 'type="password"' not in page.text and 'href="/accounts"' not in page.text  # no nav before sign-in
    assert "登录" in client.get("/login?lang=zh").text
    with session_scope(engine) as session:
        set_password(session=session, password="open sesame!")
    page = client.get("/login?next=/accounts%3Fq%3Dtea%26page%3D2").text
    assert 'type="password"' in page and 'name="next" value="/accounts?q=tea&amp;page=2"' in page


def test_password_login_and_wrong_password(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="open sesame!")
    client = TestClient(create_app())
    assert 'type="password"' in client.get("/login").text
    resp = client.post("/login", data={"password": "open sesame?", "next": "/accounts"}, follow_redirects=False)
    assert resp.status_code == 401 and "Wrong password." in resp.text and SESSION_COOKIE not in client.cookies
    resp = client.post("/login", data={"password": "open sesame!", "next": "/accounts"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/accounts"
    cookie = resp.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and "Max-Age=1209600" in cookie
    page = client.get("/accounts")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert client.get("/api/v1/accounts").status_code == 200  # the session may read the API from the browser
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"  # already signed in


def test_session_cookie_is_secure_over_https(engine: Engine) -> None:
    client = TestClient(create_app(), base_url="https://testserver")
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    resp = client.get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 303 and "Secure" in resp.headers["set-cookie"]


@pytest.mark.parametrize("target,expected", [
    ("/accounts?q=a", "/accounts?q=a"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("accounts", "/"), ("/login", "/"), ("/ok\r\nSet-Cookie: x=1", "/"),
])
def test_next_must_be_a_local_path(engine: Engine, target: str, expected: str) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="open sesame!")
    client = TestClient(create_app())
    resp = client.post("/login", data={"password": "open sesame!", "next": target}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == expected


def test_failed_logins_are_throttled(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="open sesame!")
    client = TestClient(create_app())
    for _ in range(10):
        assert client.post("/login", data={"password": "guess"}).status_code == 401
    resp = client.post("/login", data={"password": "open sesame!"}, follow_redirects=False)
    assert resp.status_code == 429 and "Too many failed attempts" in resp.text


def test_login_link_works_once_and_expires(engine: Engine) -> None:
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    client = TestClient(create_app())
    resp = client.get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/" and client.cookies.get(SESSION_COOKIE)
    assert client.get("/").status_code == 200
    other = TestClient(create_app())
    resp = other.get(f"/login/token/{token}", follow_redirects=False)
    assert resp.status_code == 401 and "invalid, expired or already used" in resp.text
    with session_scope(engine) as session:
        late = create_login_token(session=session)
    with engine.begin() as conn:
        conn.execute(update(LoginToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert other.get(f"/login/token/{late}", follow_redirects=False).status_code == 401
    assert other.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(engine: Engine) -> None:
    client = sign_in(TestClient(create_app()), engine)
    session_cookie = client.cookies[SESSION_COOKIE]
    token = csrf_token(client)
    assert_error(client.post("/logout", headers={"Accept": "application/json"}), 403, "forbidden")
    resp = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?signed_out=1"
    assert SESSION_COOKIE not in client.cookies
    assert "You are signed out." in client.get("/login?signed_out=1").text
    replay = TestClient(create_app(), cookies={SESSION_COOKIE: session_cookie})
    assert replay.get("/", follow_redirects=False).status_code == 303  # the old cookie is dead server-side
    assert_error(replay.get("/api/v1/accounts"), 401, "unauthorized")


def test_cookie_writes_need_the_csrf_token(engine: Engine) -> None:
    client = sign_in(TestClient(create_app()), engine)
    token = csrf_token(client)
    body = {"name": "from-browser", "role": "read"}
    err = assert_error(client.post("/api/v1/keys", json=body), 403, "forbidden")
    assert "CSRF" in err["message"]
    assert_error(client.post("/api/v1/keys", json=body, headers={"X-CSRF-Token": "0" * 64}), 403, "forbidden")
    resp = client.post("/api/v1/keys", json=body, headers={"X-CSRF-Token": token})
    assert resp.status_code == 201 and resp.json()["info"]["name"] == "from-browser"
    assert client.delete("/api/v1/keys/from-browser", headers={"X-CSRF-Token": token}).status_code == 200


# --- open reads -----------------------------------------------------------------------------------------------


@pytest.fixture
def open_reads(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    monkeypatch.setenv("BIZPILOT_AUTH_OPEN_READS", "1")
    reset_settings()


def test_open_reads_only_for_loopback_clients_and_only_reads(open_reads: None, engine: Engine) -> None:
    local = TestClient(create_app(), client=("127.0.0.1", 50000))
    assert local.get("/api/v1/accounts").status_code == 200
    assert local.get("/").status_code == 200
    assert 'action="/logout"' not in local.get("/").text
    assert_error(local.post("/api/v1/keys", json={"name": "x"}), 401, "unauthorized")
    ipv6 = TestClient(create_app(), client=("::1", 50000))
    assert ipv6.get("/api/v1/accounts").status_code == 200
    remote = TestClient(create_app(), client=("203.0.113.7", 50000))
    assert_error(remote.get("/api/v1/accounts"), 401, "unauthorized")
    proxied = local.get("/api/v1/accounts", headers={"X-Forwarded-For": "203.0.113.7"})
    assert_error(proxied, 401, "unauthorized")


def test_open_reads_off_by_default_and_per_app(engine: Engine) -> None:
    local_app = create_app()
    local = TestClient(local_app, client=("127.0.0.1", 50000))
    assert_error(local.get("/api/v1/accounts"), 401, "unauthorized")
    local_app.state.auth_open_reads = True  # what `bizpilot serve --open-reads` sets after its host check
    assert local.get("/api/v1/accounts").status_code == 200


def test_principal_reaches_the_route(engine: Engine, make_key: Callable[..., str]) -> None:
    app = create_app()
    seen: list[Principal] = []

    def whoami(principal: Annotated[Principal, Depends(require_role("read"))]) -> dict[str, str]:
        seen.append(principal)
        return {"kind": principal.kind}

    app.add_api_route("/api/v1/whoami", whoami)
    client = TestClient(app, headers=auth_headers(make_key("admin", "boss")))
    assert client.get("/api/v1/whoami").json() == {"kind": "key"}
    assert (seen[0].name, seen[0].role) == ("boss", "admin")
