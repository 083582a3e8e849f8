"""Follow-ups and the outbox in the dashboard.

``/tasks/{id}/follow-up`` (linked from Today) drafts the follow-up a task calls for and shows it as the Content
studio shows a generation - the facts behind each sentence, the model that wrote it, what the check repaired or
removed - with a form to edit it and Send / Save draft / Discard. ``/outbox`` lists drafts, sent and failed
messages; ``/outbox/{id}`` is one message. Every form posts here (write role and CSRF checked by the page guard)
and redirects (303), so a reload never drafts or sends twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.domain import Account, Task
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.followups import PURPOSES, draft_followup, purpose_for_task, review_message
from bizpilot.services.mail import smtp_configured
from bizpilot.services.outbox import (
    discard_message,
    get_message,
    list_messages,
    may_handle,
    note_for,
    send_message,
    send_queued,
    update_message,
)
from bizpilot.services.policy import may_change, owner_of
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
SECTIONS = (("drafts", ("draft", "queued")), ("failed", ("failed",)), ("sent", ("sent",)))
PER_SECTION = 100
DONE = ("drafted", "saved", "sent", "queued", "failed", "discarded", "flushed")


def _principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def _may(request: Request, session: Session, record: Any) -> bool:
    principal = _principal(request)
    return bool(principal and principal.allows("write")
                and may_change(principal, owner_id=owner_of(session=session, record=record)))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


def _home(request: Request, message: OutboxMessage, done: str | None = None) -> RedirectResponse:
    """Back to where the message is worked on: its task's follow-up page, else its own page."""
    path = f"/tasks/{message.task_id}/follow-up" if message.task_id else f"/outbox/{message.id}"
    return RedirectResponse(f"{_root(request)}{path}" + (f"?done={done}" if done else ""), status_code=303)


def _task_view(session: Session, task: Task) -> dict[str, Any]:
    account = session.get(Account, task.account_id) if task.account_id is not None else None
    return {"id": task.id, "title": task.title, "reason": task.reason, "source": task.source,
            "status": task.status, "due_date": task.due_date, "account_id": task.account_id,
            "account_name": account.name if account else None,
            "purpose": purpose_for_task(session=session, task=task)}


def _message_page(request: Request, session: Session, *, message: OutboxMessage | None, task: Task | None,
                  error: str | None = None, form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    lang = request_lang(request)
    done = request.query_params.get("done")
    review = review_message(session=session, message=message) if message is not None else None
    principal = _principal(request)
    can_edit = (message is not None and message.status in ("draft", "queued", "failed") and principal is not None
                and principal.allows("write") and may_handle(session=session, principal=principal, message=message))
    title = t("outreach.followup_title", lang) if task is not None else t("outreach.message_title", lang,
                                                                          id=message.id if message else "")
    return render(request, "outreach/message.html", status_code=status_code, title=title,
                  task=_task_view(session, task) if task is not None else None, message=message, review=review,
                  note=note_for(message) if message is not None else None, can_edit=can_edit,
                  can_draft=task is not None and _may(request, session, task), purposes=PURPOSES,
                  done=done if done in DONE else None, error=error, form=form or {},
                  smtp=smtp_configured())


@router.get("/tasks/{task_id}/follow-up", name="task_follow_up")
def follow_up_page(request: Request, task_id: int, session: SessionDep) -> Response:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} not found", details=[{"field": "id", "reason": "not found"}])
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.task_id == task.id,
                                                         OutboxMessage.status != "discarded")
                             .order_by(OutboxMessage.id.desc()).limit(1))
    return _message_page(request, session, message=message, task=task)


@router.post("/tasks/{task_id}/follow-up", name="task_follow_up_draft")
async def follow_up_draft(request: Request, task_id: int, session: SessionDep,
                          purpose: Annotated[str, Form(max_length=32)] = "",
                          language: Annotated[str, Form(max_length=8)] = "",
                          use_llm: Annotated[bool, Form()] = False) -> Response:
    principal = _principal(request)
    try:
        message = await run_in_threadpool(draft_followup, session=session, task_id=task_id, principal=principal,
                                          purpose=purpose or None, language=language or None, use_llm=use_llm)
    except ValidationFailed as exc:
        session.rollback()  # nothing of the failed draft is committed with the error page
        task = session.get(Task, task_id)
        return _message_page(request, session, message=None, task=task, error=exc.message, status_code=422,
                             form={"purpose": purpose, "language": language, "use_llm": use_llm})
    return _home(request, message, "drafted")


@router.get("/outbox", name="outbox")
def outbox_page(request: Request, session: SessionDep) -> Response:
    lang = request_lang(request)
    sections = []
    for key, statuses in SECTIONS:
        rows: list[OutboxMessage] = []
        for status in statuses:
            rows += list_messages(session=session, status=status, limit=PER_SECTION)[0]
        rows.sort(key=lambda m: (m.sent_at or m.created_at, m.id), reverse=True)
        sections.append({"key": key, "rows": rows[:PER_SECTION]})
    ids = {m.account_id for s in sections for m in s["rows"] if m.account_id is not None}
    names = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()) if ids else {}
    queued = sum(1 for s in sections for m in s["rows"] if m.status == "queued")
    principal = _principal(request)
    done = request.query_params.get("done")
    return render(request, "outreach/outbox.html", title=t("outreach.outbox_title", lang), sections=sections,
                  names=names, smtp=smtp_configured(), queued=queued, done=done if done in DONE else None,
                  sent=request.query_params.get("sent"), failed=request.query_params.get("failed"),
                  can_write=bool(principal and principal.allows("write")))


@router.post("/outbox/send-queued", name="outbox_send_queued")
async def outbox_send_queued(request: Request, session: SessionDep) -> Response:
    counts = await run_in_threadpool(send_queued, session=session, principal=_principal(request), channel="page")
    return RedirectResponse(f"{_root(request)}/outbox?done=flushed&sent={counts['sent']}&failed={counts['failed']}",
                            status_code=303)


@router.get("/outbox/{message_id}", name="outbox_message")
def message_page(request: Request, message_id: int, session: SessionDep) -> Response:
    message = get_message(session=session, message_id=message_id)
    task = session.get(Task, message.task_id) if message.task_id is not None else None
    return _message_page(request, session, message=message, task=task)


@router.post("/outbox/{message_id}", name="outbox_message_action")
async def message_action(request: Request, message_id: int, session: SessionDep,
                         action: Annotated[str, Form(max_length=16)] = "save",
                         subject: Annotated[str | None, Form(max_length=255)] = None,
                         to_address: Annotated[str | None, Form(max_length=255)] = None,
                         body: Annotated[str | None, Form(max_length=20000)] = None) -> Response:
    """Save the edits, then send or discard (one form, three buttons)."""
    principal = _principal(request)
    try:
        if action == "discard":
            message = discard_message(session=session, message_id=message_id, principal=principal)
            done = "discarded"
        else:
            message = update_message(session=session, message_id=message_id, principal=principal, subject=subject,
                                     body=body, to_address=to_address)
            done = "saved"
            if action == "send":
                result = await run_in_threadpool(send_message, session=session, message_id=message_id,
                                                 principal=principal, channel="page")
                done = result.outcome
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()  # the page shows what was typed and why it was not taken
        message = get_message(session=session, message_id=message_id)
        task = session.get(Task, message.task_id) if message.task_id is not None else None
        return _message_page(request, session, message=message, task=task, error=exc.message, status_code=exc.status,
                             form={"subject": subject, "to_address": to_address, "body": body})
    if done == "discarded" and not message.task_id:
        return RedirectResponse(f"{_root(request)}/outbox?done=discarded", status_code=303)
    return _home(request, message, done)
