"""The outbox and sequences through the client against a live server: a drafted follow-up edited, discarded, queued
without SMTP, sent to a real SMTP server on loopback, refused (``SendFailed`` with the stored message); sequences
defined, enrolled, listed, stopped, advanced and deleted, with 403 for roles that may not and 409 as ``Conflict``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bizpilot.client import Conflict, SendFailed
from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.errors import Forbidden, ValidationFailed
from bizpilot.services.mail import NOT_CONFIGURED
from tests.client.conftest import Team
from tests.services.outreach_data import free_port, make_task, product_id, smtp_server


def _use_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("BIZPILOT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BIZPILOT_SMTP_PORT", str(port))
    monkeypatch.setenv("BIZPILOT_SMTP_FROM", "sales@bizpilot.example")
    reset_settings()


def test_outbox_edit_discard_queue_send_and_refusal(team: Team, engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(engine) as session:
        reorder = make_task(session, team.ids["ACME"], "reorder", product_id=product_id(session, "MUG-01"),
                            owner_id=team.users["sam"]).id
        churn = make_task(session, team.ids["ACME"], "churn", owner_id=team.users["sam"]).id
    with team.client("sam") as sam, team.client("rita") as rita, team.client("vic") as vic:
        first = sam.tasks.follow_up(churn, language="en", use_llm=False)
        assert vic.outbox.get(first["id"])["check"]["generation"]["model"] == "deterministic"
        with pytest.raises(Forbidden):
            vic.outbox.update(first["id"], subject="x")
        with pytest.raises(Forbidden):  # another rep's customer
            rita.outbox.discard(first["id"])
        with pytest.raises(ValidationFailed) as bad:
            sam.outbox.update(first["id"], to_address="nobody")
        assert bad.value.details[0]["field"] == "to_address"
        sam.outbox.discard(first["id"])
        with pytest.raises(Conflict) as gone:
            sam.outbox.send(first["id"])
        assert gone.value.current_version is None

        message = sam.tasks.follow_up(reorder, language="en", use_llm=False)
        edited = sam.outbox.update(message["id"], subject="Mugs for the spring fair?")
        assert (edited["subject"], edited["to_address"]) == ("Mugs for the spring fair?", "li.wei@acme.example")
        queued = sam.outbox.send(message["id"])
        assert (queued["outcome"], queued["note"], queued["message"]["status"]) == ("queued", NOT_CONFIGURED,
                                                                                    "queued")
        with smtp_server() as (inbox, port):
            _use_smtp(monkeypatch, port)
            sent = sam.outbox.send(message["id"])
        assert (sent["outcome"], sent["message"]["status"]) == ("sent", "sent")
        [(_, recipients, received)] = inbox.received
        assert recipients == ["li.wei@acme.example"] and received["Subject"] == "Mugs for the spring fair?"
        assert sam.interactions.get(sent["message"]["interaction_id"]).direction == "outbound"
        assert sam.tasks.list(status="done")["items"][0]["id"] == reorder

        second = sam.tasks.follow_up(churn, language="en", use_llm=False)
        _use_smtp(monkeypatch, free_port())  # nothing listens there
        with pytest.raises(SendFailed) as refused:
            sam.outbox.send(second["id"])
        assert (refused.value.status, refused.value.code) == (502, "mail_error")
        assert "ConnectionRefusedError" in refused.value.message
        assert refused.value.outbox_message is not None and refused.value.outbox_message["status"] == "failed"
        assert [m["id"] for m in sam.outbox.list(status="failed")["items"]] == [second["id"]]


def test_sequences_define_enrol_stop_advance_and_delete(team: Team) -> None:
    acme = team.ids["ACME"]
    with team.client("vic") as vic:
        [win_back] = vic.sequences.list()
        assert (win_back["name"], win_back["trigger"]) == ("Win-back", "churn_risk")
        assert vic.sequences.get(win_back["id"])["steps"][0]["kind"] == "email"
    with team.client("sam") as sam, pytest.raises(Forbidden):  # defining sequences is for managers
        sam.sequences.create(name="Mine", steps=[{"kind": "call"}])
    with team.client("max") as max_:
        chase = max_.sequences.create(name="Quote chase", steps=[{"kind": "email", "purpose": "quote_follow_up"},
                                                                 {"kind": "call", "delay_days": 2}])
        assert [s["delay_days"] for s in chase["steps"]] == [0, 2]
        with pytest.raises(Conflict):
            max_.sequences.create(name="Quote chase", steps=[{"kind": "call"}])
        with pytest.raises(ValidationFailed):
            max_.sequences.create(name="Fax", steps=[{"kind": "fax"}])
        changed = max_.sequences.update(chase["id"], steps=[{"kind": "email", "purpose": "quote_follow_up"},
                                                            {"kind": "call", "delay_days": 1}])
        assert ([s["delay_days"] for s in changed["steps"]], changed["name"]) == ([0, 1], "Quote chase")
        enrolment = max_.sequences.enroll(chase["id"], account_id=acme)
        assert (enrolment["status"], enrolment["step"], enrolment["account_id"]) == ("active", 1, acme)
        drafts = max_.outbox.list(status="draft", account_id=acme)["items"]
        assert [m["enrollment_id"] for m in drafts] == [enrolment["id"]]
        with pytest.raises(Conflict):
            max_.sequences.enroll(chase["id"], account_id=acme)
        assert [e["id"] for e in max_.sequences.enrollments(chase["id"], status="active")] == [enrolment["id"]]
        with pytest.raises(Conflict):  # someone is going through it
            max_.sequences.delete(chase["id"])
        stopped = max_.sequences.stop(enrolment["id"])
        assert stopped["status"] == "stopped" and stopped["stopped_reason"].startswith("stopped by ")
        assert max_.outbox.list(status="draft")["total"] == 0  # its draft went with it
        report = max_.sequences.advance(auto_enroll=True)
        assert (report["enrolled"], report["emails"], report["calls"]) == (0, 0, 0)
        assert "repurchase model is missing" in report["auto_enroll"]
        max_.sequences.delete(chase["id"])
        assert [s["name"] for s in max_.sequences.list()] == ["Win-back"]
