"""Where the work shows up on the other pages: the account page lists the account's open tasks (Done and Snooze for
whoever may work on them, read-only for the rest) and its industry (accept or correct; a model not trained yet is
said, as every model-backed section says it); Today links to the Outbox with how many follow-ups wait there; Settings
links admins to Webhooks."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.services.tasks import refresh_tasks
from tests.web.conftest import csrf_token
from tests.web.test_today_page import signed_in

from ..services.tasks_data import seed_tasks_workspace

ACCOUNT_TASK = re.compile(r'<li class="account-task[^"]*" id="account-task-(\d+)" data-task="\d+">')


@pytest.fixture
def ws(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    ids = seed_tasks_workspace(engine, monkeypatch)
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")  # a missing model stays missing: the page says so
    reset_settings()
    with session_scope(engine) as session:
        refresh_tasks(session=session)
    return ids


def open_tasks(engine: Engine, account_id: int) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(Task.id).where(Task.account_id == account_id,
                                                         Task.status.in_(("open", "snoozed")))))


def test_the_account_page_lists_its_open_tasks_and_its_owner_works_on_them(engine: Engine,
                                                                           ws: dict[str, int]) -> None:
    ann = signed_in(engine, ws["ann"])  # ann owns the builders
    account = ws["B02"]
    expected = open_tasks(engine, account)
    assert len(expected) >= 2
    html = ann.get(f"/accounts/{account}").text
    shown = [int(i) for i in ACCOUNT_TASK.findall(html)]
    assert set(shown) == expected and len(shown) == len(expected)
    assert "Hand-off waiting: Builder 2" in html and 'id="account-tasks-read-only"' not in html
    first, second = shown[0], shown[1]
    assert f'action="/accounts/{account}/tasks/{first}/done"' in html
    assert f'href="/tasks/{first}/follow-up"' in html

    token = csrf_token(ann, f"/accounts/{account}")
    done = ann.post(f"/accounts/{account}/tasks/{first}/done", data={"csrf_token": token}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"/accounts/{account}?notice=saved#account-tasks")
    week = ann.post(f"/accounts/{account}/tasks/{second}/snooze", data={"csrf_token": token, "days": "7"},
                    follow_redirects=False)
    assert week.status_code == 303
    with Session(engine) as session:
        rows = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_((first, second))))}
        channels = set(session.scalars(select(AuditEntry.channel).where(
            AuditEntry.entity == "tasks", AuditEntry.record_id.in_((first, second)), AuditEntry.action != "create")))
    assert rows[first].status == "done" and rows[first].completed_at is not None
    assert (rows[second].status, rows[second].snoozed_until) == ("snoozed", date(2025, 7, 8))
    assert channels == {"page"}
    assert first not in {int(i) for i in ACCOUNT_TASK.findall(ann.get(f"/accounts/{account}").text)}

    other = next(iter(open_tasks(engine, ws["O02"])))  # a task of another account is not this page's
    assert ann.post(f"/accounts/{account}/tasks/{other}/done", data={"csrf_token": token}).status_code == 404
    assert ann.post(f"/accounts/{account}/tasks/{second}/snooze",
                    data={"csrf_token": token, "days": "0"}).status_code == 422


def test_other_users_read_the_tasks_without_controls_and_are_refused(engine: Engine, ws: dict[str, int]) -> None:
    account = ws["B02"]
    task = next(iter(open_tasks(engine, account)))
    for name in ("bob", "vic"):  # bob sells to the offices; vic only reads
        client = signed_in(engine, ws[name])
        html = client.get(f"/accounts/{account}").text
        assert {int(i) for i in ACCOUNT_TASK.findall(html)} == open_tasks(engine, account)
        assert 'id="account-tasks-read-only"' in html and f"/tasks/{task}/done" not in html
        assert 'id="industry-correct"' not in html  # nor may they change its industry
        refused = client.post(f"/accounts/{account}/tasks/{task}/done",
                              data={"csrf_token": csrf_token(client, f"/accounts/{account}")})
        assert refused.status_code == 403
    with Session(engine) as session:
        assert session.get(Task, task).status == "open"
    mia = signed_in(engine, ws["mia"])  # managers work on every account's tasks
    assert f"/accounts/{account}/tasks/{task}/done" in mia.get(f"/accounts/{account}").text


def test_the_account_page_shows_the_industry_and_takes_a_correction(engine: Engine, ws: dict[str, int]) -> None:
    ann = signed_in(engine, ws["ann"])
    builder = ann.get(f"/accounts/{ws['B01']}").text
    assert 'id="account-industry"' in builder and '<strong id="industry-label">construction</strong>' in builder
    with session_scope(engine) as session:
        fresh = Account(external_id="FRESH", name="Fresh Builders", created_at=datetime(2025, 6, 1),
                        owner_id=ws["ann"])
        session.add(fresh)
        session.flush()
        fresh_id, version = fresh.id, fresh.version
    # no industry yet and the industry model never ran: the section says the model is missing, as the others do
    empty = ann.get(f"/accounts/{fresh_id}").text
    assert 'id="account-industry"' in empty and 'data-model="industry" data-state="missing"' in empty
    assert 'id="industry-accept"' not in empty and 'id="industry-correct"' in empty
    token = csrf_token(ann, f"/accounts/{fresh_id}")
    stale = ann.post(f"/accounts/{fresh_id}/industry",
                     data={"csrf_token": token, "label": "Construction", "version": str(version + 5)})
    assert stale.status_code == 409 and 'id="industry-error"' in stale.text
    saved = ann.post(f"/accounts/{fresh_id}/industry", follow_redirects=False,
                     data={"csrf_token": token, "label": "Construction", "version": str(version)})
    assert (saved.status_code, saved.headers["location"]) == (
        303, f"/accounts/{fresh_id}?notice=saved#account-industry")
    with Session(engine) as session:
        assert session.get(Account, fresh_id).industry == "construction"  # the spelling the workspace uses
        assert session.scalar(select(AuditEntry.channel).where(
            AuditEntry.entity == "accounts", AuditEntry.record_id == fresh_id,
            AuditEntry.action == "classify")) == "page"
    page = ann.get(f"/accounts/{fresh_id}").text
    assert '<strong id="industry-label">construction</strong>' in page and 'id="industry-reviewed"' in page
    assert 'data-model="industry"' not in page
    assert signed_in(engine, ws["bob"]).post(f"/accounts/{fresh_id}/industry", data={
        "csrf_token": token, "label": "Retail"}).status_code == 403


def test_today_links_to_the_outbox_with_what_waits_there(engine: Engine, ws: dict[str, int]) -> None:
    ann = signed_in(engine, ws["ann"])
    with session_scope(engine) as session:  # the refresh's Win-back sequence drafted GONE's first e-mail
        session.execute(update(OutboxMessage).values(status="sent"))
    html = ann.get("/today").text
    assert re.search(r'<p class="small" id="today-outbox"><a href="/outbox">Outbox[^<]*</a>\s*</p>', html)
    with session_scope(engine) as session:
        session.add_all([OutboxMessage(account_id=ws["B01"], subject=f"Hello {n}", body="Hi", status=status)
                         for n, status in enumerate(("draft", "failed", "sent"))])
    html = ann.get("/today").text
    assert re.search(r'id="today-outbox"><a href="/outbox">Outbox[^<]*</a>\s*<span class="tag">2 waiting</span>',
                     html)
    assert 'id="settings-webhooks"' not in ann.get("/settings").text  # webhooks are for admins


def test_settings_links_admins_to_webhooks(engine: Engine, browser_client: TestClient) -> None:
    page = browser_client.get("/settings").text  # the workspace owner: an admin
    assert re.search(r'<p id="settings-webhooks"><a href="/settings/webhooks">Webhooks[^<]*</a>', page)
    assert 'href="/pipeline/stages"' in page
    assert browser_client.get("/settings/webhooks").status_code == 200
