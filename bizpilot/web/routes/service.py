"""Service console: ask the assistant as a customer would (answer with a "sources" panel showing every retrieved
chunk and its scores), work the hand-off queue (claim, close, suggested reply) and read stored conversations.

Asking and ticket changes post here (write role and CSRF checked by the page guard) and redirect (303) to
``/service?c=N`` so a reload never asks twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.domain.account import Account
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.assistant import (
    ask,
    get_conversation,
    handoff_counts,
    list_conversations,
    list_handoffs,
    suggest_reply,
    update_handoff,
)
from bizpilot.services.assistant.knowledge import kb_stats
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
PICKER_LIMIT = 300


def _page(request: Request, session: Session, *, conversation: dict[str, Any] | None = None,
          suggestion: dict[str, Any] | None = None, error: str | None = None, form: dict[str, Any] | None = None,
          status: str = "open", status_code: int = 200) -> Response:
    accounts = session.execute(select(Account.id, Account.external_id, Account.name)
                               .order_by(Account.external_id).limit(PICKER_LIMIT)).all()
    last = None
    if conversation:
        bots = [m for m in conversation["messages"] if m["role"] == "assistant"]
        last = bots[-1] if bots else None
    principal = getattr(request.state, "principal", None)
    return render(request, "service.html", status_code=status_code, title=t("service.title", request_lang(request)),
                  accounts=accounts, conversation=conversation, last=last, suggestion=suggestion, error=error,
                  form=form or {}, status=status, counts=handoff_counts(session=session),
                  kb=kb_stats(session=session),
                  queue=list_handoffs(session=session, status=None if status == "all" else status),
                  conversations=list_conversations(session=session, limit=15),
                  can_write=bool(principal and principal.allows("write")))


@router.get("/service", name="service")
def service_page(request: Request, session: SessionDep, c: int | None = None, status: str = "open",
                 suggest: int | None = None) -> Response:
    if status not in ("open", "claimed", "closed", "all"):
        status = "open"
    conv = get_conversation(session=session, conversation_id=c) if c is not None else None
    suggestion = None
    if suggest is not None:
        suggestion = suggest_reply(session=session, ticket_id=suggest, use_llm=False, sync_index=False)
        if conv is None:
            conv = get_conversation(session=session, conversation_id=suggestion["conversation_id"])
    return _page(request, session, conversation=conv, suggestion=suggestion, status=status)


@router.post("/service/ask", name="service_ask")
async def service_ask(request: Request, session: SessionDep, question: Annotated[str, Form(max_length=4000)] = "",
                      account: Annotated[str, Form(max_length=64)] = "",
                      conversation_id: Annotated[str, Form(max_length=12)] = "") -> Response:
    form = {"question": question, "account": account}
    try:
        result = await run_in_threadpool(
            ask, session=session, question=question, account=account.strip() or None,
            conversation_id=int(conversation_id) if conversation_id.strip().isdigit() else None, sync_index=False)
    except (NotFoundError, ValidationFailed) as exc:
        session.rollback()  # a turn that failed half-way is not stored with the error page
        return await run_in_threadpool(_page, request, session, error=exc.message, form=form, status_code=422)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/service?c={result.conversation_id}",
                            status_code=303)


@router.post("/service/handoffs/{ticket_id}", name="service_handoff")
def service_handoff(request: Request, ticket_id: int, session: SessionDep,
                    status: Annotated[str, Form(max_length=16)] = "",
                    assignee: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        update_handoff(session=session, ticket_id=ticket_id, status=status, assignee=assignee or None)
    except (NotFoundError, ValidationFailed) as exc:
        session.rollback()
        return _page(request, session, error=exc.message, status_code=422)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/service?status=all", status_code=303)
