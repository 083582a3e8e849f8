"""Tasks: what a person should do for a customer by a date, added by hand or opened by the intelligence.

Every change goes through the records write path (``services/records.py``): the ownership rule (a sales or service
user works on the tasks they own and the tasks of the accounts they own; managers and admins on all), the version
check (a stale version is a 409 and nothing changes) and an audit row per change. A new task also tells webhook
subscribers (``task.created``).

``refresh_tasks`` turns what the models computed into tasks (``services/task_sources.py``): it opens one task per
cause (``source_key``) unless an open one exists for it ("kept") or someone already marked one done after the
cause's latest evidence, and closes the open automatic tasks whose cause is gone, saying why. It also advances the
follow-up sequences (``services/sequences.py::advance_sequences``: enrolment at churn risk, due steps, stops on an
order or a reply), so whatever runs the refresh (``bizpilot tasks refresh``, ``train all``, the schedule of
``serve``, the API) keeps sequences moving; their step tasks count as the source ``sequence``. It only reads model
outputs, so an edge may run it in a request.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Opportunity, Product, Task, User
from bizpilot.domain.conversation import HandoffTicket
from bizpilot.domain.task import TaskCreate, TaskPublic, TaskUpdate
from bizpilot.errors import ValidationFailed
from bizpilot.services.auth import SYSTEM, Principal
from bizpilot.services.clock import as_of as workspace_as_of
from bizpilot.services.clock import workspace_today
from bizpilot.services.events import emit
from bizpilot.services.policy import require_change
from bizpilot.services.records import apply_changes, audit, get_record, plain
from bizpilot.services.sequences import advance_sequences
from bizpilot.services.task_context import Candidate, Context
from bizpilot.services.task_sources import AUTOMATIC, SCANS

ACTIVE = ("open", "snoozed")
SEQUENCE = "sequence"  # the source of the tasks a sequence step opens (``services/sequence_runs.py``)
REFRESHED = (*AUTOMATIC, SEQUENCE)  # the sources a refresh reports, in this order
STATUS_FILTERS = ("open", "snoozed", "done", "closed", "active")  # active: open, or snoozed until today or before
GROUPS = ("overdue", "today", "week", "later")
PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
MAX_SNOOZE_DAYS = 366
WORKING_ROLES = ("service", "sales", "manager", "admin")  # who may be given a task (viewers read only)
log = logging.getLogger("bizpilot.tasks")


def _invalid(field: str, reason: str, value: Any = None, message: str | None = None) -> ValidationFailed:
    return ValidationFailed(message or f"{field}: {reason}", details=[{"field": field, "reason": reason,
                                                                       "value": value}])


def get_task(*, session: Session, task_id: int) -> Task:
    """The task, or ``NotFoundError`` naming it."""
    return get_record(session=session, entity="tasks", record_id=task_id)


def assignable_users(*, session: Session) -> list[User]:
    """Active users who may be given a task, by name."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.role.in_(WORKING_ROLES))
                                .order_by(User.name)))


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is None:
        return
    user = session.get(User, owner_id)
    if user is None or not user.active or user.role not in WORKING_ROLES:
        why = "no such user" if user is None else "inactive user" if not user.active else "a viewer works no tasks"
        raise _invalid("owner_id", why, owner_id, f"cannot give a task to user {owner_id}: {why}")


def _check_links(session: Session, values: Mapping[str, Any]) -> None:
    for field, model in (("account_id", Account), ("opportunity_id", Opportunity), ("ticket_id", HandoffTicket),
                         ("product_id", Product)):
        if values.get(field) is not None and session.get(model, values[field]) is None:
            raise _invalid(field, "no such record", values[field], f"{field} {values[field]} does not exist")


def _validated(schema: type[Any], data: Mapping[str, Any] | Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        data = data.model_dump(exclude_unset=True)
    try:
        return schema.model_validate(dict(data)).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise ValidationFailed("invalid task", details=[
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]} for err in exc.errors()]) from None


def event_data(task: Task) -> dict[str, Any]:
    """What ``task.created`` subscribers receive."""
    return {k: plain(getattr(task, k)) for k in ("id", "title", "reason", "source", "status", "priority", "due_date",
                                                  "owner_id", "account_id", "opportunity_id", "ticket_id",
                                                  "product_id", "expected_value")}


def _insert(session: Session, task: Task, principal: Principal, channel: str) -> Task:
    require_change(principal, session=session, record=task, what="a new task")
    session.add(task)
    session.flush()
    audit(session=session, entity="tasks", record_id=task.id, action="create", principal=principal, channel=channel,
          changes={k: [None, plain(v)] for k, v in event_data(task).items() if k != "id" and v is not None})
    emit(session=session, event="task.created", data=event_data(task))
    return task


def create_task(*, session: Session, data: Mapping[str, Any] | TaskCreate, principal: Principal,
                channel: str) -> Task:
    """A task added by hand (validated by ``TaskCreate``); it goes to its creator unless it names an owner, and
    takes the account of the deal it is about. Sales and service users add tasks to their own accounts."""
    values = _validated(TaskCreate, data)
    _check_links(session, values)
    if values.get("account_id") is None and values.get("opportunity_id") is not None:
        values["account_id"] = session.get(Opportunity, values["opportunity_id"]).account_id  # type: ignore[union-attr]
    if values.get("owner_id") is None:
        values["owner_id"] = principal.user_id
    _check_owner(session, values["owner_id"])
    account = session.get(Account, values["account_id"]) if values.get("account_id") is not None else None
    if account is not None and not principal.changes_everything:  # as contacts and deals: on their accounts only
        require_change(principal, session=session, record=account, what=f"account {account.id} ({account.name})")
    task = Task(**values, status="open", source="manual", created_at=utcnow())
    return _insert(session, task, principal, channel)


def update_task(*, session: Session, task_id: int, data: Mapping[str, Any], principal: Principal, channel: str,
                expected_version: int | None = None) -> Task:
    """Change a task's title, reason, due date, owner or priority (validated by ``TaskUpdate``)."""
    task = get_task(session=session, task_id=task_id)
    values = _validated(TaskUpdate, data)
    for field in ("title", "priority"):
        if field in values and values[field] is None:
            raise _invalid(field, "cannot be empty")
    if "owner_id" in values:
        _check_owner(session, values["owner_id"])
    apply_changes(session=session, entity="tasks", record=task, changes=values, principal=principal,
                  channel=channel, expected_version=expected_version)
    return task


def _change(session: Session, task_id: int, changes: dict[str, Any], action: str, principal: Principal,
            channel: str, expected_version: int | None) -> Task:
    task = get_task(session=session, task_id=task_id)
    apply_changes(session=session, entity="tasks", record=task, changes=changes, principal=principal,
                  channel=channel, expected_version=expected_version, action=action)
    return task


def complete_task(*, session: Session, task_id: int, principal: Principal, channel: str,
                  expected_version: int | None = None) -> Task:
    """Mark a task done (done twice: nothing changes)."""
    task = get_task(session=session, task_id=task_id)
    if task.status == "done":
        require_change(principal, session=session, record=task, what=f"task {task.id}")
        return task
    return _change(session, task_id, {"status": "done", "completed_at": utcnow(), "snoozed_until": None},
                   "complete", principal, channel, expected_version)


def snooze_task(*, session: Session, task_id: int, principal: Principal, channel: str, until: date | None = None,
                days: int | None = None, expected_version: int | None = None) -> Task:
    """Put a task off until a later day (``until``, or ``days`` after the workspace's today): it leaves Today
    until then and is due that day."""
    today = workspace_today(session=session)
    if (until is None) == (days is None):
        raise _invalid("until", "give either a date or a number of days")
    when = until if until is not None else today + timedelta(days=int(days or 0))
    if not today < when <= today + timedelta(days=MAX_SNOOZE_DAYS):
        raise _invalid("until", f"must be after today ({today.isoformat()}) and within {MAX_SNOOZE_DAYS} days",
                       plain(when))
    task = get_task(session=session, task_id=task_id)
    if task.status not in ACTIVE:
        raise _invalid("status", f"a {task.status} task cannot be snoozed: reopen it first", task.status)
    return _change(session, task_id, {"status": "snoozed", "snoozed_until": when, "due_date": when}, "snooze",
                   principal, channel, expected_version)


def reopen_task(*, session: Session, task_id: int, principal: Principal, channel: str,
                expected_version: int | None = None) -> Task:
    """Open a done, closed or snoozed task again."""
    return _change(session, task_id, {"status": "open", "completed_at": None, "snoozed_until": None,
                                      "closed_reason": None}, "reopen", principal, channel, expected_version)


def reassign_task(*, session: Session, task_id: int, owner_id: int | None, principal: Principal, channel: str,
                  expected_version: int | None = None) -> Task:
    """Give a task to another user (``None``: nobody); its owner may hand it on, managers reassign any."""
    _check_owner(session, owner_id)
    return _change(session, task_id, {"owner_id": owner_id}, "reassign", principal, channel, expected_version)


def _status_clause(status: str, today: date) -> Any:
    if status not in STATUS_FILTERS:
        raise _invalid("status", f"one of {', '.join(STATUS_FILTERS)}", status)
    if status == "active":
        return or_(Task.status == "open", and_(Task.status == "snoozed", Task.snoozed_until <= today))
    return Task.status == status


def list_tasks(*, session: Session, owner_id: int | None = None, unassigned: bool = False,
               status: str | None = None, account_id: int | None = None, due_before: date | None = None,
               source: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Task], int]:
    """Tasks matching the filters (soonest due first, then the most valuable) and how many match in all."""
    where = [Task.archived_at.is_(None)]
    if unassigned:
        where.append(Task.owner_id.is_(None))
    elif owner_id is not None:
        where.append(Task.owner_id == owner_id)
    if status is not None:
        where.append(_status_clause(status, workspace_today(session=session)))
    if account_id is not None:
        where.append(Task.account_id == account_id)
    if due_before is not None:
        where.append(Task.due_date < due_before)
    if source is not None:
        where.append(Task.source == source)
    total = session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
    rows = session.scalars(select(Task).where(*where).order_by(Task.due_date.is_(None), Task.due_date,
                                                               Task.expected_value.desc(), Task.id)
                           .limit(limit).offset(offset))
    return list(rows), int(total)


def views(*, session: Session, tasks: list[Task], today: date | None = None) -> list[dict[str, Any]]:
    """Tasks as lists and pages show them: their fields with the names of the account, owner, deal and product,
    and whether they are overdue."""
    today = today or workspace_today(session=session)

    def names(model: Any, column: Any, ids: set[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        return dict(session.execute(select(model.id, column).where(model.id.in_(wanted))).all()) if wanted else {}

    accounts = names(Account, Account.name, {t.account_id for t in tasks})
    users = names(User, User.name, {t.owner_id for t in tasks})
    deals = names(Opportunity, Opportunity.name, {t.opportunity_id for t in tasks})
    products = names(Product, Product.name, {t.product_id for t in tasks})
    return [{**TaskPublic.model_validate(t).model_dump(), "account_name": accounts.get(t.account_id or 0),
             "owner_name": users.get(t.owner_id or 0), "opportunity_name": deals.get(t.opportunity_id or 0),
             "product_name": products.get(t.product_id or 0),
             "overdue": t.status in ACTIVE and t.due_date is not None and t.due_date < today} for t in tasks]


def rank_key(view: Mapping[str, Any]) -> tuple[Any, ...]:
    """Overdue first, then the most valuable, the most urgent, the soonest due."""
    return (not view["overdue"], -(view["expected_value"] or 0.0), PRIORITY_RANK.get(view["priority"], 1),
            view["due_date"] or date.max, view["id"])


def group_of(due: date | None, today: date) -> str:
    if due is None:
        return "later"
    return "overdue" if due < today else "today" if due == today else "week" if due <= today + timedelta(days=6) \
        else "later"


def today_board(*, session: Session, owner_id: int | None = None, everyone: bool = False,
                unassigned: bool = False, per_group: int = 100) -> dict[str, Any]:
    """Someone's active tasks for the Today page (``everyone``: all users'; ``unassigned``: nobody's), grouped
    overdue / today / this week / later, each group ranked by ``rank_key`` and cut at its ``per_group`` most
    valuable (``more``: how many each group left out)."""
    today = workspace_today(session=session)
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    if not everyone and not unassigned and owner_id is None:
        return {"today": today, "groups": groups, "more": dict.fromkeys(GROUPS, 0), "total": 0}
    tasks, total = list_tasks(session=session, owner_id=None if everyone else owner_id, unassigned=unassigned,
                              status="active", limit=100_000)
    for view in sorted(views(session=session, tasks=tasks, today=today), key=rank_key):
        groups[group_of(view["due_date"], today)].append(view)
    more = {g: max(0, len(rows) - per_group) for g, rows in groups.items()}
    return {"today": today, "groups": {g: rows[:per_group] for g, rows in groups.items()}, "more": more,
            "total": total}


def tasks_for_account(*, session: Session, account_id: int, include_finished: bool = False) -> list[dict[str, Any]]:
    """The account's open tasks (``include_finished``: all of them), ranked as on Today, for the account page."""
    tasks, _ = list_tasks(session=session, account_id=account_id, status=None if include_finished else "active",
                          limit=500)
    return sorted(views(session=session, tasks=tasks), key=rank_key)


# --- refresh ---------------------------------------------------------------------------------------------------

def _refresher(principal: Principal) -> Principal:
    """The refresh acts for the system (it opens tasks on everyone's accounts) on behalf of whoever started it,
    who is named in the audit trail."""
    return principal if principal is SYSTEM else dataclasses.replace(principal, kind="system", role="admin")


def _handled(candidate: Candidate, done: dict[str, datetime]) -> bool:
    finished = done.get(candidate.key)
    return finished is not None and (candidate.since is None or finished >= candidate.since)


def _keep(session: Session, task: Task, c: Candidate, actor: Principal, channel: str) -> None:
    changes: dict[str, Any] = {"title": c.title, "reason": c.reason, "expected_value": c.expected_value}
    if task.owner_id is None and c.owner_id is not None:
        changes["owner_id"] = c.owner_id
    apply_changes(session=session, entity="tasks", record=task, changes=changes, principal=actor, channel=channel)


def _open(session: Session, c: Candidate, actor: Principal, channel: str) -> None:
    task = Task(title=c.title[:255], reason=c.reason, due_date=c.due_date, owner_id=c.owner_id,
                account_id=c.account_id, opportunity_id=c.opportunity_id, ticket_id=c.ticket_id,
                product_id=c.product_id, status="open", priority=c.priority, source=c.source, source_key=c.key,
                expected_value=c.expected_value, created_at=utcnow())
    _insert(session, task, actor, channel)


def refresh_tasks(*, session: Session, principal: Principal = SYSTEM, as_of: datetime | None = None,
                  channel: str = "system") -> dict[str, Any]:
    """Open, keep and close the automatic tasks for what the models see now and advance the sequences (see the
    module docstring); returns ``{"created": {source: n}, "kept": {...}, "closed": {...}, "skipped": {source:
    why}}`` (sources: the scans' and ``sequence``)."""
    when = as_of or workspace_as_of(session=session)
    ctx = Context(session=session, today=(when - timedelta(microseconds=1)).date(), as_of=when)
    actor = _refresher(principal)
    result: dict[str, Any] = {"created": dict.fromkeys(REFRESHED, 0), "kept": dict.fromkeys(REFRESHED, 0),
                              "closed": dict.fromkeys(REFRESHED, 0)}
    for source, scan_source in SCANS.items():
        scan = scan_source(ctx)
        if scan is None:
            continue
        open_tasks: dict[str | None, Task] = {}
        for task in session.scalars(select(Task).where(Task.source == source, Task.status.in_(ACTIVE))
                                    .order_by(Task.id)):
            open_tasks.setdefault(task.source_key, task)
        candidates = list({c.key: c for c in reversed(scan.candidates)}.values())[::-1]  # one per cause
        done = dict(session.execute(select(Task.source_key, func.max(Task.completed_at)).where(
            Task.source == source, Task.status == "done", Task.source_key.in_([c.key for c in candidates]))
            .group_by(Task.source_key)).all()) if candidates else {}
        for c in candidates:
            task = open_tasks.pop(c.key, None)
            if task is not None:
                _keep(session, task, c, actor, channel)
                result["kept"][source] += 1
            elif not _handled(c, done):
                _open(session, c, actor, channel)
                result["created"][source] += 1
        for task in open_tasks.values():
            apply_changes(session=session, entity="tasks", record=task, principal=actor, channel=channel,
                          changes={"status": "closed", "closed_reason": scan.gone(task)}, action="close")
            result["closed"][source] += 1
    _advance(session, as_of, result)
    result["skipped"] = dict(ctx.notes)
    return result


def _advance(session: Session, as_of: datetime | None, result: dict[str, Any]) -> None:
    """Advance the follow-up sequences and count their step tasks as the source ``sequence``: opened by a due step
    (created), still open (kept), closed because their enrolment stopped - the customer ordered or replied
    (closed). What else the run did (enrolments, stops, completions) goes to the log."""
    active = list(session.scalars(select(Task.id).where(Task.source == SEQUENCE, Task.status.in_(ACTIVE))))
    report = advance_sequences(session=session, now=as_of)
    closed = session.scalar(select(func.count()).select_from(Task).where(
        Task.id.in_(active), Task.status == "closed")) if active else 0
    result["created"][SEQUENCE] = report.emails + report.calls
    result["kept"][SEQUENCE] = len(active) - int(closed or 0)
    result["closed"][SEQUENCE] = int(closed or 0)
    log.info("sequences advanced: %s", report.to_dict())


__all__ = ["ACTIVE", "GROUPS", "REFRESHED", "SEQUENCE", "STATUS_FILTERS", "assignable_users", "complete_task",
           "create_task", "event_data", "get_task", "group_of", "list_tasks", "rank_key", "reassign_task",
           "refresh_tasks", "reopen_task", "snooze_task", "tasks_for_account", "today_board", "update_task", "views"]
