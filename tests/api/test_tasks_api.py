"""The tasks API: refresh in the request (write role), list with owner=me and other filters, create, change with a
version (a stale one is 409 and nothing changes), done/snooze/reopen, ownership per user, documented errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Task
from bizpilot.services.auth import create_api_key
from tests.api.conftest import auth_headers
from tests.services.tasks_data import seed_tasks_workspace

Client = Callable[[str], TestClient]


@pytest.fixture
def ws(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    return seed_tasks_workspace(engine, monkeypatch)


@pytest.fixture
def client_of(engine: Engine, ws: dict[str, int]) -> Client:
    """``client_of("ann")``: a client with a write key of that user (``"nobody"``: a write key of no user)."""
    app = create_app()

    def make(name: str) -> TestClient:
        with session_scope(engine) as session:
            key, _ = create_api_key(session=session, name=f"key-{name}", role="write",
                                    user_id=None if name == "nobody" else ws[name])
        return TestClient(app, headers=auth_headers(key))

    return make


def test_refresh_runs_in_the_request_and_lists_filter_by_owner(client_of: Client, ws: dict[str, int]) -> None:
    ann, vic = client_of("ann"), client_of("vic")
    assert vic.post("/api/v1/tasks/refresh").status_code == 403  # a viewer's key only reads
    first = ann.post("/api/v1/tasks/refresh")
    assert first.status_code == 200, first.text
    body = first.json()
    assert list(body) == ["created", "kept", "closed", "skipped"] and body["created"]["alert"] == 1
    again = ann.post("/api/v1/tasks/refresh").json()
    assert again["kept"] == body["created"] and sum(again["created"].values()) == 0

    mine = ann.get("/api/v1/tasks", params={"owner": "me", "status": "active", "limit": 1000}).json()
    assert mine["total"] == len(mine["items"]) > 0 and {t["owner_name"] for t in mine["items"]} == {"ann"}
    handoff = next(t for t in mine["items"] if t["source"] == "handoff")
    assert (handoff["account_name"], handoff["ticket_id"], handoff["overdue"]) == ("Builder 2", ws["ticket"], False)
    by_name = vic.get("/api/v1/tasks", params={"owner": "bob", "source": "alert"}).json()
    assert [(t["owner_name"], t["account_id"]) for t in by_name["items"]] == [("bob", ws["O02"])]
    account = vic.get("/api/v1/tasks", params={"account_id": ws["B02"]}).json()
    assert account["total"] > 0 and {t["account_id"] for t in account["items"]} == {ws["B02"]}
    soon = vic.get("/api/v1/tasks", params={"due_before": "2025-07-02"}).json()
    assert soon["total"] > 0 and all(t["due_date"] < "2025-07-02" for t in soon["items"])
    page = vic.get("/api/v1/tasks", params={"limit": 2, "offset": 2}).json()
    assert (len(page["items"]), page["limit"], page["offset"]) == (2, 2, 2)
    assert vic.get("/api/v1/tasks", params={"owner": "none"}).json()["total"] == 0  # every account has an owner

    nobody = client_of("nobody").get("/api/v1/tasks", params={"owner": "me"})
    assert nobody.status_code == 422 and "owner=me needs a user" in nobody.json()["error"]["message"]
    assert vic.get("/api/v1/tasks", params={"owner": "zed"}).status_code == 404
    for bad in ({"status": "later"}, {"limit": 0}, {"source": "rumour"}, {"account_id": 0}):
        assert vic.get("/api/v1/tasks", params=bad).status_code == 422, bad


def test_create_change_with_versions_and_ownership(engine: Engine, client_of: Client, ws: dict[str, int]) -> None:
    ann, bob = client_of("ann"), client_of("bob")
    created = ann.post("/api/v1/tasks", json={"title": "Quote 40 drills", "account_id": ws["B02"],
                                              "due_date": "2025-07-04", "priority": "high"})
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["owner_id"], task["source"], task["version"], task["account_name"]) == (ws["ann"], "manual", 1,
                                                                                         "Builder 2")
    tid = task["id"]
    assert ann.post("/api/v1/tasks", json={"title": ""}).status_code == 422
    assert ann.post("/api/v1/tasks", json={"title": "x", "priority": "urgent"}).status_code == 422
    assert bob.patch(f"/api/v1/tasks/{tid}", json={"title": "mine now"}).status_code == 403

    changed = ann.patch(f"/api/v1/tasks/{tid}", json={"title": "Quote 50 drills"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = ann.patch(f"/api/v1/tasks/{tid}", json={"title": "Quote 60 drills", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    stale = ann.patch(f"/api/v1/tasks/{tid}", json={"due_date": "2025-07-09"}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    with Session(engine) as session:
        row = session.get(Task, tid)
        assert (row.title, row.due_date.isoformat(), row.version) == ("Quote 50 drills", "2025-07-04", 2)

    handed = ann.patch(f"/api/v1/tasks/{tid}", json={"owner_id": ws["bob"], "version": 2})
    assert handed.status_code == 200 and handed.json()["owner_name"] == "bob"
    assert ann.patch(f"/api/v1/tasks/{tid}", json={"owner_id": ws["vic"]}).status_code == 422  # viewers work none
    assert ann.patch("/api/v1/tasks/999999", json={"title": "x"}).status_code == 404

    # the list downloads with its filters; a title a spreadsheet would run is escaped
    ann.post("/api/v1/tasks", json={"title": "=HYPERLINK(\"http://x\")", "due_date": "2025-07-02"})
    csv = ann.get("/api/v1/tasks", params={"owner": "me", "format": "csv", "lang": "en"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,Title,Status,Priority,Source,Due date,Owner,")
    assert len(lines) == 2 and lines[1].startswith('2,"\'=HYPERLINK(')  # ann's one task (the other is bob's)
    xlsx = ann.get("/api/v1/tasks", params={"owner": "bob", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_done_snooze_and_reopen(client_of: Client, ws: dict[str, int]) -> None:
    ann, mia = client_of("ann"), client_of("mia")
    ann.post("/api/v1/tasks/refresh")
    tid = ann.get("/api/v1/tasks", params={"owner": "me", "source": "handoff"}).json()["items"][0]["id"]
    done = ann.post(f"/api/v1/tasks/{tid}/done")
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["completed_at"]
    assert ann.post(f"/api/v1/tasks/{tid}/snooze", json={"days": 1}).status_code == 422  # reopen it first
    reopened = ann.post(f"/api/v1/tasks/{tid}/reopen", json={"version": done.json()["version"]})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert ann.post(f"/api/v1/tasks/{tid}/done", headers={"If-Match": '"1"'}).status_code == 409
    assert ann.post(f"/api/v1/tasks/{tid}/snooze", json={"until": "2025-07-01"}).status_code == 422  # not after today
    assert ann.post(f"/api/v1/tasks/{tid}/snooze", json={"days": 400}).status_code == 422
    snoozed = mia.post(f"/api/v1/tasks/{tid}/snooze", json={"until": "2025-07-08"})  # a manager snoozes anyone's
    assert snoozed.status_code == 200
    assert (snoozed.json()["status"], snoozed.json()["due_date"]) == ("snoozed", "2025-07-08")
    assert client_of("bob").post(f"/api/v1/tasks/{tid}/done").status_code == 403
    assert ann.post("/api/v1/tasks/999999/done").status_code == 404
    active = ann.get("/api/v1/tasks", params={"owner": "me", "status": "active", "source": "handoff"}).json()
    assert active["total"] == 0  # snoozed until the 8th


def test_the_routes_document_their_errors(client_of: Client) -> None:
    spec = client_of("vic").get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tasks"]) and "patch" in paths["/api/v1/tasks/{task_id}"]
    assert {"409", "403", "404", "422"} <= set(paths["/api/v1/tasks/{task_id}"]["patch"]["responses"])
    for action in ("done", "snooze", "reopen"):
        assert "409" in paths[f"/api/v1/tasks/{{task_id}}/{action}"]["post"]["responses"]
    assert "403" in paths["/api/v1/tasks/refresh"]["post"]["responses"]
    params = {p["name"]: p["schema"] for p in paths["/api/v1/tasks"]["get"]["parameters"]}
    assert params["limit"]["maximum"] == 1000 and "enum" in str(params["status"])
