"""Webhooks against a real receiver on loopback: signed deliveries (the receiver checks the HMAC itself), retries with
backoff after a 500 then success, giving up after the maximum attempts, nothing sent for a rolled-back change, every
attempt logged; subscriptions validated; the events emitted where they happen (import finished, dissatisfaction
alert raised, assistant hand-off) in the caller's transaction; the background worker of `bizpilot serve`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain.webhook import WebhookDelivery
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.events import emit
from bizpilot.services.webhook_delivery import DeliveryWorker, backoff, deliver_due
from bizpilot.services.webhooks import (
    attempt_log,
    check_events,
    create_subscription,
    delete_subscription,
    list_deliveries,
    list_subscriptions,
    queue_ping,
    sign,
    update_subscription,
    verify,
)
from tests.retrieval.kb_sample import embed_cache, kb_engine  # noqa: F401  (fixtures of the hand-off test)
from tests.services.webhook_receiver import Receiver, closed_port_url, webhook_receiver


def _subscribe(engine: Engine, url: str, events: str = "*") -> tuple[int, str]:
    with session_scope(engine) as session:
        sub, secret = create_subscription(session=session, url=url, events=events)
        return sub.id, secret


def _emit(engine: Engine, event: str = "record.changed", **data: object) -> None:
    with session_scope(engine) as session:
        emit(session=session, event=event, data=data or {"entity": "accounts", "id": 1})


def _delivery(engine: Engine, subscription_id: int) -> WebhookDelivery:
    with Session(engine) as session:
        rows = list_deliveries(session=session, subscription_id=subscription_id)
        assert len(rows) == 1, rows
        session.expunge_all()
        return rows[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


def test_a_delivery_is_signed_and_verified_by_the_receiver(engine: Engine, receiver: Receiver) -> None:
    sub_id, secret = _subscribe(engine, receiver.url, "record.changed")
    receiver.secret = secret
    _emit(engine, entity="accounts", id=7, action="update", note="北京")
    report = deliver_due(engine=engine)
    assert report.to_dict() == {"attempted": 1, "delivered": 1, "retrying": 0, "failed": 0}
    [got] = receiver.received
    assert got.signature_ok and got.answered == 200
    delivery = _delivery(engine, sub_id)
    assert got.headers["x-bizpilot-event"] == "record.changed"
    assert got.headers["x-bizpilot-delivery"] == str(delivery.id)
    assert got.headers["content-type"].startswith("application/json")
    assert abs(int(got.headers["x-bizpilot-timestamp"]) - time.time()) < 600
    assert got.json["event"] == "record.changed" and got.json["data"] == {"entity": "accounts", "id": 7,
                                                                         "action": "update", "note": "北京"}
    assert verify(secret, got.headers["x-bizpilot-timestamp"], got.body, got.headers["x-bizpilot-signature"])
    assert not verify("whsec_other", got.headers["x-bizpilot-timestamp"], got.body,
                      got.headers["x-bizpilot-signature"])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None and delivery.last_error is None
    assert deliver_due(engine=engine).attempted == 0  # delivered once, never again
    with Session(engine) as session:
        log = attempt_log(session=session, delivery_ids=[delivery.id])[delivery.id]
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [(1, 200, "delivered")]


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(engine: Engine, receiver: Receiver) -> None:
    sub_id, _ = _subscribe(engine, receiver.url)
    receiver.secret = "whsec_not-the-one"
    _emit(engine)
    assert deliver_due(engine=engine).to_dict()["retrying"] == 1
    assert not receiver.received[0].signature_ok
    delivery = _delivery(engine, sub_id)
    assert delivery.status == "pending" and delivery.last_status_code == 401
    assert delivery.last_error == "HTTP 401: receiver says no"


def test_retry_with_backoff_after_a_500_then_success(engine: Engine, receiver: Receiver) -> None:
    sub_id, receiver.secret = _subscribe(engine, receiver.url)
    receiver.statuses.extend([500])
    _emit(engine)
    t0 = utcnow()
    assert deliver_due(engine=engine, now=t0).to_dict()["retrying"] == 1
    first = _delivery(engine, sub_id)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    assert first.last_error.startswith("HTTP 500")
    wait = (first.next_attempt_at - t0).total_seconds()
    assert 24 <= wait <= 36  # 30 s +-20 %
    assert deliver_due(engine=engine, now=t0 + timedelta(seconds=20)).attempted == 0  # not due yet
    assert len(receiver.received) == 1
    assert deliver_due(engine=engine, now=first.next_attempt_at).to_dict()["delivered"] == 1
    second = _delivery(engine, sub_id)
    assert (second.status, second.attempts, second.last_status_code, second.last_error) == ("delivered", 2, 200,
                                                                                            None)
    assert [r.answered for r in receiver.received] == [500, 200] and all(r.signature_ok for r in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body  # the same event, re-sent
    assert {r.headers["x-bizpilot-delivery"] for r in receiver.received} == {str(second.id)}
    with Session(engine) as session:
        log = attempt_log(session=session, delivery_ids=[second.id])[second.id]
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [(1, 500, "pending"),
                                                                            (2, 200, "delivered")]


def test_gives_up_after_the_maximum_attempts(engine: Engine, receiver: Receiver,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_WEBHOOK_MAX_ATTEMPTS", "3")
    reset_settings()
    sub_id, receiver.secret = _subscribe(engine, receiver.url)
    receiver.statuses.extend([500, 503, 502, 200])
    _emit(engine)
    later = utcnow()
    for _ in range(5):
        later += timedelta(days=1)
        deliver_due(engine=engine, now=later)
    assert [r.answered for r in receiver.received] == [500, 503, 502]
    delivery = _delivery(engine, sub_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 502)
    assert delivery.next_attempt_at is None and delivery.delivered_at is None


def test_an_unreachable_receiver_is_an_attempt_without_a_status(engine: Engine) -> None:
    sub_id, _ = _subscribe(engine, closed_port_url())
    _emit(engine)
    assert deliver_due(engine=engine).to_dict()["retrying"] == 1
    delivery = _delivery(engine, sub_id)
    assert delivery.attempts == 1 and delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectError")


def test_a_rolled_back_change_sends_nothing(engine: Engine, receiver: Receiver) -> None:
    _, receiver.secret = _subscribe(engine, receiver.url)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert emit(session=session, event="record.changed", data={"id": 1}) == 1
        raise RuntimeError("the change failed after the event was queued")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert deliver_due(engine=engine).attempted == 0 and receiver.received == []


def test_only_matching_active_subscriptions_get_an_event(engine: Engine, receiver: Receiver) -> None:
    tasks, receiver.secret = _subscribe(engine, receiver.url, "task.created,import.finished")
    everything, _ = _subscribe(engine, receiver.url, "*")
    with session_scope(engine) as session:
        assert emit(session=session, event="record.changed", data={}) == 1
        assert emit(session=session, event="task.created", data={}) == 2
        update_subscription(session=session, subscription_id=everything, active=False)
        assert emit(session=session, event="task.created", data={}) == 1
    with Session(engine) as session:
        assert len(list_deliveries(session=session, subscription_id=tasks)) == 2
        assert len(list_deliveries(session=session, subscription_id=everything)) == 2
    report = deliver_due(engine=engine)  # the inactive subscription's pending deliveries wait
    assert report.attempted == 2
    with session_scope(engine) as session:
        assert [d.status for d in list_deliveries(session=session, subscription_id=everything)] == ["pending"] * 2
        update_subscription(session=session, subscription_id=everything, active=True)
    receiver.secret = None  # the second subscription has its own secret: the receiver refuses, which is fine here
    assert deliver_due(engine=engine).attempted == 2


def test_subscriptions_are_validated_listed_changed_and_deleted(engine: Engine) -> None:
    with session_scope(engine) as session:
        for url in ("ftp://example.com/x", "not a url", "", "https://", "http://exa mple.com/x"):
            with pytest.raises(ValidationFailed) as caught:
                create_subscription(session=session, url=url, events="*")
            assert caught.value.details[0]["field"] == "url"
        with pytest.raises(ValidationFailed, match="unknown event"):
            create_subscription(session=session, url="https://example.com/h", events="task.created,order.paid")
        with pytest.raises(ValidationFailed, match="no events"):
            create_subscription(session=session, url="https://example.com/h", events=" , ")
        assert check_events("task.created, alert.raised,task.created") == ["task.created", "alert.raised"]
        assert check_events(["alert.raised", "*"]) == ["*"]
        sub, secret = create_subscription(session=session, url=" https://example.com/h ", events=["alert.raised"])
        assert secret.startswith("whsec_") and len(secret) > 40 and sub.url == "https://example.com/h"
        changed = update_subscription(session=session, subscription_id=sub.id, events="*",
                                      url="http://localhost:9/h")
        assert changed.events == ["*"] and changed.url == "http://localhost:9/h" and changed.active
        assert [s.id for s in list_subscriptions(session=session, active=True)] == [sub.id]
        update_subscription(session=session, subscription_id=sub.id, active=False)
        with pytest.raises(ConflictError):
            queue_ping(session=session, subscription_id=sub.id)
        update_subscription(session=session, subscription_id=sub.id, active=True)
        ping = queue_ping(session=session, subscription_id=sub.id)
        assert ping.event == "ping" and ping.payload["data"]["subscription_id"] == sub.id
        delete_subscription(session=session, subscription_id=sub.id)
        assert list_subscriptions(session=session) == []
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        with pytest.raises(NotFoundError):
            update_subscription(session=session, subscription_id=sub.id, active=True)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, base in ((1, 30), (2, 60), (3, 120), (6, 960)):
        seconds = [backoff(attempts).total_seconds() for _ in range(50)]
        assert all(base * 0.8 <= s <= base * 1.2 for s in seconds), (attempts, seconds)
        assert len(set(seconds)) > 1  # jittered, so retries of many deliveries spread out
    assert backoff(30).total_seconds() <= 6 * 3600
    assert sign("s", "1", b"{}") == "sha256=" + hmac.new(b"s", b"1.{}", hashlib.sha256).hexdigest()


def test_the_worker_thread_sends_what_was_committed(engine: Engine, receiver: Receiver) -> None:
    _, receiver.secret = _subscribe(engine, receiver.url)
    worker = DeliveryWorker(engine, interval_s=0.1)
    assert worker.start() and not worker.start() and worker.running
    try:
        _emit(engine, event="task.created", id=3)
        assert receiver.got.wait(30), "the worker sent nothing"
    finally:
        worker.stop()
    assert not worker.running
    assert receiver.received[0].json["data"] == {"id": 3} and receiver.received[0].signature_ok


# --- events at their sources ---------------------------------------------------------------------------------------

def test_an_import_that_finishes_emits_import_finished(engine: Engine, tmp_path: Path) -> None:
    from bizpilot.errors import ImportRejected
    from bizpilot.services.imports import run_import

    sub_id, _ = _subscribe(engine, "https://example.com/h", "import.finished")
    good = tmp_path / "accounts.csv"
    good.write_text("external_id,name\nA1,Alpha\nA2,Beta\n", encoding="utf-8")
    report = run_import(engine=engine, entity="accounts", path=good)
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,name\nB1,\n", encoding="utf-8")
    with pytest.raises(ImportRejected):
        run_import(engine=engine, entity="accounts", path=bad, strict=True)
    with Session(engine) as session:
        events = [d.payload for d in reversed(list_deliveries(session=session, subscription_id=sub_id))]
    assert [e["event"] for e in events] == ["import.finished", "import.finished"]
    done, rejected = events[0]["data"], events[1]["data"]
    assert done["run_id"] == report.run_id and done["entity"] == "accounts" and done["status"] == "finished"
    assert done["counts"] == report.counts() and done["source"] == str(good)
    assert rejected["status"] == "rejected" and rejected["run_id"] == done["run_id"] + 1


def test_new_dissatisfaction_alerts_emit_alert_raised(engine: Engine) -> None:
    from bizpilot.services.signals.analysis import analyse_interactions, dissatisfaction_alerts
    from tests.services import sample_data as sd

    ids = sd.load_sample(engine)
    sub_id, _ = _subscribe(engine, "https://example.com/h", "alert.raised")

    def analyse() -> list[int]:
        with session_scope(engine) as session:
            before = {d.id for d in list_deliveries(session=session, subscription_id=sub_id)}
            analyse_interactions(session=session)
            return sorted(d.payload["data"]["account_id"]
                          for d in list_deliveries(session=session, subscription_id=sub_id) if d.id not in before)

    sd.add_complaint(engine, account_id=ids["ECHO"], external_id="c-echo-1",
                     text="This is unacceptable: the tea arrived mouldy. I want a refund now!")
    first = analyse()
    with Session(engine) as session:
        alerting = sorted(a.account_id for a in dissatisfaction_alerts(session=session, limit=100))
    assert ids["ECHO"] in first and first == alerting  # every account alerting after the first analysis is new
    sd.add_complaint(engine, account_id=ids["CEDAR"], external_id="c-cedar-1",
                     text="Terrible service, the order was wrong again and nobody answers. I complain formally.")
    sd.add_complaint(engine, account_id=ids["ECHO"], external_id="c-echo-2",
                     text="Still no refund for the mouldy tea. Very disappointed.")
    assert analyse() == [ids["CEDAR"]]  # Echo was already alerting: no second alert for it
    with Session(engine) as session:
        [cedar] = [d for d in list_deliveries(session=session, subscription_id=sub_id)
                   if d.payload["data"]["account_id"] == ids["CEDAR"]]
        [alert] = dissatisfaction_alerts(session=session, account_ids=[ids["CEDAR"]])
    data = cedar.payload["data"]
    assert data["kind"] == "dissatisfaction" and data["account_name"] == "Cedar Retail Ltd" and data["days"] == 30
    assert (data["severity"], data["negative"], data["complaints"], data["average_score"]) == (
        alert.severity, alert.negative, alert.complaints, alert.average_score)
    assert "Terrible service" in data["last_text"]


def test_an_assistant_hand_off_emits_handoff_opened(kb_engine: Engine) -> None:  # noqa: F811
    from bizpilot.services.assistant import ask

    sub_id, _ = _subscribe(kb_engine, "https://example.com/h", "handoff.opened")
    with session_scope(kb_engine) as session:
        answered = ask(session=session, question="How long does express delivery take?")
        handed = ask(session=session, question="who won the football world cup in 1998?")
    assert not answered.handoff and handed.handoff
    with Session(kb_engine) as session:
        [delivery] = list_deliveries(session=session, subscription_id=sub_id)
    data = delivery.payload["data"]
    assert delivery.event == "handoff.opened" and data["ticket_id"] == handed.ticket_id
    assert (data["conversation_id"], data["reason"], data["account_id"]) == (handed.conversation_id, "out_of_scope",
                                                                            None)
    assert data["summary"].startswith("Reason: out of scope.") and "football world cup" in data["summary"]
    with pytest.raises(RuntimeError), session_scope(kb_engine) as session:  # the turn rolled back: no event
        assert ask(session=session, question="tell me a joke about cats").handoff
        raise RuntimeError("the request failed after the turn")
    with Session(kb_engine) as session:
        assert len(list_deliveries(session=session, subscription_id=sub_id)) == 1
