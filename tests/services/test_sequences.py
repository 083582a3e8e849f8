"""Follow-up sequences on a fake clock: the default Win-back, enrolment and its first step, each due step (an e-mail
draft with its task, a call task), completion after the last step, stopping when the customer orders or replies
(drafts discarded, tasks closed), definitions and who may change them, and automatic enrolment of accounts at churn
risk from a trained repurchase model (once per lapse)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Order, Task
from bizpilot.domain.model_run import ModelOutput
from bizpilot.domain.outreach import OutboxMessage, Sequence, SequenceEnrollment
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription
from bizpilot.errors import ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.auth import SYSTEM
from bizpilot.services.followups import purpose_for_task
from bizpilot.services.sequences import (
    DEFAULT_SEQUENCE,
    advance_sequences,
    auto_enroll,
    create_sequence,
    delete_sequence,
    enroll_account,
    get_sequence,
    list_sequences,
    stop_enrollment,
    update_sequence,
)
from tests.services.outreach_data import LAPSED, make_user, seed_lapsing_workspace

T0 = datetime(2024, 3, 10, 9)


def _tasks(session: Session, enrollment: SequenceEnrollment) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.source_key.like(f"sequence:{enrollment.id}:%"))
                                .order_by(Task.id)))


def _messages(session: Session, enrollment: SequenceEnrollment) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.enrollment_id == enrollment.id)
                                .order_by(OutboxMessage.id)))


def test_every_workspace_has_the_win_back_sequence_once(sample_session: Session) -> None:
    [win_back] = list_sequences(session=sample_session)
    assert (win_back.name, win_back.trigger, win_back.active) == ("Win-back", "churn_risk", True)
    assert [(s["kind"], s["delay_days"]) for s in win_back.steps] == [("email", 0), ("call", 3), ("email", 7)]
    assert win_back.steps == DEFAULT_SEQUENCE["steps"]
    delete_sequence(session=sample_session, sequence_id=win_back.id, principal=SYSTEM)
    assert list_sequences(session=sample_session) == []  # made on first use only: a team may delete it


def test_a_sequence_runs_step_by_step_on_its_delays_and_completes(sample_session: Session,
                                                                  sample: dict[str, int]) -> None:
    sample_session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["task.created"], secret="s",
                                           active=True))
    enrollment = enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["ACME"],
                                principal=SYSTEM, now=T0)
    # The first step (an e-mail, due at once) is done on enrolment: a draft in the outbox and a task to send it.
    assert (enrollment.status, enrollment.step, enrollment.started_at) == ("active", 1, T0)
    assert enrollment.next_at == T0 + timedelta(days=3)
    [email_task] = _tasks(sample_session, enrollment)
    assert (email_task.title, email_task.source, email_task.due_date) == (
        "Send the win-back e-mail to Acme Trading Co", "sequence", date(2024, 3, 10))
    assert email_task.reason == "Step 1 of 3 of the 'Win-back' sequence (email, win-back), started 2024-03-10."
    [draft] = _messages(sample_session, enrollment)
    assert (draft.status, draft.task_id, draft.to_address) == ("draft", email_task.id, "li.wei@acme.example")
    assert draft.subject == "Acme Trading Co，好久不见"  # the contact reads Chinese
    events = [d.payload["data"]["title"] for d in sample_session.scalars(select(WebhookDelivery))]
    assert events == ["Send the win-back e-mail to Acme Trading Co"]

    report = advance_sequences(session=sample_session, now=T0 + timedelta(days=2), auto=False)
    assert (report.emails, report.calls, enrollment.step) == (0, 0, 1)  # the call is not due yet
    report = advance_sequences(session=sample_session, now=T0 + timedelta(days=3), auto=False)
    assert (report.emails, report.calls, enrollment.step) == (0, 1, 2)
    assert enrollment.next_at == T0 + timedelta(days=10)
    call = _tasks(sample_session, enrollment)[-1]
    assert (call.title, call.due_date, call.source_key) == ("Call Acme Trading Co: win-back", date(2024, 3, 13),
                                                            f"sequence:{enrollment.id}:2")
    report = advance_sequences(session=sample_session, now=T0 + timedelta(days=10), auto=False)
    assert (report.emails, report.calls, report.completed) == (1, 0, 1)
    assert (enrollment.status, enrollment.step, enrollment.next_at) == ("completed", 3, None)
    assert [m.subject for m in _messages(sample_session, enrollment)] == ["Acme Trading Co，好久不见",
                                                                          "Acme Trading Co，近况如何"]
    # drafting again from a step's task writes that step's follow-up
    assert [purpose_for_task(session=sample_session, task=t) for t in _tasks(sample_session, enrollment)] == [
        "win_back", "win_back", "check_in"]
    assert advance_sequences(session=sample_session, now=T0 + timedelta(days=30), auto=False).to_dict() == {
        "enrolled": 0, "emails": 0, "calls": 0, "stopped": 0, "completed": 0, "auto_enroll": "not asked for"}


@pytest.mark.parametrize("what", ["order", "reply"])
def test_a_sequence_stops_when_the_customer_orders_or_replies(sample_session: Session, sample: dict[str, int],
                                                              what: str) -> None:
    enrollment = enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["ACME"],
                                principal=SYSTEM, now=T0)
    # Our own e-mail (outbound) and what happened before the enrolment do not count.
    sample_session.add(Interaction(external_id="ix-out", channel="email", direction="outbound", subject="Hi",
                                   occurred_at=T0 + timedelta(hours=1), account_id=sample["ACME"]))
    assert advance_sequences(session=sample_session, now=T0 + timedelta(hours=2), auto=False).stopped == 0
    when = T0 + timedelta(days=1, hours=5)
    if what == "order":
        sample_session.add(Order(external_id="O9", account_id=sample["ACME"], kind="sale", ordered_at=when))
        reason = "the customer ordered on 2024-03-11 (order O9)"
    else:
        sample_session.add(Interaction(external_id="ix-in", channel="email", direction="inbound",
                                       subject="Re: 好久不见", occurred_at=when, account_id=sample["ACME"]))
        reason = "the customer replied on 2024-03-11 (email: Re: 好久不见)"
    report = advance_sequences(session=sample_session, now=T0 + timedelta(days=3), auto=False)
    assert (report.stopped, report.calls) == (1, 0)
    assert (enrollment.status, enrollment.stopped_reason, enrollment.next_at) == ("stopped", reason, None)
    assert [m.status for m in _messages(sample_session, enrollment)] == ["discarded"]
    [task] = _tasks(sample_session, enrollment)
    assert (task.status, task.closed_reason) == ("closed", f"sequence stopped: {reason}")


def test_enrolment_rules(sample_session: Session, sample: dict[str, int]) -> None:
    rep, rep_principal = make_user(sample_session, "mia", "sales", "mia@example.com")
    _, viewer = make_user(sample_session, "vic", "viewer")
    sample_session.get(Account, sample["BOREALIS"]).owner_id = rep.id
    with pytest.raises(Forbidden):  # not her account
        enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["ACME"],
                       principal=rep_principal, now=T0)
    with pytest.raises(Forbidden):
        enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["BOREALIS"],
                       principal=viewer, now=T0)
    mine = enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["BOREALIS"],
                          principal=rep_principal, now=T0, start=False)
    assert (mine.owner_id, mine.step, mine.next_at) == (rep.id, 0, T0)
    with pytest.raises(ConflictError):
        enroll_account(session=sample_session, sequence_id="Win-back", account_id=sample["BOREALIS"],
                       principal=rep_principal, now=T0)
    with pytest.raises(NotFoundError):
        enroll_account(session=sample_session, sequence_id="Nope", account_id=sample["ACME"], principal=SYSTEM)
    stop_enrollment(session=sample_session, enrollment_id=mine.id, principal=rep_principal, reason="met them",
                    now=T0)
    assert (mine.status, mine.stopped_reason) == ("stopped", "met them")
    with pytest.raises(ConflictError):
        stop_enrollment(session=sample_session, enrollment_id=mine.id, principal=rep_principal)
    paused = create_sequence(session=sample_session, principal=SYSTEM, data={
        "name": "Paused", "steps": [{"kind": "call"}], "active": False})
    with pytest.raises(ValidationFailed):
        enroll_account(session=sample_session, sequence_id=paused.id, account_id=sample["ACME"], principal=SYSTEM)


def test_definitions_are_validated_and_changed_by_managers(sample_session: Session, sample: dict[str, int]) -> None:
    _, sales = make_user(sample_session, "mia", "sales")
    _, manager = make_user(sample_session, "max", "manager")
    data = {"name": "Quote chase", "steps": [{"kind": "email", "purpose": "quote_follow_up"},
                                             {"kind": "call", "delay_days": 2}]}
    with pytest.raises(Forbidden):
        create_sequence(session=sample_session, data=data, principal=sales)
    chase = create_sequence(session=sample_session, data=data, principal=manager)
    assert (chase.trigger, chase.steps) == ("manual", [
        {"kind": "email", "delay_days": 0, "purpose": "quote_follow_up"},
        {"kind": "call", "delay_days": 2, "purpose": "check_in"}])
    with pytest.raises(ConflictError):
        create_sequence(session=sample_session, data=data, principal=manager)
    for bad, field in (({"name": "x", "steps": []}, "steps"),
                       ({"name": "x", "steps": [{"kind": "fax"}]}, "steps.0.kind"),
                       ({"name": "x", "steps": [{"kind": "call", "delay_days": -1}]}, "steps.0.delay_days"),
                       ({"name": "x", "steps": [{"kind": "call", "purpose": "spam"}]}, "steps.0.purpose"),
                       ({"name": "x", "trigger": "moon", "steps": [{"kind": "call"}]}, "trigger")):
        with pytest.raises(ValidationFailed) as exc:
            create_sequence(session=sample_session, data=bad, principal=manager)
        assert exc.value.details[0]["field"] == field
    update_sequence(session=sample_session, sequence_id=chase.id, principal=manager,
                    data={"steps": [{"kind": "call", "delay_days": 1}], "trigger": "churn_risk"})
    assert (chase.trigger, [s["delay_days"] for s in chase.steps]) == ("churn_risk", [1])
    assert get_sequence(session=sample_session, sequence_id="Quote chase") is chase
    enroll_account(session=sample_session, sequence_id=chase.id, account_id=sample["ACME"], principal=manager,
                   now=T0)
    with pytest.raises(ConflictError):
        delete_sequence(session=sample_session, sequence_id=chase.id, principal=manager)


def test_accounts_at_churn_risk_are_enrolled_once_per_lapse(engine: Engine) -> None:
    seed_lapsing_workspace(engine)
    now = datetime(2025, 1, 2, 9)
    with Session(engine) as session:
        scores = {r.subject_id: r.payload["probability"]
                  for r in session.scalars(select(ModelOutput).where(ModelOutput.model == "churn"))}
        at_risk = {a for a, p in scores.items() if p < 0.3}
        names = dict(session.execute(select(Account.id, Account.name)).all())
        assert sorted(names[a] for a in at_risk) == [f"Lapsed {n}" for n in range(LAPSED)]
        report = advance_sequences(session=session, now=now)
        assert (report.enrolled, report.emails, report.auto_enroll) == (LAPSED, LAPSED, None)
        win_back = session.scalar(select(Sequence).where(Sequence.name == "Win-back"))
        enrolled = {e.account_id: e for e in session.scalars(select(SequenceEnrollment))}
        assert set(enrolled) == at_risk
        assert all((e.sequence_id, e.step, e.started_at) == (win_back.id, 1, now) for e in enrolled.values())
        drafts = session.scalars(select(OutboxMessage).where(OutboxMessage.enrollment_id.is_not(None))).all()
        assert sorted(m.to_address for m in drafts) == [f"buyer@l{n:02d}.example" for n in range(LAPSED)]
        assert {m.subject for m in drafts} == {f"We miss you, Lapsed {n}" for n in range(LAPSED)}

        assert advance_sequences(session=session, now=now + timedelta(days=1)).enrolled == 0  # already going
        lapsed0 = next(a for a in at_risk if names[a] == "Lapsed 0")
        stop_enrollment(session=session, enrollment_id=enrolled[lapsed0].id, principal=SYSTEM, now=now)
        assert advance_sequences(session=session, now=now + timedelta(days=1)).enrolled == 0  # this lapse: handled
        # An order after the model scored the account: its low score is out of date, so it is not enrolled again.
        session.add(Order(external_id="L00-back", account_id=lapsed0, kind="sale", ordered_at=now))
        assert advance_sequences(session=session, now=now + timedelta(days=2)).enrolled == 0
        assert advance_sequences(session=session, now=now, threshold=0.95).enrolled == len(scores) - LAPSED
        session.rollback()


def test_without_a_trained_model_nobody_is_enrolled_automatically(sample_session: Session) -> None:
    report = advance_sequences(session=sample_session, now=T0)
    assert report.enrolled == 0
    assert report.auto_enroll == "the repurchase model is missing: train it (`bizpilot train churn`) first"


def test_the_command_line(engine: Engine, sample: dict[str, int]) -> None:
    import json

    from typer.testing import CliRunner

    from bizpilot.cli.main import app

    runner = CliRunner()

    def run(*args: str) -> dict:
        result = runner.invoke(app, ["sequences", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert [s["name"] for s in run("list")["items"]] == ["Win-back"]
    created = run("create", "Reorder nudge", "--step", "email:0:reorder_reminder", "--step", "call:2")
    assert created["steps"] == [{"kind": "email", "delay_days": 0, "purpose": "reorder_reminder"},
                                {"kind": "call", "delay_days": 2, "purpose": "check_in"}]
    enrolled = run("enroll", "Reorder nudge", "ACME")
    assert (enrolled["account"], enrolled["status"], enrolled["step"]) == ("Acme Trading Co", "active", 1)
    listed = {s["name"]: s["active_enrollments"] for s in run("list")["items"]}
    assert listed == {"Win-back": 0, "Reorder nudge": 1}
    advanced = run("advance", "--no-auto")
    assert (advanced["calls"], advanced["auto_enroll"]) == (0, "not asked for")  # the call is two days away
    stopped = run("stop", str(enrolled["id"]), "--reason", "ordered by phone")
    assert (stopped["status"], stopped["stopped_reason"]) == ("stopped", "ordered by phone")
    bad = runner.invoke(app, ["sequences", "create", "Bad", "--step", "fax:1"])
    assert bad.exit_code == 2 and "steps.0.kind" in bad.output
    bad = runner.invoke(app, ["sequences", "create", "Bad", "--step", "call:soon"])
    assert bad.exit_code == 2 and "must be a whole number" in bad.output
    with Session(engine) as session:
        # the step's draft (a reorder reminder for the account: a sequence names no product) went with the stop
        assert session.scalar(select(OutboxMessage.subject).where(OutboxMessage.status == "discarded")) == \
            "Acme Trading Co补货提醒"


def test_automatic_enrolment_is_paced_per_day_so_running_it_again_the_same_day_adds_nobody(engine: Engine) -> None:
    seed_lapsing_workspace(engine)
    now = datetime(2025, 1, 2, 9)
    with Session(engine) as session:
        advance_sequences(session=session, now=now, auto=False)  # the Win-back sequence exists
        first = auto_enroll(session=session, now=now, limit=3)
        assert first.enrolled == 3
        assert first.auto_enroll == ("at most 3 accounts a day start 'Win-back': the others at risk follow on the "
                                     "next days")
        assert auto_enroll(session=session, now=now + timedelta(hours=8), limit=3).enrolled == 0  # same day
        assert auto_enroll(session=session, now=now + timedelta(days=1), limit=3).enrolled == 3
        last = auto_enroll(session=session, now=now + timedelta(days=2), limit=3)
        assert (last.enrolled, last.auto_enroll) == (LAPSED - 6, None)  # the last two: nobody waits any more
        enrolled = session.scalars(select(SequenceEnrollment.account_id)).all()
        assert len(enrolled) == len(set(enrolled)) == LAPSED
        session.rollback()
