"""Follow-up sequences: an ordered set of steps (an e-mail draft, a call task), each a number of days after the one
before, run for one account at a time, as HubSpot or Odoo sales sequences do. This module defines them, enrols and
stops accounts and runs ``advance_sequences``; how one step runs is in ``services/sequence_runs.py``.

An account is enrolled by hand, or by itself when its repurchase probability (the churn model's latest outputs)
is below a threshold and the sequence's trigger is ``churn_risk`` - once per lapse: an account already enrolled
since its last order is not enrolled again. ``advance_sequences`` (run by the tasks refresh and ``bizpilot
sequences advance``) stops every enrollment whose customer ordered or wrote to us since it started (its unsent
drafts are discarded and its open tasks closed, with the reason), does each due step - a task on the owner's list,
with the e-mail drafted in the outbox for an e-mail step - and schedules the next, completing the enrollment after
its last step. Every workspace has a "Win-back" sequence, made the first time sequences are used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account
from bizpilot.domain.outreach import Sequence, SequenceEnrollment
from bizpilot.domain.schemas import InputSchema, PublicSchema
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.errors import ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.followups import PURPOSES as FOLLOWUP_PURPOSES
from bizpilot.services.policy import require_change
from bizpilot.services.sequence_runs import (
    CHURN_THRESHOLD,
    AdvanceReport,
    auto_enroll,
    run_step,
    start_enrollment,
    stop_now,
    why_stop,
    workspace_now,
)

TRIGGERS = ("manual", "churn_risk")
ENROLLMENT_STATUSES = ("active", "stopped", "completed")
DEFAULT_SEQUENCE = {"name": "Win-back", "trigger": "churn_risk", "steps": [
    {"kind": "email", "delay_days": 0, "purpose": "win_back"},
    {"kind": "call", "delay_days": 3, "purpose": "win_back"},
    {"kind": "email", "delay_days": 7, "purpose": "check_in"}]}
DEFAULTS_MARK = "sequences.defaults"
# the follow-up purposes (content generation's plus service_follow_up), one list: ``followups.PURPOSES``
Purpose = Literal[FOLLOWUP_PURPOSES]  # type: ignore[valid-type]


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
    enrollment = start_enrollment(session=session, sequence=sequence, account=account,
                                  owner_id=account.owner_id or principal.user_id, now=now)
    if start:
        run_step(session=session, enrollment=enrollment, sequence=sequence, now=now, report=AdvanceReport(),
                 use_llm=use_llm)
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
    stop_now(session=session, enrollment=enrollment, reason=reason or f"stopped by {principal.name}",
             now=now or workspace_now(session=session))
    return enrollment


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
        reason = why_stop(session=session, enrollment=enrollment)
        if reason is not None:
            stop_now(session=session, enrollment=enrollment, reason=reason, now=now)
            report.stopped += 1
            continue
        sequence = sequences.get(enrollment.sequence_id)
        if sequence is not None and sequence.active:
            run_step(session=session, enrollment=enrollment, sequence=sequence, now=now, report=report,
                     use_llm=use_llm)
    session.flush()
    return report


__all__ = ["CHURN_THRESHOLD", "DEFAULT_SEQUENCE", "ENROLLMENT_STATUSES", "TRIGGERS", "AdvanceReport",
           "EnrollmentPublic", "SequenceCreate", "SequencePublic", "SequenceStep", "SequenceUpdate",
           "advance_sequences", "auto_enroll", "create_sequence", "delete_sequence", "enroll_account",
           "ensure_defaults", "get_sequence", "list_enrollments", "list_sequences", "require_manager",
           "stop_enrollment", "update_sequence", "workspace_now"]
