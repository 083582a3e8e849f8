"""Tasks over HTTP: list with filters (``owner=me``), create, change (version or ``If-Match``: a stale one is 409),
done / snooze / reopen in one call each, and ``POST /tasks/refresh`` (write role), which runs the refresh in the
request: it only reads what the models computed (on the demo workspace about a second; some 2 s the first time,
when it opens the ~330 tasks).

The list downloads as CSV or Excel with its filters (``?format=csv|xlsx``). Ownership as everywhere: sales and
service users work on their own tasks and those of their accounts; managers and admins on all; viewers read.

No ``from __future__ import annotations`` here: FastAPI must see the real types of the bodies.
"""

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bizpilot.api.deps import SessionDep
from bizpilot.api.export import EXPORT_RESPONSES, ExportColumn, ExportDep, exportable
from bizpilot.api.schemas import ErrorResponse, Page
from bizpilot.api.security import ReadPrincipal, WritePrincipal
from bizpilot.domain.task import TASK_SOURCES, TaskCreate, TaskPublic, TaskUpdate
from bizpilot.errors import ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.export import MAX_ROWS
from bizpilot.services.tasks import (
    complete_task,
    create_task,
    list_tasks,
    refresh_tasks,
    reopen_task,
    snooze_task,
    update_task,
    views,
)
from bizpilot.services.users import get_user

router = APIRouter(prefix="/tasks", tags=["tasks"])
TaskId = Annotated[int, Path(ge=1, le=2**62)]
IfMatch = Annotated[str | None, Header(max_length=40, description="The version you saw, e.g. \"3\" (or send "
                                                                   "`version` in the body); stale: 409")]


EXPORT_COLUMNS = tuple(ExportColumn(key, kind="date" if key in ("due_date", "snoozed_until") else None) for key in (
    "id", "title", "status", "priority", "source", "due_date", "owner_name", "account_id", "account_name",
    "opportunity_name", "product_name", "expected_value", "reason", "snoozed_until", "completed_at", "closed_reason",
    "created_at"))


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {403: "Your role only reads, or the task is not yours (sales and service users work on their own "
                  "tasks and those of their accounts)",
             404: "No such task (or user)", 409: "Stale version: someone changed the task meanwhile",
             422: "Invalid input: unknown owner, a linked record that does not exist, a snooze date not after today"}
    return {code: {"model": ErrorResponse, "description": words[code]} for code in codes}


class TaskView(TaskPublic):
    account_name: str | None = None
    owner_name: str | None = None
    opportunity_name: str | None = None
    product_name: str | None = None
    overdue: bool = Field(False, description="Open (or snoozed) and due before the workspace's today")


class TaskChange(TaskUpdate):  # type: ignore[misc, valid-type]
    version: int | None = Field(None, ge=1, le=2**31, description="The version you saw (or send If-Match)")


class VersionBody(BaseModel):
    version: int | None = Field(None, ge=1, le=2**31, description="The version you saw (or send If-Match)")


class SnoozeBody(VersionBody):
    until: date | None = Field(None, description="Snooze until this day (after the workspace's today)")
    days: int | None = Field(None, ge=1, le=366, description="... or for this many days")


class RefreshResult(BaseModel):
    created: dict[str, int] = Field(description="New tasks by source")
    kept: dict[str, int] = Field(description="Open tasks whose cause still stands, by source")
    closed: dict[str, int] = Field(description="Open tasks closed because their cause is gone, by source")
    skipped: dict[str, str] = Field(default_factory=dict, description="Sources left out, with why (a model that "
                                                                      "is not trained)")


def _version(body_version: int | None, if_match: str | None) -> int | None:
    if body_version is not None or if_match is None:
        return body_version
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', if_match)
    if match is None:
        raise ValidationFailed("If-Match must be the task's version, e.g. If-Match: \"3\"",
                               details=[{"field": "If-Match", "reason": "not a version", "value": if_match}])
    return int(match.group(1))


def _owner(session: Session, principal: Principal, owner: str) -> tuple[int | None, bool]:
    """(owner id, unassigned) for ``owner=me|none|<id, name or e-mail>``."""
    if owner == "none":
        return None, True
    if owner == "me":
        if principal.user_id is None:
            raise ValidationFailed("owner=me needs a user: this key or session belongs to nobody (use a user's key, "
                                   "or owner=<user id>)", details=[{"field": "owner", "reason": "no user",
                                                                    "value": owner}])
        return principal.user_id, False
    return get_user(session=session, ref=owner, field="owner").id, False


def _view(session: Session, task: Any) -> dict[str, Any]:
    return views(session=session, tasks=[task])[0]


@router.get("", response_model=Page[TaskView], operation_id="list_tasks",
            responses={**EXPORT_RESPONSES, **_errors(404, 422)})
def get_tasks(session: SessionDep, principal: ReadPrincipal, export: ExportDep,
              owner: Annotated[str | None, Query(max_length=255, description=(
                  "'me' (the caller's user), 'none' (unassigned), or a user id, name or e-mail"))] = None,
              status: Annotated[Literal["open", "snoozed", "done", "closed", "active"] | None, Query(description=(
                  "active: open, and snoozed ones whose day has come"))] = None,
              account_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
              due_before: Annotated[date | None, Query(description="Due before this day")] = None,
              source: Annotated[Literal[TASK_SOURCES] | None, Query()] = None,  # type: ignore[valid-type]
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    """Tasks, soonest due first (then the most valuable), with account, owner, deal and product names. A download
    (``format``) holds every matching task from ``offset``."""
    owner_id, unassigned = _owner(session, principal, owner) if owner else (None, False)
    tasks, total = list_tasks(session=session, owner_id=owner_id, unassigned=unassigned, status=status,
                              account_id=account_id, due_before=due_before, source=source,
                              limit=MAX_ROWS if export else limit, offset=offset)
    items = views(session=session, tasks=tasks)
    return exportable(items, EXPORT_COLUMNS, export, "tasks",  # type: ignore[no-any-return]
                      json={"items": items, "total": total, "limit": limit, "offset": offset})


@router.post("", response_model=TaskView, status_code=201, operation_id="create_task",
             responses=_errors(403, 422))
def post_task(body: TaskCreate, session: SessionDep, principal: WritePrincipal) -> dict[str, Any]:
    """Add a task by hand; it goes to the caller unless ``owner_id`` names someone. Subscribers get
    ``task.created``."""
    task = create_task(session=session, data=body.model_dump(exclude_unset=True), principal=principal,
                       channel="api")
    return _view(session, task)


@router.post("/refresh", response_model=RefreshResult, operation_id="refresh_tasks", responses=_errors(403))
def post_refresh(session: SessionDep, principal: WritePrincipal) -> dict[str, Any]:
    """Create the tasks the models suggest now, keep those whose cause stands, close those whose cause is gone.
    Reads model outputs only (a model that is not trained is skipped, with why)."""
    return refresh_tasks(session=session, principal=principal, channel="api")


@router.patch("/{task_id}", response_model=TaskView, operation_id="update_task", responses=_errors(403, 404, 409, 422))
def patch_task(task_id: TaskId, body: TaskChange, session: SessionDep, principal: WritePrincipal,
               if_match: IfMatch = None) -> dict[str, Any]:
    """Change the title, reason, due date, owner (reassign) or priority; audited."""
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    task = update_task(session=session, task_id=task_id, data=data, principal=principal, channel="api",
                       expected_version=_version(body.version, if_match))
    return _view(session, task)


@router.post("/{task_id}/done", response_model=TaskView, operation_id="complete_task",
             responses=_errors(403, 404, 409, 422))
def post_done(task_id: TaskId, session: SessionDep, principal: WritePrincipal, body: VersionBody | None = None,
              if_match: IfMatch = None) -> dict[str, Any]:
    """Mark the task done (again: nothing changes)."""
    task = complete_task(session=session, task_id=task_id, principal=principal, channel="api",
                         expected_version=_version(body.version if body else None, if_match))
    return _view(session, task)


@router.post("/{task_id}/snooze", response_model=TaskView, operation_id="snooze_task",
             responses=_errors(403, 404, 409, 422))
def post_snooze(task_id: TaskId, body: SnoozeBody, session: SessionDep, principal: WritePrincipal,
                if_match: IfMatch = None) -> dict[str, Any]:
    """Put the task off until a day (``until``) or for ``days``; it is due that day."""
    task = snooze_task(session=session, task_id=task_id, principal=principal, channel="api", until=body.until,
                       days=body.days, expected_version=_version(body.version, if_match))
    return _view(session, task)


@router.post("/{task_id}/reopen", response_model=TaskView, operation_id="reopen_task",
             responses=_errors(403, 404, 409, 422))
def post_reopen(task_id: TaskId, session: SessionDep, principal: WritePrincipal, body: VersionBody | None = None,
                if_match: IfMatch = None) -> dict[str, Any]:
    """Open a done, closed or snoozed task again."""
    task = reopen_task(session=session, task_id=task_id, principal=principal, channel="api",
                       expected_version=_version(body.version if body else None, if_match))
    return _view(session, task)


__all__ = ["router"]
