"""Where one question of a message is answered: hand-off (complaint, refund demand, request for a person, out of
scope, low confidence, an order the account cannot see), the asking account's orders, or the knowledge base.

The order of the rules is the policy: a person-needing part is handed off before anything is looked up; a lookup
of the account's orders never becomes a knowledge-base answer (nor the reverse: ordering channels, minimums and
standing orders are knowledge-base questions, see ``parts.wants_order_status``); an off-topic question is handed
off unless the knowledge base answers it with high confidence (the intent model's out-of-scope flag alone also
fires on short support questions such as "收到的货有破损怎么办？").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bizpilot.retrieval.types import Hit
from bizpilot.services.assistant.availability import names_thing, thing_asked_for
from bizpilot.services.assistant.compose import (
    MIN_CONFIDENCE,
    clean_hits,
    evidence,
    extract,
    handoff_reason,
    plain_words,
)
from bizpilot.services.assistant.orders import OrderFact, find_orders
from bizpilot.services.assistant.parts import is_chinese, part_asks, question_clause, wants_order_status
from bizpilot.services.assistant.sections import prefer_matching_article

#: Knowledge-base confidence above which an answer stands even when the intent model calls the part off-topic.
OOS_OVERRIDE_CONFIDENCE = 0.7
#: Intent ``other`` (greetings, chit-chat) this sure, with a weak knowledge-base match, is off-topic too.
OTHER_INTENT_CONFIDENCE = 0.6
#: The bar for a part the intent model calls off-topic although it uses the trade's vocabulary (a variant group of
#: the table matched: "dedicated rep", "报修"): the usual knowledge-base bar, not the high override one.
DOMAIN_OOS_CONFIDENCE = MIN_CONFIDENCE
#: How many of the first three hits must come from the best hit's article for retrieval to anchor a question.
ANCHOR_AGREE = 2
PERSON_REASONS = ("complaint", "refund_request", "escalation")


@dataclass
class RoutedPart:
    """One question of the message, routed: KB sentences (text, hit) or order facts, or a hand-off reason."""

    question: str
    route: str  # kb | orders | handoff
    reason: str | None
    intent: str
    confidence: float
    pairs: list[tuple[str, Hit]] = field(default_factory=list)
    facts: list[OrderFact] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    #: The variant groups the question matched and the words its keyword search added (``synonyms.Expansion``).
    variants: dict[str, list[str]] = field(default_factory=dict)


def route_part(*, session: Session, question: str, sig: Any, account_id: int | None, retriever: Any,
               embedder_name: str | None, k: int, forced_reason: str | None = None,
               context: str | None = None) -> RoutedPart:
    """Route and answer one question (``sig``: its intent and sentiment; ``forced_reason``: a hand-off the whole
    message demands of this part; ``context``: the question it refers back to, searched with it)."""
    reason = forced_reason or handoff_reason(question, intent=sig.intent, sentiment_score=sig.sentiment_score,
                                             out_of_scope=False, asks=part_asks(question))
    search = plain_words(f"{context} {question}" if context else question)  # "do u ship to canada"
    expander = getattr(retriever, "expander", None)  # the variant table the search used, for the same judgement
    hits = prefer_matching_article(search, clean_hits(retriever.run(search, k=k)),
                                   getattr(retriever, "chunks", None), expander)
    ev = evidence(search, hits, embedder_name, expander)
    asked = question_clause(question)
    if asked != question:  # statements before the question dilute the word coverage: judge the asking clause too
        ev = max(ev, evidence(asked, hits, embedder_name, expander), key=lambda e: e.confidence)
    found = retriever.expansion(search) if hasattr(retriever, "expansion") else None
    variants = found.to_dict() if found else {"groups": [], "terms": []}
    part = RoutedPart(question=question, route="handoff", reason=reason, intent=sig.intent,
                      confidence=ev.confidence, hits=hits, variants=variants)
    if reason is not None:
        return part
    if wants_order_status(question):
        if account_id is None:
            part.reason = "account_needed"
            return part
        facts, missing = find_orders(session=session, text=question, account_id=account_id)
        if missing or not facts:
            part.reason = "order_not_found"
            return part
        part.route, part.facts, part.confidence = "orders", facts, 1.0
        return part
    off_topic = sig.out_of_scope or (sig.intent == "other" and sig.intent_confidence >= OTHER_INTENT_CONFIDENCE)
    bar = DOMAIN_OOS_CONFIDENCE if variants.get("groups") else OOS_OVERRIDE_CONFIDENCE
    grounded = anchored(variants.get("groups") or [], hits, expander)
    thing = thing_asked_for(question)
    if thing is not None:  # "do you sell X": the knowledge base answers only when it names X
        if not names_thing(thing, hits):
            part.reason = "low_confidence"
            return part
        grounded = True
    if off_topic and ev.confidence < bar and not grounded:
        part.reason = "out_of_scope"
        return part
    if ev.confidence < MIN_CONFIDENCE and not grounded:
        part.reason = "low_confidence"
        return part
    quoted = in_language_first(hits, "zh" if is_chinese(question) else "en")
    pairs = extract(search, quoted, expander=expander)
    if not pairs:
        part.reason = "low_confidence"
        return part
    part.route, part.pairs = "kb", [(s, quoted[n - 1]) for s, n in pairs]
    return part


def in_language_first(hits: list[Hit], language: str, *, near: float = 0.6) -> list[Hit]:
    """``hits`` with those written in the question's language first, among the hits close to the best one: the
    variant table's words of the other language pull in the translated article too ("can we pay by SEPA" also
    matches 付款方式), and an English question is answered with English sentences when the knowledge base has them."""
    if not hits:
        return hits
    close = [h for h in hits if h.score >= near * hits[0].score]
    same = [h for h in close if h.chunk.language in (None, language)]
    if not same or same[0] is hits[0] and len(same) == len(close):
        return hits
    return [*same, *[h for h in hits if not any(h is x for x in same)]]


def anchored(groups: list[str], hits: list[Hit], expander: Any) -> bool:
    """Retrieval evidence that the question is about what the knowledge base covers, independent of the intent
    model (trained on generic requests, it does not know this workspace) and of the word overlap the confidence
    counts ("One of the boxes turned up crushed, what now?" shares one word with the article that answers it).
    Two signals must agree: the best hit states a concept of the variant table that the question names (the
    question's "crushed", the article's "damaged"), and the top hits concentrate on one article (at least
    ``ANCHOR_AGREE`` of the first three), so a stray match of one common word does not count."""
    if not groups or not hits or expander is None:
        return False
    top = hits[:3]
    lead = top[0].chunk.source
    if sum(h.chunk.source == lead for h in top) < min(ANCHOR_AGREE, len(top)):
        return False
    said = set(expander.run(top[0].chunk.index_text()).groups)
    return bool(said & set(groups))


def message_reason(parts: list[RoutedPart]) -> str | None:
    """The reason the message's ticket carries: a person-needing part first, else the first hand-off."""
    reasons = [p.reason for p in parts if p.reason is not None]
    for wanted in PERSON_REASONS:
        if wanted in reasons:
            return wanted
    return reasons[0] if reasons else None


__all__ = ["PERSON_REASONS", "RoutedPart", "anchored", "in_language_first", "message_reason", "route_part"]
