"""The service assistant: answer from the knowledge base and the account's orders with citations, or hand off.

``ask`` runs one turn: analyse the message (intent, sentiment, out-of-scope), decide whether a person must take it
(complaint, refund request, escalation, out of scope, unknown order, low retrieval confidence), otherwise answer
with sentences copied from cited sources. Every turn is stored; a hand-off opens a ticket with a summary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.conversation import Conversation, ConversationMessage, HandoffTicket
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.retrieval.analyzers import detect_language
from bizpilot.services.assistant.compose import (
    HANDOFF_TEXT,
    MIN_CONFIDENCE,
    evidence,
    extract,
    handoff_reason,
    render,
)
from bizpilot.services.assistant.index import refresh_index
from bizpilot.services.assistant.knowledge import CONFIGURED, get_retriever
from bizpilot.services.assistant.orders import account_name, find_orders, order_refs
from bizpilot.services.events import emit
from bizpilot.services.references import resolve_account

MAX_QUESTION_CHARS = 4000
ORDER_INTENTS = {"order_status", "shipping", "returns_refunds", "invoice_payment"}


@dataclass
class AskResult:
    conversation_id: int
    message_id: int
    answer: str
    language: str
    handoff: bool
    handoff_reason: str | None
    ticket_id: int | None
    intent: str
    intent_confidence: float
    sentiment: str
    sentiment_score: float
    out_of_scope: bool
    confidence: float
    sources: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _signals(text: str, language: str) -> Any:
    from bizpilot.services.signals.analysis import analyse_message

    return analyse_message(text, language=language)


def _account_id(session: Session, account: int | str | None) -> int | None:
    """The asking account's id (the shared reference rule: external id first, then id), None when anonymous."""
    if account is None or account == "":
        return None
    return resolve_account(session=session, ref=account).id


def _summary(session: Session, conv: Conversation, *, reason: str, question: str, sig: Any,
             retrieved: list[dict[str, Any]]) -> str:
    who = account_name(session=session, account_id=conv.account_id) or "unknown customer"
    asked = session.scalar(select(func.count()).select_from(ConversationMessage)
                           .where(ConversationMessage.conversation_id == conv.id,
                                  ConversationMessage.role == "user")) or 1
    lines = [f"Reason: {reason.replace('_', ' ')}. Customer: {who}.",
             f"Intent: {sig.intent} ({sig.intent_confidence:.2f}); sentiment: {sig.sentiment} "
             f"({sig.sentiment_score:+.2f}); {asked} customer message(s) in the conversation.",
             f"Last message: {question[:500]}"]
    if retrieved:
        lines.append("Closest knowledge-base sources: " + "; ".join(r["citation"] for r in retrieved[:3]))
    return "\n".join(lines)


def ask(*, session: Session, question: str, account: int | str | None = None, conversation_id: int | None = None,
        language: str | None = None, k: int = 5, embedder: str | None = CONFIGURED,
        sync_index: bool = True) -> AskResult:
    """One turn of the conversation (a new one unless ``conversation_id``); see the module docstring. The turn,
    and the ticket of a hand-off, are flushed into the caller's unit of work, which commits."""
    question = (question or "").strip()
    if not question:
        raise ValidationFailed("question is empty", details=[{"field": "question", "reason": "empty"}])
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationFailed(f"question is longer than {MAX_QUESTION_CHARS} characters",
                               details=[{"field": "question", "reason": "too long"}])
    language = language or detect_language(question)
    lang = "zh" if language.startswith("zh") else "en"
    account_id = _account_id(session, account)
    if conversation_id is not None:
        conv = session.get(Conversation, int(conversation_id))
        if conv is None:
            raise NotFoundError(f"conversation {conversation_id} not found",
                                details=[{"field": "conversation_id", "reason": "unknown"}])
        if account_id is not None and conv.account_id not in (None, account_id):
            raise ValidationFailed("the conversation belongs to another account",
                                   details=[{"field": "account", "reason": "mismatch"}])
        account_id = account_id if account_id is not None else conv.account_id
        conv.account_id = account_id
    else:
        conv = Conversation(account_id=account_id, channel="chat", language=lang)
        session.add(conv)
        session.flush()
    sig = _signals(question, lang)
    user_msg = ConversationMessage(conversation_id=conv.id, role="user", text=question, intent=sig.intent,
                                   intent_confidence=sig.intent_confidence, sentiment=sig.sentiment,
                                   sentiment_score=sig.sentiment_score, sources=[])
    session.add(user_msg)
    session.flush()

    refresh_index(session=session, embedder=embedder, wait=sync_index)
    retriever = get_retriever(session=session, embedder=embedder)
    hits = retriever.run(question, k=k)
    retrieved = [h.to_dict() for h in hits]
    emb_name = retriever.vector.embedder.name if retriever.vector is not None else None
    ev = evidence(question, hits, emb_name)
    reason = handoff_reason(question, intent=sig.intent, sentiment_score=sig.sentiment_score,
                            out_of_scope=sig.out_of_scope)
    sources: list[dict[str, Any]] = []
    answer = ""
    confidence = ev.confidence
    refs = order_refs(question)
    if reason is None and (sig.intent == "order_status" or (refs and sig.intent in ORDER_INTENTS)):
        if account_id is None:
            reason = "account_needed"
        else:
            facts, missing = find_orders(session=session, text=question, account_id=account_id)
            if missing or not facts:
                reason = "order_not_found"
            else:
                sources = [f.source(lang) for f in facts]
                answer = " ".join(f"{f.sentence(lang)} [{i}]" for i, f in enumerate(facts, start=1))
                confidence = 1.0
    if reason is None and not answer:
        if ev.confidence < MIN_CONFIDENCE:
            reason = "low_confidence"
        else:
            pairs = extract(question, hits)
            used = sorted({n for _, n in pairs})
            renumber = {n: i for i, n in enumerate(used, start=1)}
            answer = render([(s, renumber[n]) for s, n in pairs])
            sources = [{**hits[n - 1].to_dict(), "kind": "kb"} for n in used]
            if not answer:
                reason = "low_confidence"
    ticket_id = None
    if reason is not None:
        ticket = HandoffTicket(conversation_id=conv.id, account_id=account_id, status="open", reason=reason,
                               summary=_summary(session, conv, reason=reason, question=question, sig=sig,
                                                retrieved=retrieved))
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
        emit(session=session, event="handoff.opened", data={
            "ticket_id": ticket.id, "conversation_id": conv.id, "account_id": account_id, "reason": reason,
            "intent": sig.intent, "sentiment": sig.sentiment, "language": lang, "summary": ticket.summary})
        answer = HANDOFF_TEXT[lang][reason].format(ticket=ticket_id)
        sources = []
        conv.status = "handed_off"
    bot = ConversationMessage(conversation_id=conv.id, role="assistant", text=answer, sources=sources)
    session.add(bot)
    conv.updated_at = utcnow()
    session.flush()
    return AskResult(conversation_id=conv.id, message_id=bot.id, answer=answer, language=lang,
                     handoff=reason is not None, handoff_reason=reason, ticket_id=ticket_id,
                     intent=sig.intent, intent_confidence=float(sig.intent_confidence),
                     sentiment=sig.sentiment, sentiment_score=float(sig.sentiment_score),
                     out_of_scope=bool(sig.out_of_scope), confidence=float(confidence), sources=sources,
                     retrieved=retrieved)
