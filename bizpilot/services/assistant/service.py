"""The service assistant: answer from the knowledge base and the account's orders with citations, or hand off.

``ask`` runs one turn: analyse the message (intent, sentiment, out-of-scope), split it into its questions
(``parts.split_parts``) and route each (``routing.route_part``): a person takes the parts that need one (complaint,
refund demand, escalation, out of scope, unknown order, low retrieval confidence), the others are answered with
sentences copied from cited sources. The answer covers every part and names the parts it hands off; one ticket
per message carries them. Every turn is stored; a hand-off opens a ticket with a summary.
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
from bizpilot.services.assistant.compose import HANDOFF_TEXT, PART_NOTE, PART_QUOTE, handoff_reason, render
from bizpilot.services.assistant.index import refresh_index
from bizpilot.services.assistant.knowledge import CONFIGURED, get_retriever
from bizpilot.services.assistant.orders import account_name, order_refs
from bizpilot.services.assistant.parts import part_asks, refers_back, split_parts, without_instructions
from bizpilot.services.assistant.routing import PERSON_REASONS, RoutedPart, message_reason, route_part
from bizpilot.services.events import emit
from bizpilot.services.references import resolve_account

MAX_QUESTION_CHARS = 4000


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
    #: One entry per question of the message: question, route (kb | orders | handoff), answer, citations (the
    #: numbers and sources of ``sources`` it cites), handoff_reason (None when answered), intent, confidence,
    #: variants (the variant groups the question matched and the words its search added, see retrieval/synonyms).
    parts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _signals(text: str, language: str) -> Any:
    from bizpilot.services.signals.analysis import analyse_message

    return analyse_message(text, language=language)


def _part_signals(texts: list[str], language: str) -> list[Any]:
    from bizpilot.services.signals.analysis import analyse_texts

    return analyse_texts(texts, languages=[language] * len(texts))


def _route_parts(*, session: Session, question: str, sig: Any, lang: str, account_id: int | None, retriever: Any,
                 embedder_name: str | None, k: int) -> list[RoutedPart]:
    """Split the message into its questions and route each. A complaint, refund demand or request for a person
    in the message as a whole is handed off even when no single part shows it: it goes with the most negative
    part when that part states rather than asks (two plain questions are answered, however negative)."""
    texts = split_parts(question)
    sigs = [sig] if len(texts) == 1 else _part_signals(texts, lang)
    forced: dict[int, str] = {}
    if len(texts) > 1:
        whole = handoff_reason(question, intent=sig.intent, sentiment_score=sig.sentiment_score,
                               out_of_scope=False)
        own = [handoff_reason(t, intent=s.intent, sentiment_score=s.sentiment_score, out_of_scope=False,
                              asks=part_asks(t)) for t, s in zip(texts, sigs, strict=True)]
        worst = min(range(len(texts)), key=lambda i: sigs[i].sentiment_score)
        if whole in PERSON_REASONS and not any(r in PERSON_REASONS for r in own) and not part_asks(texts[worst]):
            forced[worst] = whole
    return [route_part(session=session, question=t, sig=s, account_id=account_id, retriever=retriever,
                       embedder_name=embedder_name, k=k, forced_reason=forced.get(i),
                       context=texts[i - 1] if i and refers_back(t) and not order_refs(texts[i - 1]) else None)
            for i, (t, s) in enumerate(zip(texts, sigs, strict=True))]


def _assemble(routed: list[RoutedPart], lang: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """(answer text of the answered parts, the sources its [n] cite, one dict per part). Sources are numbered once
    for the whole message; a sentence another part already said is not repeated in the answer."""
    sources: list[dict[str, Any]] = []
    number: dict[str, int] = {}
    said: set[tuple[str, int]] = set()
    pieces: list[str] = []
    parts: list[dict[str, Any]] = []

    def cite(key: str, source: dict[str, Any]) -> int:
        if key not in number:
            sources.append(source)
            number[key] = len(sources)
        return number[key]

    for p in routed:
        if p.route == "orders":
            cited = [(f.sentence(lang), cite(f"order:{f.external_id}", f.source(lang))) for f in p.facts]
        elif p.route == "kb":
            cited = [(s, cite(f"chunk:{h.chunk.id}:{h.chunk.source}", {**h.to_dict(), "kind": "kb"}))
                     for s, h in p.pairs]
        else:
            cited = []
        for sentence, n in cited:
            if (sentence, n) not in said:
                said.add((sentence, n))
                pieces.append(f"{sentence} [{n}]")
        used = list(dict.fromkeys(n for _, n in cited))
        parts.append({"question": p.question, "route": p.route, "answer": render(cited),
                      "citations": [{"n": n, "source": sources[n - 1]["source"],
                                     "citation": sources[n - 1]["citation"], "kind": sources[n - 1]["kind"]}
                                    for n in used],
                      "handoff_reason": p.reason, "intent": p.intent, "confidence": round(float(p.confidence), 4),
                      "ticket_id": None, "variants": p.variants})
    return " ".join(pieces), sources, parts


def _retrieved(routed: list[RoutedPart]) -> list[dict[str, Any]]:
    """Every chunk the retriever returned for any part (first occurrence kept)."""
    seen: set[Any] = set()
    out = []
    for p in routed:
        for h in p.hits:
            key = (h.chunk.id, h.chunk.source, h.chunk.position)
            if key not in seen:
                seen.add(key)
                out.append(h.to_dict())
    return out


def _account_id(session: Session, account: int | str | None) -> int | None:
    """The asking account's id (the shared reference rule: external id first, then id), None when anonymous."""
    if account is None or account == "":
        return None
    return resolve_account(session=session, ref=account).id


def _summary(session: Session, conv: Conversation, *, reason: str, question: str, sig: Any,
             retrieved: list[dict[str, Any]], parts: list[RoutedPart]) -> str:
    who = account_name(session=session, account_id=conv.account_id) or "unknown customer"
    asked = session.scalar(select(func.count()).select_from(ConversationMessage)
                           .where(ConversationMessage.conversation_id == conv.id,
                                  ConversationMessage.role == "user")) or 1
    lines = [f"Reason: {reason.replace('_', ' ')}. Customer: {who}.",
             f"Intent: {sig.intent} ({sig.intent_confidence:.2f}); sentiment: {sig.sentiment} "
             f"({sig.sentiment_score:+.2f}); {asked} customer message(s) in the conversation.",
             f"Last message: {question[:500]}"]
    if parts:
        lines.append("For a person: " + "; ".join(f"\"{p.question[:200]}\" ({(p.reason or '').replace('_', ' ')})"
                                                  for p in parts) + "; the other parts were answered.")
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
    routed_text = without_instructions(question)  # what is analysed and routed; the stored turn keeps it all
    language = language or detect_language(routed_text)
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
    sig = _signals(routed_text, lang)
    user_msg = ConversationMessage(conversation_id=conv.id, role="user", text=question, intent=sig.intent,
                                   intent_confidence=sig.intent_confidence, sentiment=sig.sentiment,
                                   sentiment_score=sig.sentiment_score, sources=[])
    session.add(user_msg)
    session.flush()

    refresh_index(session=session, embedder=embedder, wait=sync_index)
    retriever = get_retriever(session=session, embedder=embedder)
    emb_name = retriever.vector.embedder.name if retriever.vector is not None else None
    routed = _route_parts(session=session, question=routed_text, sig=sig, lang=lang, account_id=account_id,
                          retriever=retriever, embedder_name=emb_name, k=k)
    answer, sources, parts = _assemble(routed, lang)
    retrieved = _retrieved(routed)
    reason = message_reason(routed)
    answered = [p for p in routed if p.reason is None]
    confidence = min((p.confidence for p in answered), default=routed[0].confidence)
    ticket_id = None
    if reason is not None:
        open_parts = [p for p in routed if p.reason is not None]
        ticket = HandoffTicket(conversation_id=conv.id, account_id=account_id, status="open", reason=reason,
                               summary=_summary(session, conv, reason=reason, question=question, sig=sig,
                                                retrieved=retrieved, parts=open_parts if len(routed) > 1 else []))
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
        emit(session=session, event="handoff.opened", data={
            "ticket_id": ticket.id, "conversation_id": conv.id, "account_id": account_id, "reason": reason,
            "intent": sig.intent, "sentiment": sig.sentiment, "language": lang, "summary": ticket.summary})
        note = HANDOFF_TEXT[lang][reason].format(ticket=ticket_id)
        if answered:  # say which part is not answered here, and that only that part goes to a person
            quoted = PART_QUOTE[lang].join(p.question for p in open_parts)
            note = PART_NOTE[lang].format(parts=quoted) + note
            answer = f"{answer} {note}"
        else:
            answer, sources = note, []
        for p in parts:
            if p["handoff_reason"] is not None:
                p["answer"] = HANDOFF_TEXT[lang][p["handoff_reason"]].format(ticket=ticket_id)
                p["ticket_id"] = ticket_id
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
                     retrieved=retrieved, parts=parts)
