"""Settings › Language models: each model with its stored probe (voice, language, facts, verdict, when, who writes),
the remote endpoint saved by an admin (audited; the key only named, never shown), a bad value named on the form,
"Test connection" run in the background against a real loopback OpenAI-compatible server, and writes refused to
anyone but admins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain.audit import AuditEntry
from bizpilot.llm.registry import clear_cache
from bizpilot.services.llmprobe import save_result
from bizpilot.services.llmprobe.jobs import wait_for_tests
from bizpilot.services.users import create_user
from tests.services.llmprobe.openai_loopback import MODEL, openai_loopback
from tests.web.conftest import csrf_token, sign_in

SECRET = "sk-page-test-abcdef0123456789"


@pytest.fixture(autouse=True)
def _fresh_backends() -> None:
    clear_cache()
    yield
    clear_cache()


def _row(page: str, key: str) -> str:
    match = re.search(rf'<tr data-model="{re.escape(key)}".*?</tr>', page, re.S)
    assert match, f"no row for {key}"
    return match.group()


def test_each_model_shows_its_stored_probe(workspace: Path, browser_client: TestClient) -> None:
    save_result({"model": "local:SmolLM2-135M-Instruct.Q4_1", "packaged": "smollm2", "passed": False, "score": 0.25,
                 "date": "2025-06-01T08:30:00+00:00", "capabilities": {"voice": False, "language": True,
                                                                       "facts": False, "form": True}},
                home=workspace)
    page = browser_client.get("/settings").text
    row = _row(page, "local:smollm2")
    assert 'data-active="1"' in row   # the suite's configured model writes
    assert re.findall(r'class="cap-(\w+)"><span class="tag (\w+)">', row) == [("voice", "lost"), ("language", "won"),
                                                                               ("facts", "lost")]
    assert ">failed<" in row and "score 0.25" in row and "2025-06-01 08:30 UTC" in row
    assert "the deterministic path writes" in row
    unprobed = _row(page, "local:qwen2.5-coder-0.5b")
    assert "not probed" in unprobed and "not probed yet; every draft checked" in unprobed
    zh = browser_client.get("/settings?lang=zh").text
    assert "语言模型" in zh and "确定性模板撰写" in _row(zh, "local:smollm2")


def test_a_model_that_passed_in_one_language_drafts_in_that_one(workspace: Path, browser_client: TestClient) -> None:
    save_result({"model": "local:SmolLM2-135M-Instruct.Q4_1", "packaged": "smollm2", "passed": False, "score": 0.75,
                 "languages": {"en": True, "zh": False}, "date": "2025-06-01T08:30:00+00:00",
                 "capabilities": {"voice": True, "language": True, "facts": False, "form": True}}, home=workspace)
    row = _row(browser_client.get("/settings").text, "local:smollm2")
    assert "the model drafts in en (checked); the deterministic path writes the other languages" in row


def test_admin_saves_and_tests_the_endpoint(engine: Engine, browser_client: TestClient,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPBACK_API_KEY", SECRET)
    with openai_loopback() as server:
        token = csrf_token(browser_client, "/settings")
        bad = browser_client.post("/settings/llm/endpoint", data={
            "csrf_token": token, "base_url": server.url, "model": MODEL, "api_key_env": "SESSION_SECRET"})
        assert bad.status_code == 422 and 'id="llm-error"' in bad.text and "_API_KEY" in bad.text
        assert f'value="{server.url}"' in bad.text   # the form keeps what was typed
        resp = browser_client.post("/settings/llm/endpoint", data={
            "csrf_token": token, "base_url": server.url, "model": MODEL, "api_key_env": "LOOPBACK_API_KEY",
            "use_for_generation": "1"}, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/settings?notice=llm_saved#llm"
        page = browser_client.get("/settings").text
        assert "$LOOPBACK_API_KEY is set in the server&#39;s environment." in page and SECRET not in page
        assert 'data-active="1"' in _row(page, f"openai:{MODEL}@{server.url}")
        resp = browser_client.post("/settings/llm/test", data={"csrf_token": token}, follow_redirects=False)
        assert resp.headers["location"] == "/settings?notice=llm_test_started#llm"
        wait_for_tests()
    page = browser_client.get("/settings").text
    test = re.search(r'<div id="llm-test" data-state="(\w+)".*?</div>\s*</div>', page, re.S)
    assert test and test.group(1) == "done"
    assert "Reachable." in test.group() and "Probe passed (score 1.0): it drafts content." in test.group()
    assert f"Models served: {MODEL}" in test.group()
    assert '<meta http-equiv="refresh"' not in page   # done: no more reloading
    row = _row(page, f"openai:{MODEL}@{server.url}")
    assert ">passed<" in row and "the model drafts (checked)" in row
    with session_scope(engine) as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "settings")).all()
    assert [(a.action, a.channel) for a in audit] == [("update", "page")] and SECRET not in str(audit[0].changes)
    # the server is gone now: testing again says so, in words
    browser_client.post("/settings/llm/test", data={"csrf_token": token})
    wait_for_tests()
    page = browser_client.get("/settings").text
    assert 'data-state="failed"' in page and "Not reachable." in page and f"cannot reach {server.url}" in page
    resp = browser_client.post("/settings/llm/endpoint/delete", data={"csrf_token": token}, follow_redirects=False)
    assert resp.headers["location"] == "/settings?notice=llm_removed#llm"
    assert 'id="llm-endpoint"' not in browser_client.get("/settings").text


def test_only_admins_change_the_endpoint(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="rita", email=None, role="sales", password="rita-password-1")
        create_user(session=session, name="ada", email=None, role="admin", password="ada-password-1")
    client = TestClient(create_app())
    login = client.post("/login", data={"login": "rita", "password": "rita-password-1"}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get("/settings").text
    assert 'id="llm-models"' in page and 'id="llm-endpoint-form"' not in page
    token = csrf_token(client, "/settings")
    resp = client.post("/settings/llm/endpoint", data={"csrf_token": token, "base_url": "http://127.0.0.1:9/v1",
                                                       "model": MODEL})
    assert resp.status_code == 403
    assert client.post("/settings/llm/test", data={"csrf_token": token}).status_code == 403
    admin = sign_in(TestClient(create_app()), engine)
    assert 'id="llm-endpoint-form"' in admin.get("/settings").text
