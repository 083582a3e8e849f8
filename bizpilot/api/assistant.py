"""The service assistant over HTTP: ask (answer + the retrieved sources, or a hand-off), conversations, the
hand-off queue, suggested replies for agents, and knowledge-base search/sync."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.api.params import Id, IdField, IdQuery, errors
from bizpilot.services.assistant.index import refresh_index
from bizpilot.services.assistant.knowledge import get_retriever, kb_stats, sync_articles
from bizpilot.services.assistant.service import ask
from bizpilot.services.assistant.suggest import suggest_reply
from bizpilot.services.assistant.tickets import get_conversation, list_conversations, list_handoffs, update_handoff

router = APIRouter(prefix="/assistant", tags=["assistant"])


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000, description="The customer's message")
    account_id: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="Asking account (id or external id)")
    conversation_id: IdField | None = Field(default=None, description="Continue this conversation")
    language: Literal["en", "zh"] | None = None


class HandoffUpdate(BaseModel):
    status: Literal["open", "claimed", "closed"]
    assignee: str | None = Field(default=None, max_length=64)


class SuggestRequest(BaseModel):
    ticket_id: IdField | None = None
    conversation_id: IdField | None = None
    use_llm: bool = True


@router.post("/ask", responses=errors(404, descriptions={404: "No such account or conversation"}))
async def ask_route(body: AskRequest, session: SessionDep) -> dict[str, Any]:
    """One turn: ``answer`` with ``sources`` (the chunks or order records each ``[n]`` cites) and ``retrieved``
    (every chunk the retriever returned, with BM25 and cosine scores), or a hand-off with its ``ticket_id``."""
    result = await run_in_threadpool(ask, session=session, question=body.question, account=body.account_id,
                                     conversation_id=body.conversation_id, language=body.language, sync_index=False)
    return result.to_dict()


@router.get("/conversations")
def conversations(session: SessionDep, account_id: IdQuery = None,
                  limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    return list_conversations(session=session, account_id=account_id, limit=limit)


@router.get("/conversations/{conversation_id}")
def conversation(conversation_id: Id, session: SessionDep) -> dict[str, Any]:
    """A stored conversation: messages with intent, sentiment and cited sources, and its hand-off tickets."""
    return get_conversation(session=session, conversation_id=conversation_id)


@router.get("/handoffs")
def handoffs(session: SessionDep, status: Literal["open", "claimed", "closed", "all"] = "open",
             limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    """The hand-off queue, newest first."""
    return list_handoffs(session=session, status=None if status == "all" else status, limit=limit)


@router.patch("/handoffs/{ticket_id}")
def handoff_update(ticket_id: Id, body: HandoffUpdate, session: SessionDep) -> dict[str, Any]:
    """Claim, close or re-open a ticket."""
    return update_handoff(session=session, ticket_id=ticket_id, status=body.status, assignee=body.assignee)


@router.post("/suggest", responses=errors(404, descriptions={404: "No such ticket or conversation"}))
async def suggest(body: SuggestRequest, session: SessionDep) -> dict[str, Any]:
    """A grounded reply draft for an agent (LLM when present, checked; extractive otherwise)."""
    return await run_in_threadpool(suggest_reply, session=session, ticket_id=body.ticket_id,
                                   conversation_id=body.conversation_id, use_llm=body.use_llm, sync_index=False)


def _search(session: Session, q: str, k: int) -> dict[str, Any]:
    refresh_index(session=session, wait=False)
    hits = get_retriever(session=session).run(q, k=k)
    return {"query": q, "hits": [h.to_dict() for h in hits], "stats": kb_stats(session=session)}


@router.get("/kb/search")
async def kb_search(session: SessionDep, q: str = Query(min_length=1, max_length=1000),
                    k: int = Query(5, ge=1, le=50)) -> dict[str, Any]:
    """What the retriever returns for a question (hybrid BM25 + embeddings, fused by reciprocal rank)."""
    return await run_in_threadpool(_search, session, q, k)


@router.post("/kb/sync")
async def kb_sync(session: SessionDep) -> dict[str, Any]:
    """Re-chunk and embed the knowledge articles that changed."""
    summary = await run_in_threadpool(sync_articles, session=session)
    return summary.to_dict()
