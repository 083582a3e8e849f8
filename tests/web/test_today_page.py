"""The Today page: a user's open tasks, overdue first and then by expected value, grouped by due date; Done, Snooze
and Reassign in one click each; managers pick whose Today; viewers read without buttons (and their posts are
refused)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.api.security import SESSION_COOKIE
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Task
from bizpilot.services.auth import Principal, create_login_token
from bizpilot.services.tasks import create_task, refresh_tasks
from tests.services.tasks_data import seed_tasks_workspace
from tests.web.conftest import csrf_token, sign_in

GROUP = re.compile(r'<section class="card today-group" id="group-(\w+)">')
TASK = re.compile(r'<li class="today-task[^"]*" id="task-(\d+)" data-task="\d+"\s+data-value="([\d.]+)">')


@pytest.fixture
def ws(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    ids = seed_tasks_workspace(engine, monkeypatch)
    with session_scope(engine) as session:
        refresh_tasks(session=session)
        ann = Principal(kind="session", name="ann", role="sales", user_id=ids["ann"])
        ids["late"] = create_task(session=session, data={"title": "Send the price list", "due_date": "2025-06-20"},
                                  principal=ann, channel="page").id
    return ids


def signed_in(engine: Engine, user_id: int) -> TestClient:
    client = TestClient(create_app())
    with session_scope(engine) as session:
        token = create_login_token(session=session, user_id=user_id)
    assert client.get(f"/login/token/{token}", follow_redirects=False).status_code == 303
    assert client.cookies.get(SESSION_COOKIE)
    return client


def owned(engine: Engine, user_id: int) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(Task.id).where(Task.owner_id == user_id, Task.status == "open")))


def test_a_sales_user_sees_their_tasks_overdue_first_then_by_value(engine: Engine, ws: dict[str, int]) -> None:
    client = signed_in(engine, ws["ann"])
    page = client.get("/today")
    assert page.status_code == 200
    html = page.text
    assert 'id="today-whose"' not in html and 'id="today-read-only"' not in html  # no picker for sales users
    assert GROUP.findall(html) == ["overdue", "today", "week", "later"]
    tasks = TASK.findall(html)
    assert tasks[0][0] == str(ws["late"])  # the overdue one first, whatever its value
    assert {int(i) for i, _ in tasks} == owned(engine, ws["ann"])
    for section in html.split('class="card today-group"')[1:]:
        values = [float(v) for _, v in TASK.findall('<section class="card today-group"' + section)]
        assert values == sorted(values, reverse=True)
    assert "Hand-off waiting: Builder 2" in html and "Wants a quote for 40 drills" in html
    assert f'href="/tasks/{ws["late"]}/follow-up"' in html and f'href="/accounts/{ws["GONE"]}"' in html
    assert "2025-07-01" in html  # the workspace's today is said
    assert f'href="/api/v1/tasks?owner={ws["ann"]}&amp;status=active&amp;format=csv&amp;lang=en"' in html
    assert TASK.findall(client.get(f"/today?user={ws['bob']}").text) == tasks  # only their own


def test_done_snooze_and_reassign_take_one_click_each(engine: Engine, ws: dict[str, int]) -> None:
    client = signed_in(engine, ws["ann"])
    token = csrf_token(client, "/today")
    ids = [int(i) for i, _ in TASK.findall(client.get("/today").text)]
    back = f"/today?user={ws['ann']}"
    form = {"csrf_token": token, "user": str(ws["ann"])}

    done = client.post(f"/today/tasks/{ids[0]}/done", data=form, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, back)
    day = client.post(f"/today/tasks/{ids[1]}/snooze", data=form | {"days": "1"}, follow_redirects=False)
    until = client.post(f"/today/tasks/{ids[2]}/snooze", data=form | {"until": "2025-07-15"}, follow_redirects=False)
    handed = client.post(f"/today/tasks/{ids[3]}/reassign", data=form | {"owner_id": str(ws["bob"])},
                         follow_redirects=False)
    assert day.status_code == until.status_code == handed.status_code == 303
    with Session(engine) as session:
        rows = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(ids[:4])))}
    assert rows[ids[0]].status == "done" and rows[ids[0]].completed_at is not None
    assert (rows[ids[1]].status, rows[ids[1]].snoozed_until) == ("snoozed", date(2025, 7, 2))
    assert (rows[ids[2]].status, rows[ids[2]].due_date) == ("snoozed", date(2025, 7, 15))
    assert rows[ids[3]].owner_id == ws["bob"]
    shown = {int(i) for i, _ in TASK.findall(client.get(back).text)}
    assert shown.isdisjoint(ids[:4]) and set(ids[4:]) <= shown

    failed = client.post(f"/today/tasks/{ids[4]}/snooze", data=form | {"until": ""})
    assert failed.status_code == 422 and 'id="today-error"' in failed.text and "Pick a date" in failed.text
    past = client.post(f"/today/tasks/{ids[4]}/snooze", data=form | {"until": "2025-06-01"})
    assert past.status_code == 422 and "must be after today (2025-07-01)" in past.text
    assert client.post(f"/today/tasks/{ids[4]}/done", data={"user": "x"}).status_code == 403  # no CSRF token


def test_a_viewer_reads_someones_today_without_buttons(engine: Engine, ws: dict[str, int]) -> None:
    client = signed_in(engine, ws["vic"])
    html = client.get(f"/today?user={ws['ann']}").text
    assert 'id="today-read-only"' in html and 'id="today-whose"' in html
    assert {int(i) for i, _ in TASK.findall(html)} == owned(engine, ws["ann"])
    assert "/done" not in html and "<form method=\"post\" action=\"/today" not in html and "follow-up" not in html
    refused = client.post(f"/today/tasks/{ws['late']}/done", data={"csrf_token": csrf_token(client, "/today"),
                                                                   "user": str(ws["ann"])})
    assert refused.status_code == 403
    with Session(engine) as session:
        assert session.get(Task, ws["late"]).status == "open"


def test_managers_pick_whose_today(engine: Engine, ws: dict[str, int]) -> None:
    client = signed_in(engine, ws["mia"])
    mine = client.get("/today").text
    assert 'id="today-whose"' in mine and 'id="today-empty"' in mine  # mia owns no task
    assert re.search(rf'<option value="{ws["bob"]}" >bob \(sales\)</option>', mine)
    bobs = client.get(f"/today?user={ws['bob']}").text
    assert {int(i) for i, _ in TASK.findall(bobs)} == owned(engine, ws["bob"])
    everyone = client.get("/today?user=all").text
    assert {int(i) for i, _ in TASK.findall(everyone)} == owned(engine, ws["ann"]) | owned(engine, ws["bob"])
    assert "owner: bob" in everyone
    # a manager reassigns anyone's task from the page
    task = next(iter(owned(engine, ws["bob"])))
    moved = client.post(f"/today/tasks/{task}/reassign", follow_redirects=False, data={
        "csrf_token": csrf_token(client, "/today"), "user": "all", "owner_id": str(ws["ann"])})
    assert (moved.status_code, moved.headers["location"]) == (303, "/today?user=all")
    assert task in owned(engine, ws["ann"])


def test_the_workspace_owner_sees_everyones_tasks(engine: Engine, ws: dict[str, int]) -> None:
    client = sign_in(TestClient(create_app()), engine)  # the workspace password: no user (no admin exists here)
    html = client.get("/today").text
    assert '<option value="all" selected>' in html
    assert len(TASK.findall(html)) == len(owned(engine, ws["ann"]) | owned(engine, ws["bob"]))
