"""Settings › Webhooks (admins): create a subscription (its secret shown once, no-store), send a test ping that a real
receiver on loopback gets, see the delivery's status, deactivate and delete; forms need the CSRF token; other
roles get 403; both languages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.services.webhook_delivery import deliver_due
from tests.api.conftest import auth_headers, new_key
from tests.services.webhook_receiver import webhook_receiver
from tests.web.conftest import csrf_token

SECRET = re.compile(r'id="secret-value" class="secret" value="(whsec_[A-Za-z0-9_-]{43})"')


def test_create_test_deactivate_and_delete(engine: Engine, browser_client: TestClient) -> None:
    page = browser_client.get("/settings/webhooks")
    assert page.status_code == 200 and "No webhooks yet." in page.text and "No deliveries yet." in page.text
    token = csrf_token(browser_client, "/settings/webhooks")
    with webhook_receiver() as receiver:
        created = browser_client.post("/settings/webhooks", data={
            "csrf_token": token, "url": receiver.url, "events": ["task.created", "alert.raised"]})
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        match = SECRET.search(created.text)
        assert match and "Copy the signing secret now" in created.text
        receiver.secret = match.group(1)
        listing = browser_client.get("/settings/webhooks").text
        assert receiver.url in listing and match.group(1) not in listing  # the secret is never shown again
        assert '<span class="tag">task.created</span> <span class="tag">alert.raised</span>' in listing
        sub_id = int(re.search(r'data-webhook="(\d+)"', listing).group(1))

        queued = browser_client.post(f"/settings/webhooks/{sub_id}/test", data={"csrf_token": token},
                                     follow_redirects=False)
        assert queued.status_code == 303 and queued.headers["location"] == "/settings/webhooks?notice=ping_queued"
        pending = browser_client.get("/settings/webhooks").text
        assert 'data-status="pending"' in pending and "Test message queued" not in pending
        assert deliver_due(engine=engine).to_dict()["delivered"] == 1
        assert receiver.received[0].signature_ok and receiver.received[0].headers["x-bizpilot-event"] == "ping"
    delivered = browser_client.get("/settings/webhooks").text
    assert 'data-status="delivered"' in delivered and "HTTP 200" in delivered
    assert 'data-status="delivered"' not in browser_client.get("/settings/webhooks?status=failed").text

    off = browser_client.post(f"/settings/webhooks/{sub_id}/active", data={"csrf_token": token, "active": "false"},
                              follow_redirects=True)
    assert "Webhook updated." in off.text and ">inactive</span>" in off.text and "Send test" not in off.text
    refused = browser_client.post(f"/settings/webhooks/{sub_id}/test", data={"csrf_token": token})
    assert "activate it before sending a test" in refused.text
    gone = browser_client.post(f"/settings/webhooks/{sub_id}/delete", data={"csrf_token": token})
    assert "Webhook deleted." in gone.text and "No webhooks yet." in gone.text


def test_bad_input_and_missing_csrf(browser_client: TestClient) -> None:
    token = csrf_token(browser_client, "/settings/webhooks")
    bad = browser_client.post("/settings/webhooks", data={"csrf_token": token, "url": "ftp://example.com/x",
                                                          "events": ["*"]})
    assert bad.status_code == 422 and 'id="webhook-error"' in bad.text and "http:// or https://" in bad.text
    assert 'value="ftp://example.com/x"' in bad.text  # the form keeps what was typed
    none = browser_client.post("/settings/webhooks", data={"csrf_token": token, "url": "https://example.com/x"})
    assert none.status_code == 422 and "no events given" in none.text
    forged = browser_client.post("/settings/webhooks", data={"url": "https://example.com/x", "events": ["*"]})
    assert forged.status_code == 403
    assert "No webhooks yet." in browser_client.get("/settings/webhooks").text


def test_admins_only_and_chinese(engine: Engine, browser_client: TestClient) -> None:
    for role in ("read", "write"):
        client = TestClient(create_app(), headers=auth_headers(new_key(engine, role)))
        assert client.get("/settings/webhooks").status_code == 403
        assert client.post("/settings/webhooks/1/delete").status_code == 403
    zh = browser_client.get("/settings/webhooks?lang=zh").text
    assert "还没有 Webhook。" in zh and "新建 Webhook" in zh and "助手将对话转交人工" in zh
