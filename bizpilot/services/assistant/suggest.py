"""Suggested replies for agents working the hand-off queue, grounded in the same retrieved sources.

The model that writes is the one every feature writes with (``services/llm_writer``: the workspace's endpoint when
it is set to write, else the configured backend; not one that failed its capability probe). It drafts a reply
from numbered sources; every sentence must cite a source, and its numbers and most of its words must be found in
that source, or it is dropped. When nothing grounded remains
(or there is no model) the reply is the deterministic extractive one. The result says which, and why.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.conversation import Conversation, ConversationMessage, HandoffTicket
from bizpilot.errors import BizpilotError, NotFoundError, ValidationFailed
from bizpilot.retrieval.analyzers import detect_language
from bizpilot.retrieval.types import Hit
from bizpilot.services.assistant.compose import coverage, extract, render, sentences
from bizpilot.services.assistant.index import refresh_index
from bizpilot.services.assistant.knowledge import CONFIGURED, get_retriever
from bizpilot.services.llm_writer import contact_names, deterministic_after, writing_backend, written_by

logger = logging.getLogger("bizpilot.assistant")
PROMPT_VERSION = "assistant-suggest-v1"
_CITE = re.compile(r"\[(\d+)\]")
_NUM = re.compile(r"\d+(?:[.,]\d+)?")
MIN_SUPPORT = 0.5

OPENERS = {"en": ("Hello,", "Best regards"), "zh": ("您好，", "祝好")}
NO_SOURCE = {"en": "Thank you for your message. I am checking this with the team and will get back to you shortly.",
             "zh": "感谢您的留言。我正在与团队核实，稍后回复您。"}


def _system(lang: str) -> str:
    if lang == "zh":
        return ("你是一家B2B供应商的客服人员。只根据编号资料写一段简短回复，每句话末尾用[编号]标注资料来源。"
                "资料里没有的内容不要写。")
    return ("You are a customer-service agent at a B2B supplier. Write a short reply using ONLY the numbered "
            "sources. End every sentence with the number of its source in brackets, like [1]. Do not add "
            "anything the sources do not say.")


def _user(question: str, hits: list[Hit]) -> str:
    lines = [f"[{i}] {h.chunk.citation}: {h.chunk.text}" for i, h in enumerate(hits, start=1)]
    return "Sources:\n" + "\n".join(lines) + f"\n\nCustomer message:\n{question}\n\nReply:"


def check_reply(text: str, hits: list[Hit]) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """(kept (sentence, source) pairs, removed sentences with the reason)."""
    kept: list[tuple[str, int]] = []
    removed: list[dict[str, Any]] = []
    for s in sentences(text):
        cites = [int(n) for n in _CITE.findall(s)]
        bare = _CITE.sub("", s).strip()
        if not bare:
            continue
        valid = [n for n in cites if 1 <= n <= len(hits)]
        if not valid:
            removed.append({"text": bare, "reason": "no valid citation"})
            continue
        src = " ".join(hits[n - 1].chunk.index_text() for n in valid)
        missing = [x for x in _NUM.findall(bare) if x not in src]
        if missing:
            removed.append({"text": bare, "reason": f"numbers not in the cited source: {', '.join(missing)}"})
            continue
        if coverage(bare, src) < MIN_SUPPORT:
            removed.append({"text": bare, "reason": "most of its words are not in the cited source"})
            continue
        kept.append((bare, valid[0]))
    return kept, removed


def _question(session: Session, ticket_id: int | None, conversation_id: int | None) -> tuple[str, int]:
    if ticket_id is not None:
        t = session.get(HandoffTicket, int(ticket_id))
        if t is None:
            raise NotFoundError(f"hand-off ticket {ticket_id} not found",
                                details=[{"field": "ticket_id", "reason": "unknown"}])
        conversation_id = t.conversation_id
    if conversation_id is None:
        raise ValidationFailed("give a ticket or a conversation", details=[{"field": "ticket_id",
                                                                            "reason": "missing"}])
    text = session.scalar(select(ConversationMessage.text).where(
        ConversationMessage.conversation_id == int(conversation_id), ConversationMessage.role == "user")
        .order_by(ConversationMessage.id.desc()).limit(1))
    if text is None:
        raise NotFoundError(f"conversation {conversation_id} has no customer message",
                            details=[{"field": "conversation_id", "reason": "no message"}])
    return text, int(conversation_id)


def suggest_reply(*, session: Session, ticket_id: int | None = None, conversation_id: int | None = None,
                  use_llm: bool = True, backend: Any = None, k: int = 4,
                  embedder: str | None = CONFIGURED, sync_index: bool = True) -> dict[str, Any]:
    """A reply draft for an agent (not sent, not stored): text, its sources and how it was made. Reads only;
    stale article chunks are synced into the caller's unit of work (``sync_index``, the CLI) or queued for
    background indexing (requests), as ``ask`` does."""
    question, conv_id = _question(session, ticket_id, conversation_id)
    refresh_index(session=session, embedder=embedder, wait=sync_index)
    hits = get_retriever(session=session, embedder=embedder).run(question, k=k)
    lang = detect_language(question)
    hello, bye = OPENERS[lang]
    model, fallback_reason, removed, draft = "deterministic", None, [], None
    pairs: list[tuple[str, int]] = []
    if use_llm and hits:
        try:
            from bizpilot.llm.types import ChatOptions, Message

            # the model every feature writes with: the workspace's endpoint when set to write, else the configured
            # backend; one that failed its capability probe does not draft
            backend = writing_backend(session=session, backend=backend, language=lang)
            names = contact_names(session=session, backend=backend,
                                  account_id=session.scalar(select(Conversation.account_id)
                                                            .where(Conversation.id == conv_id)))
            completion = backend.generate([Message.system(_system(lang)), Message.user(_user(question, hits))],
                                          ChatOptions(max_tokens=220, temperature=0.2, seed=7, tag=PROMPT_VERSION,
                                                      names=names))
            draft = completion.text.strip()
            model = written_by(completion, backend)
            pairs, removed = check_reply(draft, hits)
            if not pairs:
                fallback_reason = "no sentence of the model's draft was grounded in a cited source"
        except BizpilotError as exc:
            fallback_reason = f"no LLM available: {exc.message}"
            logger.warning("suggested reply falls back to extraction: %s", exc.message)
    elif not use_llm:
        fallback_reason = "LLM not requested (extractive reply)"
    if not pairs:
        pairs = extract(question, hits) if hits else []
        model = deterministic_after(model)
    used = sorted({n for _, n in pairs})
    renumber = {n: i for i, n in enumerate(used, start=1)}
    body = render([(s, renumber[n]) for s, n in pairs]) if pairs else NO_SOURCE[lang]
    sep = "" if lang == "zh" else " "
    text = f"{hello}{sep}{body}\n\n{bye}"
    return {"conversation_id": conv_id, "ticket_id": ticket_id, "language": lang, "text": text,
            "sources": [{**hits[n - 1].to_dict(), "kind": "kb"} for n in used], "model": model,
            "prompt_version": PROMPT_VERSION, "fallback": model.startswith("deterministic"),
            "fallback_reason": fallback_reason, "removed": removed, "draft": draft}
