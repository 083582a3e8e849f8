"""The service assistant over HTTP: ask (answer + the retrieved sources, or a hand-off), conversations, the
hand-off queue, suggested replies for agents, and knowledge-base search/sync."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import ensure_database
from bizpilot.services.assistant import (
    ask,
    get_conversation,
    list_conversations,
    list_handoffs,
    suggest_reply,
    sync_articles,
    update_handoff,
)
from bizpilot.services.assistant.knowledge import ensure_articles, get_retriever, kb_stats

router = APIRouter(prefix="/assistant", tags=["assistant"])


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000, description="The customer's message")
    account_id: str | None = Field(default=None, description="Asking account (id or external id)")
    conversation_id: int | None = Field(default=None, description="Continue this conversation")
    language: Literal["en", "zh"] | None = None


class HandoffUpdate(BaseModel):
    status: Literal["open", "claimed", "closed"]
    assignee: str | None = Field(default=None, max_length=64)


class SuggestRequest(BaseModel):
    ticket_id: int | None = None
    conversation_id: int | None = None
    use_llm: bool = True


@router.post("/ask")
async def ask_route(body: AskRequest) -> dict[str, Any]:
    """One turn: ``answer`` with ``sources`` (the chunks or order records each ``[n]`` cites) and ``retrieved``
    (every chunk the retriever returned, with BM25 and cosine scores), or a hand-off with its ``ticket_id``."""
    engine = ensure_database()
    result = await run_in_threadpool(ask, session_or_engine=engine, question=body.question,
                                     account=body.account_id, conversation_id=body.conversation_id,
                                     language=body.language)
    return result.to_dict()


@router.get("/conversations")
def conversations(account_id: int | None = None, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    return list_conversations(session_or_engine=ensure_database(), account_id=account_id, limit=limit)


@router.get("/conversations/{conversation_id}")
def conversation(conversation_id: int) -> dict[str, Any]:
    """A stored conversation: messages with intent, sentiment and cited sources, and its hand-off tickets."""
    return get_conversation(session_or_engine=ensure_database(), conversation_id=conversation_id)


@router.get("/handoffs")
def handoffs(status: Literal["open", "claimed", "closed", "all"] = "open",
             limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    """The hand-off queue, newest first."""
    return list_handoffs(session_or_engine=ensure_database(), status=None if status == "all" else status,
                         limit=limit)


@router.patch("/handoffs/{ticket_id}")
def handoff_update(ticket_id: int, body: HandoffUpdate) -> dict[str, Any]:
    """Claim, close or re-open a ticket."""
    return update_handoff(session_or_engine=ensure_database(), ticket_id=ticket_id, status=body.status,
                          assignee=body.assignee)


@router.post("/suggest")
async def suggest(body: SuggestRequest) -> dict[str, Any]:
    """A grounded reply draft for an agent (LLM when present, checked; extractive otherwise)."""
    return await run_in_threadpool(suggest_reply, session_or_engine=ensure_database(), ticket_id=body.ticket_id,
                                   conversation_id=body.conversation_id, use_llm=body.use_llm)


def _search(q: str, k: int) -> dict[str, Any]:
    with Session(ensure_database()) as session:
        ensure_articles(session)
        session.commit()
        hits = get_retriever(session).run(q, k=k)
        return {"query": q, "hits": [h.to_dict() for h in hits], "stats": kb_stats(session)}


@router.get("/kb/search")
async def kb_search(q: str = Query(min_length=1, max_length=1000), k: int = Query(5, ge=1, le=50)) -> dict[str, Any]:
    """What the retriever returns for a question (hybrid BM25 + embeddings, fused by reciprocal rank)."""
    return await run_in_threadpool(_search, q, k)


@router.post("/kb/sync")
async def kb_sync() -> dict[str, Any]:
    """Re-chunk and embed the knowledge articles that changed."""
    summary = await run_in_threadpool(sync_articles, session_or_engine=ensure_database())
    return summary.to_dict()
