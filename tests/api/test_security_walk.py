"""The security walk: every route of the app (API and pages), called with no credentials, a read, a write and an
admin key, and with a signed-in session cookie with and without its CSRF token on state-changing methods.

The level a route needs is read from its dependencies (``access_guard``: read for GET, write otherwise;
``require_<role>``: that role; only ``authenticate``: any principal), so a new route is checked as it is declared.
Only the public routes are listed by hand, and a route with no guard that is not listed fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.api.security import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import session_principal
from bizpilot.services.users import create_user
from tests.api.conftest import auth_headers, new_key
from tests.web.conftest import sign_in

LEVELS = ("read", "write", "admin")
# Routes anyone may call: the health probe, the API schema and its docs page, signing in and out. Static files
# are a mount (no route dependencies) and are checked separately below.
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/api/v1/health"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs"),
    ("GET", "/login"), ("POST", "/login"), ("GET", "/login/token/{token}"), ("POST", "/logout"),
})
# Routes that only authenticate in their dependencies and check the role in the handler (to answer a page that
# says what is missing instead of bouncing to the login form); see the handler's docstring.
# "session": only a signed-in user (changing their own password), never a key.
HANDLER_CHECKED: dict[tuple[str, str], str] = {("POST", "/imports"): "write", ("POST", "/pipeline/stages"): "admin",
                                               ("POST", "/settings/profile/password"): "session"}
# Public routes that change state and must still refuse a signed-in cookie without its CSRF token.
PUBLIC_CSRF: frozenset[tuple[str, str]] = frozenset({("POST", "/logout")})


def _calls(dependant: Any) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def required_level(method: str, route: Any) -> str | None:
    """'read'/'write'/'admin' from the route's guards; 'any' when it only authenticates; None when it is open."""
    dependant = getattr(route, "dependant", None)  # the schema route is a plain Starlette route: no guard
    names = {getattr(call, "__name__", "") for call in _calls(dependant)} if dependant is not None else set()
    roles = [role for role in LEVELS if f"require_{role}" in names]
    if "access_guard" in names:
        roles.append("read" if method in SAFE_METHODS else "write")
    handler = HANDLER_CHECKED.get((method, route.path))
    if handler in LEVELS:
        roles.append(handler)
    if roles:
        return max(roles, key=LEVELS.index)
    if "authenticate" in names:
        return handler or "any"
    return None


def all_operations() -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route of a fresh app, HEAD left out (it mirrors GET)."""
    ops = []
    for context in iter_route_contexts(create_app().routes):
        if not context.methods:
            continue  # the /static mount (checked below)
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                ops.append((method, context.path, context))
    return ops


def concrete(path: str) -> str:
    """A path with every parameter filled with a value that names nothing (no id, key name or key prefix), so a
    route at its level answers 404/422 and never acts on the walk's own keys or session."""
    return re.sub(r"\{[^}]+\}", "987654", path)


def call(client: TestClient, method: str, path: str, *, headers: dict[str, str] | None = None,
         csrf: str | None = None) -> Any:
    """One request as a client would send it: JSON for the API, a form for pages (with ``csrf`` as its field)."""
    url = concrete(path)
    if method in SAFE_METHODS:
        return client.request(method, url, headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        extra = {CSRF_HEADER: csrf} if csrf else {}
        return client.request(method, url, json={}, headers={**(headers or {}), **extra}, follow_redirects=False)
    return client.request(method, url, data={CSRF_FIELD: csrf} if csrf else {}, headers=headers,
                          follow_redirects=False)


# Service answers that say a part is not ready (documented 503s), not server faults.
NOT_READY = ("model_not_ready", "llm_unavailable", "llm_error")


def server_fault(resp: Any) -> bool:
    """A 5xx other than a documented "not ready" answer (a model still training, no LLM configured)."""
    if resp.status_code < 500:
        return False
    try:
        code = resp.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return True
    return resp.status_code == 500 or code not in NOT_READY


def is_unauthenticated(path: str, resp: Any) -> bool:
    """401 for the API; pages send an anonymous browser to the sign-in form (303 to /login) instead."""
    if path.startswith("/api/"):
        return bool(resp.status_code == 401)
    return resp.status_code == 401 or (resp.status_code == 303 and resp.headers["location"].startswith("/login"))


OPS = all_operations()


def test_every_route_has_a_known_level() -> None:
    """A route with no guard must be one of the deliberate public routes; the listed ones must still exist."""
    open_routes = {(m, p) for m, p, r in OPS if required_level(m, r) is None}
    assert open_routes == PUBLIC
    assert set(HANDLER_CHECKED) <= {(m, p) for m, p, _ in OPS}
    assert len(OPS) > 150  # the walk sees the whole app, not one router


def test_keys_by_level(engine: Engine) -> None:
    """No key: 401; a key below the route's level: 403; at or above it: anything but 401/403/5xx."""
    client = TestClient(create_app(), raise_server_exceptions=False)
    keys = {level: new_key(engine, level, f"walk-{level}") for level in LEVELS}
    failures: list[str] = []
    for method, path, route in OPS:
        level = required_level(method, route)
        if level is None:
            resp = call(client, method, path)
            if server_fault(resp):
                failures.append(f"{method} {path} public: {resp.status_code}")
            continue
        resp = call(client, method, path)
        if not is_unauthenticated(path, resp):
            failures.append(f"{method} {path} without credentials: {resp.status_code}")
        for have in LEVELS:
            resp = call(client, method, path, headers=auth_headers(keys[have]))
            allowed = level == "any" or (level in LEVELS and LEVELS.index(have) >= LEVELS.index(level))
            if server_fault(resp):
                failures.append(f"{method} {path} with {have} key: {resp.status_code} {resp.text[:200]}")
            elif allowed and resp.status_code in (401, 403):
                failures.append(f"{method} {path} needs {level}, {have} key refused: {resp.status_code}")
            elif not allowed and resp.status_code != 403:
                failures.append(f"{method} {path} needs {level}, {have} key got {resp.status_code}")
    assert failures == [], "\n".join(failures)


def _csrf(engine: Engine, client: TestClient) -> str:
    with session_scope(engine) as session:
        principal = session_principal(session=session, token=client.cookies.get(SESSION_COOKIE) or "")
    assert principal is not None and principal.csrf_token
    return principal.csrf_token


def test_session_writes_need_the_csrf_token(engine: Engine) -> None:
    """A signed-in (admin) cookie on every state-changing route: without the token 403, with it never 401/403/5xx.
    Signing out runs last, as it ends the session. The session is a real admin user's (the first admin), so
    changing one's own password is among the writes."""
    with session_scope(engine) as session:
        create_user(session=session, name="walk-admin", email="walk@example.com", role="admin")
    client = sign_in(TestClient(create_app(), raise_server_exceptions=False), engine)
    writes = [(m, p, r) for m, p, r in OPS if m not in SAFE_METHODS
              and (required_level(m, r) is not None or (m, p) in PUBLIC_CSRF)]
    writes.sort(key=lambda op: op[1] == "/logout")
    assert writes and writes[-1][1] == "/logout"
    failures: list[str] = []
    for method, path, _route in writes:
        resp = call(client, method, path)
        if resp.status_code != 403:
            failures.append(f"{method} {path} without CSRF token: {resp.status_code}")
        if client.cookies.get(SESSION_COOKIE) is None or not _still_signed_in(engine, client):
            sign_in(client, engine)
        resp = call(client, method, path, csrf=_csrf(engine, client))
        if server_fault(resp) or resp.status_code in (401, 403):
            failures.append(f"{method} {path} with CSRF token: {resp.status_code} {resp.text[:200]}")
        if not _still_signed_in(engine, client):
            sign_in(client, engine)
    assert failures == [], "\n".join(failures)


def _still_signed_in(engine: Engine, client: TestClient) -> bool:
    with session_scope(engine) as session:
        return session_principal(session=session, token=client.cookies.get(SESSION_COOKIE) or "") is not None


@pytest.mark.parametrize("path", ["/static/app.css", "/static/app.js", "/api/v1/health"])
def test_public_assets_need_no_credentials(engine: Engine, path: str) -> None:
    resp = TestClient(create_app()).get(path)
    assert resp.status_code == 200
