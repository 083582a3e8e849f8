"""The outreach API: a follow-up drafted from a task (201), the outbox listed, read with its check, edited,
discarded and sent (200 sent to a real SMTP server on loopback, 202 queued when sending is not configured, 502 with
the server's answer, the failure stored), sequences (CRUD, enrol, stop, advance) and .ics invitations parsed back
with an independent iCalendar parser."""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Contact, Interaction, Task
from bizpilot.domain.user import User
from bizpilot.services.mail import NOT_CONFIGURED
from tests.services.outreach_data import free_port, make_task, product_id, smtp_server
from tests.services.sample_data import load_sample


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    return load_sample(engine)


@pytest.fixture
def task_id(engine: Engine, ids: dict[str, int]) -> int:
    with session_scope(engine) as session:
        return make_task(session, ids["ACME"], "reorder", product_id=product_id(session, "MUG-01")).id


def _error(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code
    return resp.json()["error"]


def _use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("BIZPILOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BIZPILOT_SMTP_PORT", str(port))
    monkeypatch.setenv("BIZPILOT_SMTP_FROM", "sales@bizpilot.example")
    reset_settings()


def _draft(client: TestClient, task_id: int, **body: object) -> dict:
    resp = client.post(f"/api/v1/tasks/{task_id}/follow-up", json={"use_llm": False, **body})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_draft_list_read_edit_and_discard(write_client: TestClient, api_client: TestClient, task_id: int,
                                          ids: dict[str, int]) -> None:
    message = _draft(write_client, task_id, language="en")
    assert (message["status"], message["task_id"], message["account_id"]) == ("draft", task_id, ids["ACME"])
    assert message["subject"] == "Time to reorder Ceramic mug?" and message["to_address"] == "li.wei@acme.example"
    assert message["note"] is None and message["generation_id"] is not None
    listed = api_client.get("/api/v1/outbox", params={"status": "draft"}).json()
    assert listed["total"] == 1 and [m["id"] for m in listed["items"]] == [message["id"]]
    detail = api_client.get(f"/api/v1/outbox/{message['id']}").json()
    assert detail["body"] == message["body"] and detail["check"]["clean"] is True
    assert detail["check"]["generation"]["model"] == "deterministic"
    assert {f["id"]: f["text"] for f in detail["check"]["sentences"][1]["facts"]} == {
        "product.name": "Ceramic mug", "order.top.1.name": "Ceramic mug"}

    _error(api_client.patch(f"/api/v1/outbox/{message['id']}", json={"subject": "x"}), 403, "forbidden")
    err = _error(write_client.patch(f"/api/v1/outbox/{message['id']}", json={"to_address": "nobody"}), 422,
                 "validation_error")
    assert err["details"][0]["field"] == "to_address"
    _error(write_client.patch(f"/api/v1/outbox/{message['id']}", json={"subject": ""}), 422, "validation_error")
    edited = write_client.patch(f"/api/v1/outbox/{message['id']}", json={"subject": "Mugs?",
                                                                         "to_address": "buyer@acme.example"})
    assert edited.status_code == 200 and (edited.json()["subject"], edited.json()["to_address"]) == (
        "Mugs?", "buyer@acme.example")
    assert write_client.delete(f"/api/v1/outbox/{message['id']}").status_code == 204
    assert api_client.get(f"/api/v1/outbox/{message['id']}").json()["status"] == "discarded"
    _error(write_client.post(f"/api/v1/outbox/{message['id']}/send"), 409, "conflict")
    assert api_client.get("/api/v1/outbox", params={"status": "unsent"}).json()["total"] == 0
    _error(write_client.post("/api/v1/tasks/987654/follow-up", json={}), 404, "not_found")
    _error(write_client.post(f"/api/v1/tasks/{task_id}/follow-up", json={"purpose": "spam"}), 422,
           "validation_error")
    _error(api_client.get("/api/v1/outbox?status=lost"), 422, "validation_error")


def test_send_queued_without_smtp_then_sent_then_refused(write_client: TestClient, api_client: TestClient,
                                                         task_id: int, engine: Engine, ids: dict[str, int],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    message = _draft(write_client, task_id)
    queued = write_client.post(f"/api/v1/outbox/{message['id']}/send")
    assert queued.status_code == 202
    assert queued.json()["outcome"] == "queued" and queued.json()["note"] == NOT_CONFIGURED
    assert queued.json()["message"]["status"] == "queued" and queued.json()["message"]["note"] == NOT_CONFIGURED

    with smtp_server() as (inbox, port):
        _use_smtp(monkeypatch, port)
        sent = write_client.post(f"/api/v1/outbox/{message['id']}/send", json={"complete_task": True})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["outcome"] == "sent" and body["message"]["status"] == "sent" and body["message"]["sent_at"]
    [(_, rcpt, received)] = inbox.received
    assert rcpt == ["li.wei@acme.example"] and received["Subject"] == "Ceramic mug补货提醒"
    ix = api_client.get(f"/api/v1/interactions/{body['message']['interaction_id']}").json()
    assert (ix["channel"], ix["direction"], ix["subject"]) == ("email", "outbound", "Ceramic mug补货提醒")
    with session_scope(engine) as session:
        assert session.get(Task, task_id).status == "done"
        other = make_task(session, ids["BOREALIS"], "churn").id
    second = _draft(write_client, other)
    _use_smtp(monkeypatch, free_port())  # nothing listens there
    failed = write_client.post(f"/api/v1/outbox/{second['id']}/send")
    err = _error(failed, 502, "mail_error")
    assert "did not accept the message" in err["message"] and "ConnectionRefusedError" in err["message"]
    assert failed.json()["outbox_message"]["status"] == "failed"
    stored = api_client.get(f"/api/v1/outbox/{second['id']}").json()  # the failure was committed
    assert stored["status"] == "failed" and "ConnectionRefusedError" in stored["error"]
    assert api_client.get("/api/v1/outbox", params={"status": "failed"}).json()["total"] == 1


def test_sequences_crud_enrol_stop_and_advance(write_client: TestClient, api_client: TestClient,
                                               ids: dict[str, int]) -> None:
    [win_back] = api_client.get("/api/v1/sequences").json()
    assert win_back["name"] == "Win-back" and win_back["trigger"] == "churn_risk"
    created = write_client.post("/api/v1/sequences", json={
        "name": "Quote chase", "steps": [{"kind": "email", "purpose": "quote_follow_up"},
                                         {"kind": "call", "delay_days": 2}]})
    assert created.status_code == 201, created.text
    chase = created.json()
    _error(write_client.post("/api/v1/sequences", json={"name": "Quote chase", "steps": [{"kind": "call"}]}), 409,
           "conflict")
    _error(write_client.post("/api/v1/sequences", json={"name": "x", "steps": [{"kind": "fax"}]}), 422,
           "validation_error")
    _error(api_client.post("/api/v1/sequences", json={"name": "y", "steps": [{"kind": "call"}]}), 403, "forbidden")
    patched = write_client.patch(f"/api/v1/sequences/{chase['id']}", json={"active": True, "steps": [
        {"kind": "email", "delay_days": 0, "purpose": "quote_follow_up"}, {"kind": "call", "delay_days": 1}]})
    assert [s["delay_days"] for s in patched.json()["steps"]] == [0, 1]

    enrolled = write_client.post(f"/api/v1/sequences/{chase['id']}/enroll", json={"account_id": ids["ACME"]})
    assert enrolled.status_code == 201, enrolled.text
    enrollment = enrolled.json()
    assert (enrollment["status"], enrollment["step"], enrollment["account_id"]) == ("active", 1, ids["ACME"])
    drafts = api_client.get("/api/v1/outbox", params={"status": "draft", "account_id": ids["ACME"]}).json()
    assert [m["subject"] for m in drafts["items"]] == ["关于“Spring fair mugs”的跟进"]
    _error(write_client.post(f"/api/v1/sequences/{chase['id']}/enroll", json={"account_id": ids["ACME"]}), 409,
           "conflict")
    _error(write_client.post(f"/api/v1/sequences/{chase['id']}/enroll", json={"account_id": 0}), 422,
           "validation_error")
    listed = api_client.get(f"/api/v1/sequences/{chase['id']}/enrollments", params={"status": "active"}).json()
    assert [e["id"] for e in listed] == [enrollment["id"]]
    _error(write_client.delete(f"/api/v1/sequences/{chase['id']}"), 409, "conflict")
    stopped = write_client.post(f"/api/v1/enrollments/{enrollment['id']}/stop")
    assert stopped.json()["status"] == "stopped" and stopped.json()["stopped_reason"].startswith("stopped by ")
    assert api_client.get("/api/v1/outbox", params={"status": "draft"}).json()["total"] == 0  # its draft went
    advance = write_client.post("/api/v1/sequences/advance", json={"auto_enroll": True})
    assert advance.json() == {"enrolled": 0, "emails": 0, "calls": 0, "stopped": 0, "completed": 0,
                              "auto_enroll": "the repurchase model is missing: train it (`bizpilot train churn`) "
                                             "first"}
    assert write_client.delete(f"/api/v1/sequences/{chase['id']}").status_code == 204
    _error(api_client.get(f"/api/v1/sequences/{chase['id']}"), 404, "not_found")


def _calendar(resp) -> icalendar.Event:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "text/calendar; charset=utf-8"
    assert resp.headers["content-disposition"].startswith("attachment; filename=")
    raw = resp.content
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and all(len(line) <= 75 for line in lines)
    assert all(b"\n" not in line for line in lines)
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    return event


def test_invitations_for_a_task_and_a_call_parse_back(engine: Engine, api_client: TestClient,
                                                      ids: dict[str, int]) -> None:
    reason = ("Reorder due: Ceramic mug, every 30 days; last order 2024-03-02.\n"
              "客户李伟说：\"春季展会前需要100个杯子\"; call before Friday, then e-mail the quote — "
              + "a long note " * 8)
    with session_scope(engine) as session:
        owner = User(name="Mia Wong", email="mia@bizpilot.example", role="sales", active=True)
        session.add(owner)
        session.flush()
        task = Task(title="Call Acme about mugs", reason=reason, due_date=date(2024, 3, 20), owner_id=owner.id,
                    account_id=ids["ACME"], status="open", source="reorder")
        contact = session.scalar(select(Contact).where(Contact.external_id == "c-li"))
        call = Interaction(external_id="call-1", channel="call", direction="outbound", subject="Spring fair, call",
                           text="Agree quantities; confirm delivery", occurred_at=datetime(2024, 3, 21, 14, 30),
                           account_id=ids["ACME"], contact_id=contact.id, user_id=owner.id)
        session.add_all([task, call])
        session.flush()
        task_id, call_id = task.id, call.id
        email_id = session.scalar(select(Interaction.id).where(Interaction.external_id == "ix-1"))
        account_name = session.get(Account, ids["ACME"]).name

    event = _calendar(api_client.get(f"/api/v1/tasks/{task_id}/invite.ics"))
    assert str(event["SUMMARY"]) == f"Call Acme about mugs – {account_name}"
    assert event.decoded("DTSTART") == datetime(2024, 3, 20, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
    assert str(event["DESCRIPTION"]) == f"{reason}\nAccount: {account_name} (ACME)"
    assert str(event["ORGANIZER"]) == "mailto:mia@bizpilot.example"
    assert event["ORGANIZER"].params["CN"] == "Mia Wong"
    assert str(event["ATTENDEE"]) == "mailto:li.wei@acme.example" and event["ATTENDEE"].params["CN"] == "Li Wei"
    assert str(event["UID"]).startswith(f"task-{task_id}-") and event["DTSTAMP"]
    again = _calendar(api_client.get(f"/api/v1/tasks/{task_id}/invite.ics",
                                     params={"start": "2024-03-22T15:00:00+08:00", "minutes": 45}))
    assert str(again["UID"]) == str(event["UID"])  # the same event, moved
    assert again.decoded("DTSTART") == datetime(2024, 3, 22, 7, 0, tzinfo=UTC)
    assert again.decoded("DTEND") == datetime(2024, 3, 22, 7, 45, tzinfo=UTC)

    call_event = _calendar(api_client.get(f"/api/v1/interactions/{call_id}/invite.ics", params={"minutes": 60}))
    assert str(call_event["SUMMARY"]) == "Spring fair, call"
    assert call_event.decoded("DTSTART") == datetime(2024, 3, 21, 14, 30, tzinfo=UTC)
    assert call_event.decoded("DTEND") == datetime(2024, 3, 21, 15, 30, tzinfo=UTC)
    assert str(call_event["DESCRIPTION"]) == f"Agree quantities; confirm delivery\nAccount: {account_name}"
    assert str(call_event["ATTENDEE"]) == "mailto:li.wei@acme.example"
    err = _error(api_client.get(f"/api/v1/interactions/{email_id}/invite.ics"), 422, "validation_error")
    assert err["details"][0]["field"] == "channel"
    _error(api_client.get("/api/v1/tasks/987654/invite.ics"), 404, "not_found")
    _error(api_client.get(f"/api/v1/tasks/{task_id}/invite.ics", params={"minutes": 0}), 422, "validation_error")
