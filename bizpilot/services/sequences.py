"""Follow-up sequences: an ordered set of steps (an e-mail draft, a call task), each a number of days after the one
before, run for one account at a time, as HubSpot or Odoo sales sequences do.

An account is enrolled by hand, or by itself when its repurchase probability (the churn model's latest outputs)
is below a threshold and the sequence's trigger is ``churn_risk`` - once per lapse: an account already enrolled
since its last order is not enrolled again. ``advance_sequences`` (run by the tasks refresh and ``bizpilot
sequences advance``) stops every enrollment whose customer ordered or wrote to us since it started (its unsent
drafts are discarded and its open tasks closed, with the reason), does each due step - a task on the owner's list,
with the e-mail drafted in the outbox for an e-mail step - and schedules the next, completing the enrollment after
its last step. Every workspace has a "Win-back" sequence, made the first time sequences are used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Interaction, Order, Task
from bizpilot.domain.outreach import OutboxMessage, Sequence, SequenceEnrollment
from bizpilot.domain.schemas import InputSchema, PublicSchema
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.errors import ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.auth import SYSTEM, Principal
from bizpilot.services.clock import as_of, utc_today, workspace_today
from bizpilot.services.events import emit
from bizpilot.services.followups import PURPOSES, draft_for_account
from bizpilot.services.outbox import UNSENT
from bizpilot.services.policy import require_change
from bizpilot.services.records import apply_changes, audit, plain

TRIGGERS = ("manual", "churn_risk")
ENROLLMENT_STATUSES = ("active", "stopped", "completed")
CHURN_THRESHOLD = 0.3  # enrol when the chance of ordering within the horizon is below this
MAX_AUTO_ENROLL = 25  # per run, the accounts with the most revenue at risk first
DEFAULT_SEQUENCE = {"name": "Win-back", "trigger": "churn_risk", "steps": [
    {"kind": "email", "delay_days": 0, "purpose": "win_back"},
    {"kind": "call", "delay_days": 3, "purpose": "win_back"},
    {"kind": "email", "delay_days": 7, "purpose": "check_in"}]}
DEFAULTS_MARK = "sequences.defaults"
PURPOSE_WORDS = {"reorder_reminder": "reorder reminder", "win_back": "win-back", "quote_follow_up": "quote follow-up",
                 "cross_sell": "cross-sell", "service_follow_up": "service follow-up", "check_in": "check-in"}
TASK_EVENT_FIELDS = ("id", "title", "reason", "source", "status", "priority", "due_date", "owner_id", "account_id",
                     "opportunity_id", "ticket_id", "product_id", "expected_value")
Purpose = Literal["reorder_reminder", "win_back", "quote_follow_up", "cross_sell", "service_follow_up", "check_in"]


class SequenceStep(InputSchema):
    kind: Literal["email", "call"]
    delay_days: int = Field(default=0, ge=0, le=365, description="Days after the previous step (the first: after "
                                                                 "enrolment)")
    purpose: Purpose = "check_in"


class SequenceCreate(InputSchema):
    name: str = Field(min_length=1, max_length=128)
    trigger: Literal["manual", "churn_risk"] = "manual"
    steps: list[SequenceStep] = Field(min_length=1, max_length=20)
    active: bool = True


class SequenceUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    trigger: Literal["manual", "churn_risk"] | None = None
    steps: list[SequenceStep] | None = Field(default=None, min_length=1, max_length=20)
    active: bool | None = None


class SequencePublic(PublicSchema):
    id: int
    name: str
    trigger: str
    steps: list[dict[str, Any]]
    active: bool
    created_at: datetime


class EnrollmentPublic(PublicSchema):
    id: int
    sequence_id: int
    account_id: int
    owner_id: int | None
    status: str
    step: int
    next_at: datetime | None
    started_at: datetime
    stopped_at: datetime | None
    stopped_reason: str | None


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


def require_manager(principal: Principal, what: str) -> None:
    if not (principal.allows("write") and principal.changes_everything):
        raise Forbidden(f"{principal.name} may not {what}: sequences are the team's, managers and admins change them",
                        details=[{"field": "role", "reason": "manager or admin required", "value": principal.role}])


def ensure_defaults(*, session: Session) -> None:
    """Make the "Win-back" sequence the first time sequences are used (once: a team may delete it)."""
    if session.get(WorkspaceSetting, DEFAULTS_MARK) is not None:
        return
    if session.scalar(select(Sequence.id).where(Sequence.name == DEFAULT_SEQUENCE["name"])) is None:
        session.add(Sequence(**DEFAULT_SEQUENCE, active=True, created_at=utcnow()))
    session.add(WorkspaceSetting(key=DEFAULTS_MARK, value={"created": [DEFAULT_SEQUENCE["name"]]}, updated_at=utcnow()))
    session.flush()


def list_sequences(*, session: Session) -> list[Sequence]:
    ensure_defaults(session=session)
    return list(session.scalars(select(Sequence).order_by(Sequence.id)))


def get_sequence(*, session: Session, sequence_id: int | str) -> Sequence:
    """A sequence by id, or by name (the CLI's ``Win-back``)."""
    ensure_defaults(session=session)
    if isinstance(sequence_id, int) or str(sequence_id).isdigit():
        found = session.get(Sequence, int(sequence_id))
    else:
        found = session.scalar(select(Sequence).where(Sequence.name == str(sequence_id)))
    if found is None:
        raise NotFoundError(f"sequence {sequence_id} not found",
                            details=[{"field": "sequence", "reason": "not found", "value": sequence_id}])
    return found


def _validated(schema: type[BaseModel], data: Any) -> Any:
    from pydantic import ValidationError

    try:
        return data if isinstance(data, schema) else schema.model_validate(data)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        raise ValidationFailed("invalid sequence: " + "; ".join(f"{d['field']}: {d['reason']}" for d in details[:5]),
                               details=details) from None


def _check_name(session: Session, name: str, own_id: int | None = None) -> None:
    clash = session.scalar(select(Sequence.id).where(Sequence.name == name))
    if clash is not None and clash != own_id:
        raise ConflictError(f"a sequence named {name!r} already exists",
                            details=[{"field": "name", "reason": "already used", "value": name}])


def _flush(session: Session, sequence: Sequence) -> Sequence:
    try:
        session.flush()
    except IntegrityError:  # the same name written by someone else since the check
        raise ConflictError(f"a sequence named {sequence.name!r} was created meanwhile",
                            details=[{"field": "name", "reason": "already used"}]) from None
    return sequence


def create_sequence(*, session: Session, data: SequenceCreate | dict[str, Any], principal: Principal) -> Sequence:
    require_manager(principal, "create sequences")
    ensure_defaults(session=session)
    body = _validated(SequenceCreate, data)
    _check_name(session, body.name)
    sequence = Sequence(name=body.name, trigger=body.trigger, steps=[s.model_dump() for s in body.steps],
                        active=body.active, created_at=utcnow())
    session.add(sequence)
    return _flush(session, sequence)


def update_sequence(*, session: Session, sequence_id: int, data: SequenceUpdate | dict[str, Any],
                    principal: Principal) -> Sequence:
    """Change a sequence; enrolments on the way continue with the new steps from the step they reached."""
    require_manager(principal, "change sequences")
    sequence = get_sequence(session=session, sequence_id=sequence_id)
    body = _validated(SequenceUpdate, data)
    if body.name is not None:
        _check_name(session, body.name, sequence.id)
    for field in ("name", "trigger", "active"):
        if getattr(body, field) is not None:
            setattr(sequence, field, getattr(body, field))
    if body.steps is not None:
        sequence.steps = [s.model_dump() for s in body.steps]
    return _flush(session, sequence)


def delete_sequence(*, session: Session, sequence_id: int, principal: Principal) -> None:
    """Delete a sequence nobody is going through (deactivate it to keep its history)."""
    require_manager(principal, "delete sequences")
    sequence = get_sequence(session=session, sequence_id=sequence_id)
    active = session.scalar(select(SequenceEnrollment.id).where(SequenceEnrollment.sequence_id == sequence.id,
                                                                SequenceEnrollment.status == "active").limit(1))
    if active is not None:
        raise ConflictError(f"sequence {sequence.name!r} has active enrolments: stop them or deactivate it",
                            details=[{"field": "id", "reason": "active enrolments", "value": sequence.id}])
    session.execute(delete(SequenceEnrollment).where(SequenceEnrollment.sequence_id == sequence.id))
    session.delete(sequence)
    session.flush()


def list_enrollments(*, session: Session, sequence_id: int | None = None, account_id: int | None = None,
                     status: str | None = None, limit: int = 200) -> list[SequenceEnrollment]:
    stmt = select(SequenceEnrollment)
    if sequence_id is not None:
        stmt = stmt.where(SequenceEnrollment.sequence_id == sequence_id)
    if account_id is not None:
        stmt = stmt.where(SequenceEnrollment.account_id == account_id)
    if status is not None:
        stmt = stmt.where(SequenceEnrollment.status == status)
    return list(session.scalars(stmt.order_by(SequenceEnrollment.id.desc()).limit(limit)))


def _enroll(session: Session, sequence: Sequence, account: Account, owner_id: int | None,
            now: datetime) -> SequenceEnrollment:
    steps = sequence.steps or []
    enrollment = SequenceEnrollment(sequence_id=sequence.id, account_id=account.id, owner_id=owner_id,
                                    status="active", step=0, started_at=now,
                                    next_at=now + timedelta(days=int(steps[0].get("delay_days", 0))) if steps else now)
    session.add(enrollment)
    session.flush()
    return enrollment


def enroll_account(*, session: Session, sequence_id: int | str, account_id: int, principal: Principal,
                   now: datetime | None = None, start: bool = True, use_llm: bool = False) -> SequenceEnrollment:
    """Start ``sequence_id`` for an account the principal may change; with ``start``, a first step that is due at
    once is done now (its draft or task is there when the call returns)."""
    sequence = get_sequence(session=session, sequence_id=sequence_id)
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} not found", details=[{"field": "account_id", "reason": "not found"}])
    require_change(principal, session=session, record=account, what=f"account {account.id} ({account.name})")
    if not sequence.active:
        raise ValidationFailed(f"sequence {sequence.name!r} is not active",
                               details=[{"field": "sequence", "reason": "inactive"}])
    running = session.scalar(select(SequenceEnrollment.id).where(
        SequenceEnrollment.sequence_id == sequence.id, SequenceEnrollment.account_id == account.id,
        SequenceEnrollment.status == "active"))
    if running is not None:
        raise ConflictError(f"{account.name} is already going through {sequence.name!r} (enrolment {running})",
                            details=[{"field": "account_id", "reason": "already enrolled", "value": account.id}])
    now = now or workspace_now(session=session)
    enrollment = _enroll(session, sequence, account, account.owner_id or principal.user_id, now)
    if start:
        _step(session, enrollment, sequence, now, AdvanceReport(), use_llm=use_llm)
    return enrollment


def stop_enrollment(*, session: Session, enrollment_id: int, principal: Principal, reason: str | None = None,
                    now: datetime | None = None) -> SequenceEnrollment:
    """Stop an active enrolment by hand (its unsent drafts are discarded and open tasks closed)."""
    enrollment = session.get(SequenceEnrollment, enrollment_id)
    if enrollment is None:
        raise NotFoundError(f"enrolment {enrollment_id} not found", details=[{"field": "id", "reason": "not found"}])
    account = session.get(Account, enrollment.account_id)
    require_change(principal, session=session, record=account, what=f"account {enrollment.account_id}")
    if enrollment.status != "active":
        raise ConflictError(f"enrolment {enrollment.id} is already {enrollment.status}",
                            details=[{"field": "status", "reason": enrollment.status}])
    _stop(session, enrollment, reason or f"stopped by {principal.name}", now or workspace_now(session=session))
    return enrollment


def _stop(session: Session, enrollment: SequenceEnrollment, reason: str, now: datetime) -> None:
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


def _why_stop(session: Session, enrollment: SequenceEnrollment) -> str | None:
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


def _step(session: Session, enrollment: SequenceEnrollment, sequence: Sequence, now: datetime,
          report: AdvanceReport, *, use_llm: bool) -> None:
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
    words = PURPOSE_WORDS.get(purpose, purpose)
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
    sequence (once per lapse, the most revenue at risk first), from the churn model's latest outputs."""
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
    for sequence in sequences:
        added = 0
        for row in rows:
            if added >= limit:
                break
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
            _enroll(session, sequence, account, account.owner_id, now)
            added += 1
        report.enrolled += added
    return report


def advance_sequences(*, session: Session, now: datetime | None = None, auto: bool = True,
                      threshold: float = CHURN_THRESHOLD, use_llm: bool = False) -> AdvanceReport:
    """One run (see the module docstring): enrol at-risk accounts, stop, step and complete enrolments."""
    ensure_defaults(session=session)
    now = now or workspace_now(session=session)
    report = AdvanceReport()
    if auto:
        auto_enroll(session=session, now=now, threshold=threshold, report=report)
    else:
        report.auto_enroll = "not asked for"
    sequences = {s.id: s for s in session.scalars(select(Sequence))}
    for enrollment in list(session.scalars(select(SequenceEnrollment).where(SequenceEnrollment.status == "active")
                                           .order_by(SequenceEnrollment.id))):
        reason = _why_stop(session, enrollment)
        if reason is not None:
            _stop(session, enrollment, reason, now)
            report.stopped += 1
            continue
        sequence = sequences.get(enrollment.sequence_id)
        if sequence is not None and sequence.active:
            _step(session, enrollment, sequence, now, report, use_llm=use_llm)
    session.flush()
    return report


__all__ = ["CHURN_THRESHOLD", "DEFAULT_SEQUENCE", "ENROLLMENT_STATUSES", "TRIGGERS", "AdvanceReport",
           "EnrollmentPublic", "SequenceCreate", "SequencePublic", "SequenceStep", "SequenceUpdate",
           "advance_sequences", "auto_enroll", "create_sequence", "delete_sequence", "enroll_account",
           "ensure_defaults", "get_sequence", "list_enrollments", "list_sequences", "require_manager",
           "stop_enrollment", "update_sequence", "workspace_now"]
