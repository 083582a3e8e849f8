"""The webhooks API (admins only): subscribe (the secret in that answer only), list without secrets, change, test
ping delivered to a real receiver on loopback and signed with that secret, deliveries with every attempt, delete;
validation errors; every other role gets 403."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain.user import User
from bizpilot.services.auth import create_api_key
from bizpilot.services.webhook_delivery import deliver_due
from tests.api.conftest import auth_headers, new_key
from tests.services.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def _user_client(engine: Engine, role: str) -> TestClient:
    """A client whose key belongs to a user with ``role`` (the key itself could do everything)."""
    with session_scope(engine) as session:
        user = User(name=f"{role}-user", email=f"{role}@example.com", role=role, active=True)
        session.add(user)
        session.flush()
        key, _ = create_api_key(session=session, name=f"{role}-key", role="admin", user_id=user.id)
    return TestClient(create_app(), headers=auth_headers(key))


def test_subscribe_test_ping_deliveries_and_delete(engine: Engine, admin_client: TestClient,
                                                   receiver: Receiver) -> None:
    created = admin_client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["record.changed"]})
    assert created.status_code == 201, created.text
    body = created.json()
    sub = body["subscription"]
    assert body["secret"].startswith("whsec_") and sub["events"] == ["record.changed"] and sub["active"] is True
    receiver.secret = body["secret"]
    listed = admin_client.get("/api/v1/webhooks").json()
    assert listed == {"items": [sub]} and body["secret"] not in str(listed)

    changed = admin_client.patch(f"/api/v1/webhooks/{sub['id']}", json={"events": ["*"]})
    assert changed.status_code == 200 and changed.json()["events"] == ["*"] and changed.json()["url"] == receiver.url
    ping = admin_client.post(f"/api/v1/webhooks/{sub['id']}/test")
    assert ping.status_code == 202 and ping.json()["event"] == "ping" and ping.json()["status"] == "pending"
    assert deliver_due(engine=engine).to_dict()["delivered"] == 1
    [got] = receiver.received
    assert got.signature_ok and got.headers["x-bizpilot-event"] == "ping"
    assert got.json["data"]["subscription_id"] == sub["id"]

    deliveries = admin_client.get(f"/api/v1/webhooks/{sub['id']}/deliveries").json()["items"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [
        ("ping", "delivered", 1, 200)]
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in deliveries[0]["attempt_log"]] == [
        (1, 200, "delivered")]
    assert admin_client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", params={"status": "failed"}).json() == {
        "items": []}

    off = admin_client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": False})
    assert off.json()["active"] is False
    inactive = admin_client.post(f"/api/v1/webhooks/{sub['id']}/test")
    assert inactive.status_code == 409 and inactive.json()["error"]["code"] == "conflict"
    assert admin_client.get("/api/v1/webhooks", params={"active": True}).json() == {"items": []}

    assert admin_client.delete(f"/api/v1/webhooks/{sub['id']}").status_code == 204
    assert admin_client.get(f"/api/v1/webhooks/{sub['id']}/deliveries").status_code == 404
    assert admin_client.delete(f"/api/v1/webhooks/{sub['id']}").status_code == 404


@pytest.mark.parametrize("payload,field", [
    ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
    ({"url": "https://example.com/x", "events": ["order.paid"]}, "events"),
    ({"url": "https://example.com/x", "events": []}, "events"),
    ({"url": "", "events": ["*"]}, "url"),
    ({"url": "https://example.com/" + "x" * 2100, "events": ["*"]}, "url"),
])
def test_invalid_subscriptions_are_422(admin_client: TestClient, payload: dict[str, object], field: str) -> None:
    resp = admin_client.post("/api/v1/webhooks", json=payload)
    assert resp.status_code == 422, resp.text
    assert field in str(resp.json()["error"]["details"])
    assert admin_client.get("/api/v1/webhooks").json() == {"items": []}


def test_only_admins_manage_webhooks(engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    clients = {"read key": api_client, "write key": write_client, "viewer": _user_client(engine, "viewer"),
               "sales": _user_client(engine, "sales"), "manager": _user_client(engine, "manager")}
    for who, client in clients.items():
        assert client.get("/api/v1/webhooks").status_code == 403, who
        resp = client.post("/api/v1/webhooks", json={"url": "https://example.com/h", "events": ["*"]})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden", who
        assert client.post("/api/v1/webhooks/1/test").status_code == 403, who
    admin = _user_client(engine, "admin")
    assert admin.post("/api/v1/webhooks", json={"url": "https://example.com/h"}).status_code == 201
    assert len(admin.get("/api/v1/webhooks").json()["items"]) == 1
    anonymous = TestClient(create_app())
    assert anonymous.get("/api/v1/webhooks").status_code == 401


def test_the_served_app_sends_deliveries_in_the_background(engine: Engine, receiver: Receiver) -> None:
    """`bizpilot serve` builds the app with its lifespan: the delivery worker runs while it serves."""
    app = create_app(schedule_retraining=True)
    with TestClient(app) as client:
        worker = app.state.webhook_worker
        assert worker is not None and worker.running
        admin = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]},
                            headers=auth_headers(new_key(engine, "admin")))
        receiver.secret = admin.json()["secret"]
        assert client.post(f"/api/v1/webhooks/{admin.json()['subscription']['id']}/test",
                           headers=auth_headers(new_key(engine, "admin"))).status_code == 202
        assert receiver.got.wait(60), "the worker sent nothing"
    assert not worker.running
    assert receiver.received[0].signature_ok and receiver.received[0].json["event"] == "ping"
