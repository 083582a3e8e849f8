"""Today: a person's open tasks, overdue first and the most valuable first within each group (overdue, today, this
week, later), each with its reason, account, due date and priority, and Done / Snooze / Reassign in one click; a link
to the Outbox says how many follow-ups wait there (drafted from tasks and sequences, not yet sent).

Managers, admins and viewers pick whose Today they see (everyone's, nobody's, or one user's); sales and service
users see their own. Viewers see tasks read-only (no buttons; the services refuse their changes anyway). Changes
post here (write role and CSRF checked by the page guard) and redirect (303) back to the same Today.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.errors import BizpilotError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.outbox import list_messages
from bizpilot.services.task_sources import AUTOMATIC
from bizpilot.services.tasks import (
    assignable_users,
    complete_task,
    reassign_task,
    snooze_task,
    today_board,
)
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
OWN_ONLY = ("sales", "service")  # roles that see only their own Today


def _principal(request: Request) -> Principal:
    return request.state.principal


def _whose(principal: Principal, user: str | None) -> str:
    """'all', 'none' or a user id (as text): whose Today to show."""
    if principal.role in OWN_ONLY and principal.user_id is not None:
        return str(principal.user_id)
    if user in ("all", "none") or (user or "").isdigit():
        return str(user)
    return str(principal.user_id) if principal.user_id is not None else "all"


def _page(request: Request, session: Session, user: str | None, *, error: str | None = None,
          status_code: int = 200) -> Response:
    principal = _principal(request)
    whose = _whose(principal, user)
    board = today_board(session=session, owner_id=int(whose) if whose.isdigit() else None,
                        everyone=whose == "all", unassigned=whose == "none")
    users = assignable_users(session=session)
    return render(request, "today/index.html", status_code=status_code, title=t("today.title", request_lang(request)),
                  board=board, users=users, whose=whose, can_pick=principal.role not in OWN_ONLY,
                  can_write=principal.allows("write"), error=error, sources=AUTOMATIC,
                  min_snooze=date.fromordinal(board["today"].toordinal() + 1).isoformat(),
                  unsent=list_messages(session=session, status="unsent", limit=0)[1])


@router.get("/today", name="today")
def today_page(request: Request, session: SessionDep, user: str | None = None) -> Response:
    return _page(request, session, user)


def _done(request: Request, session: Session, user: str, action: Any) -> Response:
    """Run one task change; back to the same Today, or the page with the reason it failed."""
    try:
        action()
    except BizpilotError as exc:
        session.rollback()
        return _page(request, session, user, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/today?user={_whose(_principal(request), user)}",
                            status_code=303)


@router.post("/today/tasks/{task_id}/done", name="today_done")
def today_done(request: Request, task_id: int, session: SessionDep,
               user: Annotated[str, Form(max_length=12)] = "") -> Response:
    return _done(request, session, user, lambda: complete_task(
        session=session, task_id=task_id, principal=_principal(request), channel="page"))


@router.post("/today/tasks/{task_id}/snooze", name="today_snooze")
def today_snooze(request: Request, task_id: int, session: SessionDep,
                 user: Annotated[str, Form(max_length=12)] = "",
                 days: Annotated[str, Form(max_length=4)] = "",
                 until: Annotated[str, Form(max_length=10)] = "") -> Response:
    def snooze() -> None:
        if days.strip():
            if not days.strip().isdigit():
                raise ValidationFailed("days must be a whole number", details=[{"field": "days", "reason": "int"}])
            snooze_task(session=session, task_id=task_id, principal=_principal(request), channel="page",
                        days=int(days))
            return
        try:
            when = date.fromisoformat(until.strip())
        except ValueError:
            raise ValidationFailed(t("today.pick_date", request_lang(request)),
                                   details=[{"field": "until", "reason": "not a date", "value": until}]) from None
        snooze_task(session=session, task_id=task_id, principal=_principal(request), channel="page", until=when)

    return _done(request, session, user, snooze)


@router.post("/today/tasks/{task_id}/reassign", name="today_reassign")
def today_reassign(request: Request, task_id: int, session: SessionDep,
                   user: Annotated[str, Form(max_length=12)] = "",
                   owner_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    owner = owner_id.strip()
    if owner and not owner.isdigit():
        return _page(request, session, user, error="owner_id must be a user id", status_code=422)
    return _done(request, session, user, lambda: reassign_task(
        session=session, task_id=task_id, owner_id=int(owner) if owner else None, principal=_principal(request),
        channel="page"))
