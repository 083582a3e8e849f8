"""The Settings page: workspace facts, language, API keys shown once and revoked with CSRF, the password form."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from bizpilot.api.security import SESSION_COOKIE
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.db.migrate import head_revision
from bizpilot.services.auth import (
    check_password,
    create_api_key,
    list_api_keys,
    set_password,
)
from bizpilot.web.i18n import LANG_COOKIE
from bizpilot.web.routes.settings import workspace_facts
from tests.web.conftest import csrf_token, sign_in

KEY = re.compile(r'id="key-value" class="secret" value="(bp_[a-z0-9]{8}_[A-Za-z0-9_-]{43})"')


def create_key(client: TestClient, name: str, role: str = "read", token: str | None = "page") -> httpx.Response:
    data = {"name": name, "role": role}
    if token:
        data["csrf_token"] = csrf_token(client, "/settings") if token == "page" else token
    return client.post("/settings/keys", data=data, follow_redirects=False)


def test_workspace_facts_and_language(workspace: Path, engine: Engine, browser_client: TestClient) -> None:
    page = browser_client.get("/settings").text
    assert f'<code id="fact-home">{workspace.resolve()}</code>' in page
    assert f'id="fact-dialect">{engine.dialect.name}' in page
    assert f'<code id="fact-url">{engine.url.render_as_string(hide_password=True)}</code>' in page
    assert f'<code id="fact-revision">{head_revision(engine)}</code>' in page and 'id="fact-version">0.1.0' in page
    resp = browser_client.get("/settings?lang=zh")
    assert resp.cookies.get(LANG_COOKIE) == "zh" and '<option value="zh" selected>' in resp.text
    assert "工作区目录" in resp.text and "API 密钥" in resp.text and "控制台密码" in resp.text
    assert "工作区目录" in browser_client.get("/settings").text  # the cookie keeps the choice


def test_database_password_is_never_shown(engine: Engine) -> None:
    remote = create_engine("postgresql+psycopg://crm:s3cr3t-pw@127.0.0.1:1/crm", connect_args={"connect_timeout": 2})
    facts = workspace_facts(remote, admin=True)
    assert facts["url"] == "postgresql+psycopg://crm:***@127.0.0.1:1/crm" and facts["dialect"] == "postgresql"
    assert facts["revision"] is None  # unreachable: the page still renders
    assert "s3cr3t" not in repr(facts)
    assert workspace_facts(engine, admin=False)["home"] is None and workspace_facts(engine, admin=False)["url"] is None


def test_key_is_shown_once_works_and_can_be_revoked(engine: Engine, browser_client: TestClient) -> None:
    assert "No API keys yet." in browser_client.get("/settings").text
    resp = create_key(browser_client, "nightly-sync", role="write")
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    match = KEY.search(resp.text)
    assert match and "shown only this once" in resp.text and 'data-copy="key-value"' in resp.text
    key = match.group(1)
    assert TestClient(create_app()).get("/api/v1/accounts", headers={"X-API-Key": key}).status_code == 200

    page = browser_client.get("/settings").text
    assert key not in page and "_".join(key.split("_")[:2]) in page  # the prefix, never the key
    row = page.split('data-key="nightly-sync"')[1].split("</tr>")[0]
    assert ">write<" in row and "active" in row and "/revoke" in row

    duplicate = create_key(browser_client, "nightly-sync")
    assert duplicate.status_code == 409 and "already exists" in duplicate.text and not KEY.search(duplicate.text)
    with session_scope(engine) as session:
        info = next(k for k in list_api_keys(session=session) if k.name == "nightly-sync")
    assert browser_client.post(f"/settings/keys/{info.id}/revoke", follow_redirects=False).status_code == 403
    resp = browser_client.post(f"/settings/keys/{info.id}/revoke", data={"csrf_token": csrf_token(browser_client)},
                               follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/settings?notice=key_revoked")
    assert "The API key was revoked." in browser_client.get(resp.headers["location"]).text
    assert TestClient(create_app()).get("/api/v1/accounts", headers={"X-API-Key": key}).status_code == 401
    row = browser_client.get("/settings").text.split('data-key="nightly-sync"')[1].split("</tr>")[0]
    assert "/revoke" not in row and "active" not in row
    missing = browser_client.post("/settings/keys/999999/revoke", data={"csrf_token": csrf_token(browser_client)})
    assert missing.status_code == 404


def test_key_forms_need_csrf_valid_input_and_admin(engine: Engine, browser_client: TestClient) -> None:
    assert create_key(browser_client, "no-token", token=None).status_code == 403
    assert create_key(browser_client, "bad-token", token="f" * 64).status_code == 403
    bad_role = create_key(browser_client, "x", role="root")
    assert bad_role.status_code == 422 and "Choose the role" in bad_role.text
    assert create_key(browser_client, "   ").status_code == 422
    with session_scope(engine) as session:
        assert list_api_keys(session=session) == []
        writer, _ = create_api_key(session=session, name="writer", role="write")
    client = TestClient(create_app(), headers={"X-API-Key": writer})
    page = client.get("/settings").text
    assert "Managing API keys needs role admin." in page and 'id="key-form"' not in page
    assert 'id="fact-home"' not in page and 'id="password-form"' not in page and 'id="fact-revision"' in page
    resp = client.post("/settings/keys", data={"name": "sneaky", "role": "admin"})
    assert resp.status_code == 403 and "needs role admin" in resp.text
    with session_scope(engine) as session:
        assert [k.name for k in list_api_keys(session=session)] == ["writer"]


def test_password_first_set_then_changed(engine: Engine, browser_client: TestClient) -> None:
    page = browser_client.get("/settings").text
    assert "No password is set yet" in page and 'name="current"' not in page
    token = csrf_token(browser_client, "/settings")
    resp = browser_client.post("/settings/password", data={"new": "first-pass-1", "repeat": "first-pass-1",
                                                            "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and "notice=password_set" in resp.headers["location"]
    with session_scope(engine) as session:
        assert check_password(session=session, password="first-pass-1")
    page = browser_client.get("/settings")  # this browser got a fresh session, so it stays signed in
    assert page.status_code == 200 and "Password set." not in page.text and 'name="current"' in page.text

    other = sign_in(TestClient(create_app()), engine)
    token = csrf_token(browser_client, "/settings")

    def change(current: str, new: str, repeat: str) -> httpx.Response:
        return browser_client.post("/settings/password", data={"current": current, "new": new, "repeat": repeat,
                                                                "csrf_token": token}, follow_redirects=False)

    wrong = change("nope-nope", "second-pass", "second-pass")
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    assert "at least 8 characters" in change("first-pass-1", "short", "short").text
    assert "do not match" in change("first-pass-1", "second-pass", "second-pasS").text
    with session_scope(engine) as session:
        assert check_password(session=session, password="first-pass-1")
    assert browser_client.post("/settings/password", data={"current": "first-pass-1", "new": "second-pass",
                                                            "repeat": "second-pass"}).status_code == 403  # no CSRF
    resp = change("first-pass-1", "second-pass", "second-pass")
    assert resp.status_code == 303 and resp.cookies.get(SESSION_COOKIE)
    assert "Other browsers have been signed out." in browser_client.get(resp.headers["location"]).text
    with session_scope(engine) as session:
        assert check_password(session=session, password="second-pass")
    kicked = other.get("/settings", follow_redirects=False)
    assert kicked.status_code == 303 and kicked.headers["location"].startswith("/login")


def test_password_form_for_a_key_admin_does_not_touch_cookies(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="owner-pass")
        admin_key, _ = create_api_key(session=session, name="ops", role="admin")
    client = TestClient(create_app(), headers={"X-API-Key": admin_key})
    resp = client.post("/settings/password", data={"current": "owner-pass", "new": "rotated-pass",
                                                   "repeat": "rotated-pass"}, follow_redirects=False)
    assert resp.status_code == 303 and SESSION_COOKIE not in resp.cookies
    with session_scope(engine) as session:
        assert check_password(session=session, password="rotated-pass")
