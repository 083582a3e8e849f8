"""Running follow-up sequences: one enrolment's due step (a task on the owner's list, with the e-mail drafted in
the outbox for an e-mail step), the stop when the customer ordered or replied (unsent drafts discarded, open tasks
closed, the reason kept), and automatic enrolment of accounts at churn risk from the repurchase model's outputs.
``services/sequences.py`` defines sequences and calls these; nothing here commits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Interaction, Order, Task
from bizpilot.domain.outreach import OutboxMessage, Sequence, SequenceEnrollment
from bizpilot.services.auth import SYSTEM
from bizpilot.services.clock import as_of, utc_today, workspace_today
from bizpilot.services.events import emit
from bizpilot.services.followups import PURPOSES, draft_for_account
from bizpilot.services.outbox import UNSENT
from bizpilot.services.records import apply_changes, audit, plain

CHURN_THRESHOLD = 0.3  # enrol when the chance of ordering within the horizon is below this
# per sequence and day, the accounts with the most revenue at risk first: the team is not flooded, and running the
# enrolment again the same day (a second `tasks refresh`) enrols nobody new
MAX_AUTO_ENROLL = 25
PURPOSE_WORDS = {"reorder_reminder": "reorder reminder", "win_back": "win-back", "quote_follow_up": "quote follow-up",
                 "cross_sell": "cross-sell", "service_follow_up": "service follow-up", "check_in": "check-in"}
TASK_EVENT_FIELDS = ("id", "title", "reason", "source", "status", "priority", "due_date", "owner_id", "account_id",
                     "opportunity_id", "ticket_id", "product_id", "expected_value")


@dataclass
class AdvanceReport:
    """What one run did; ``auto_enroll`` says why automatic enrolment did not run, when it did not."""

    enrolled: int = 0
    emails: int = 0
    calls: int = 0
    stopped: int = 0
    completed: int = 0
    auto_enroll: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def workspace_now(*, session: Session) -> datetime:
    """Now, for a live workspace; the end of the data's own today for one whose data ends in the past (the demo),
    so enrolments start after its history (see ``services/clock.py``)."""
    return utcnow() if workspace_today(session=session) == utc_today() else as_of(session=session)


def start_enrollment(*, session: Session, sequence: Sequence, account: Account, owner_id: int | None,
                     now: datetime) -> SequenceEnrollment:
    """A new active enrolment whose first step is due after the first step's delay."""
    steps = sequence.steps or []
    enrollment = SequenceEnrollment(sequence_id=sequence.id, account_id=account.id, owner_id=owner_id,
                                    status="active", step=0, started_at=now,
                                    next_at=now + timedelta(days=int(steps[0].get("delay_days", 0))) if steps else now)
    session.add(enrollment)
    session.flush()
    return enrollment


def stop_now(*, session: Session, enrollment: SequenceEnrollment, reason: str, now: datetime) -> None:
    """Stop it with ``reason``: its unsent drafts are discarded and its open tasks closed (audited, by the system)."""
    enrollment.status, enrollment.stopped_at, enrollment.stopped_reason, enrollment.next_at = (
        "stopped", now, reason, None)
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.enrollment_id == enrollment.id,
                                                               OutboxMessage.status.in_(UNSENT))):
        message.status = "discarded"
    for task in session.scalars(select(Task).where(Task.source == "sequence",
                                                   Task.source_key.like(f"sequence:{enrollment.id}:%"),
                                                   Task.status.in_(("open", "snoozed")))):
        apply_changes(session=session, entity="tasks", record=task, principal=SYSTEM, channel="system",
                      changes={"status": "closed", "closed_reason": f"sequence stopped: {reason}"})
    session.flush()


def why_stop(*, session: Session, enrollment: SequenceEnrollment) -> str | None:
    """The customer ordered or wrote to us since the enrolment started (a reason in words), or None."""
    order = session.scalar(select(Order).where(Order.account_id == enrollment.account_id, Order.kind == "sale",
                                               Order.ordered_at > enrollment.started_at)
                           .order_by(Order.ordered_at).limit(1))
    if order is not None:
        return f"the customer ordered on {order.ordered_at.date().isoformat()} (order {order.external_id})"
    reply = session.scalar(select(Interaction).where(Interaction.account_id == enrollment.account_id,
                                                     Interaction.direction == "inbound",
                                                     Interaction.occurred_at > enrollment.started_at)
                           .order_by(Interaction.occurred_at).limit(1))
    if reply is not None:
        about = f": {reply.subject}" if reply.subject else ""
        return f"the customer replied on {reply.occurred_at.date().isoformat()} ({reply.channel}{about})"
    return None


def run_step(*, session: Session, enrollment: SequenceEnrollment, sequence: Sequence, now: datetime,
             report: AdvanceReport, use_llm: bool) -> None:
    """Do the enrolment's step if it is due, then schedule the next one or complete it."""
    steps = sequence.steps or []
    if enrollment.step >= len(steps):
        enrollment.status, enrollment.next_at, enrollment.stopped_at = "completed", None, now
        report.completed += 1
        return
    if enrollment.next_at is not None and enrollment.next_at > now:
        return
    step, number = steps[enrollment.step], enrollment.step + 1
    account = session.get(Account, enrollment.account_id)
    purpose = str(step.get("purpose") or "check_in")
    words = PURPOSE_WORDS.get(purpose, purpose.replace("_", " "))
    kind = "email" if step.get("kind") == "email" else "call"
    title = (f"Send the {words} e-mail to {account.name}" if kind == "email" else f"Call {account.name}: {words}")
    task = Task(title=title[:255], due_date=now.date(), owner_id=enrollment.owner_id, account_id=account.id,
                status="open", priority="normal", source="sequence",
                source_key=f"sequence:{enrollment.id}:{number}", created_at=utcnow(),
                reason=f"Step {number} of {len(steps)} of the {sequence.name!r} sequence ({kind}, {words}), "
                       f"started {enrollment.started_at.date().isoformat()}.")
    session.add(task)
    session.flush()
    event = {k: plain(getattr(task, k)) for k in TASK_EVENT_FIELDS}  # as the tasks service tells subscribers
    audit(session=session, entity="tasks", record_id=task.id, action="create", principal=SYSTEM, channel="system",
          changes={k: [None, v] for k, v in event.items() if k != "id" and v is not None})
    emit(session=session, event="task.created", data=event)
    if kind == "email":
        draft_for_account(session=session, account_id=account.id, purpose=purpose if purpose in PURPOSES else
                          "check_in", principal=SYSTEM, task_id=task.id, enrollment_id=enrollment.id,
                          use_llm=use_llm)
        report.emails += 1
    else:
        report.calls += 1
    enrollment.step = number
    if number < len(steps):
        enrollment.next_at = now + timedelta(days=int(steps[number].get("delay_days", 0)))
    else:
        enrollment.status, enrollment.next_at, enrollment.stopped_at = "completed", None, now
        report.completed += 1
    session.flush()


def auto_enroll(*, session: Session, now: datetime, threshold: float = CHURN_THRESHOLD,
                limit: int = MAX_AUTO_ENROLL, report: AdvanceReport | None = None) -> AdvanceReport:
    """Enrol accounts whose repurchase probability is below ``threshold`` in every active ``churn_risk``
    sequence (once per lapse, the most revenue at risk first, at most ``limit`` a day counting the enrolments
    started since the start of ``now``'s day), from the churn model's latest outputs."""
    from bizpilot.services.intelligence.specs import CHURN
    from bizpilot.services.models.access import model_state, outputs

    report = report or AdvanceReport()
    sequences = list(session.scalars(select(Sequence).where(Sequence.active.is_(True),
                                                            Sequence.trigger == "churn_risk")))
    if not sequences:
        report.auto_enroll = "no active sequence is started by churn risk"
        return report
    state = model_state(session=session, spec=CHURN)
    if state.state != "ready":  # a job that never queues training: it runs after `train all`
        report.auto_enroll = f"the repurchase model is {state.state}: train it (`bizpilot train churn`) first"
        return report
    rows = [r for r in outputs(session=session, spec=CHURN, subject="account", order="-score")
            if float((r.payload or {}).get("probability", 1.0)) < threshold]
    scored_at = state.finished.as_of if state.finished is not None else None
    day_start = datetime.combine(now.date(), time())
    for sequence in sequences:
        added = 0
        budget = limit - int(session.scalar(select(func.count()).select_from(SequenceEnrollment).where(
            SequenceEnrollment.sequence_id == sequence.id, SequenceEnrollment.started_at >= day_start)) or 0)
        for row in rows:
            account = session.get(Account, row.subject_id)
            if account is None or account.archived_at is not None:
                continue
            last_order = session.scalar(select(Order.ordered_at).where(Order.account_id == account.id,
                                                                       Order.kind == "sale")
                                        .order_by(Order.ordered_at.desc()).limit(1))
            if last_order is not None and scored_at is not None and last_order >= scored_at:
                continue  # ordered since it was scored: the score is out of date, not a lapse
            seen = select(SequenceEnrollment.id).where(SequenceEnrollment.sequence_id == sequence.id,
                                                       SequenceEnrollment.account_id == account.id)
            if last_order is not None:  # once per lapse: enrolled since the last order means handled
                seen = seen.where((SequenceEnrollment.status == "active")
                                  | (SequenceEnrollment.started_at >= last_order))
            if session.scalar(seen.limit(1)) is not None:
                continue
            if added >= budget:  # an account left for another day
                report.auto_enroll = (f"at most {limit} accounts a day start {sequence.name!r}: the others at risk "
                                      "follow on the next days")
                break
            start_enrollment(session=session, sequence=sequence, account=account, owner_id=account.owner_id, now=now)
            added += 1
        report.enrolled += added
    return report


__all__ = ["CHURN_THRESHOLD", "MAX_AUTO_ENROLL", "AdvanceReport", "auto_enroll", "run_step", "start_enrollment",
           "stop_now", "why_stop", "workspace_now"]
