"""Suggested replies for agents, each branch pinned with the scripted backend: the model's reply grounded and
kept, ungrounded sentences dropped (with the reason), nothing grounded or no model -> the extractive reply (with
the reason); and the real local model taking exactly the branch its draft dictates."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from bizpilot.errors import LLMTimeout, NotFoundError, ValidationFailed
from bizpilot.llm import CallLog
from bizpilot.llm.local import LocalBackend
from bizpilot.llm.scripted import ScriptedBackend
from bizpilot.retrieval.types import Hit
from bizpilot.services.assistant import ask, suggest_reply
from bizpilot.services.assistant.compose import extract, render
from bizpilot.services.assistant.knowledge import get_retriever
from bizpilot.services.assistant.suggest import PROMPT_VERSION, check_reply
from tests.llm.conftest import local_backend  # noqa: F401  (fixture: the bundled model, or a skip with the reason)

QUESTION = "I want a refund for the damaged glue, please refund me."
REFUNDS = "Refunds are paid to the original payment method within 7 business days after the return is inspected"
# check_reply cuts the citation out of "... inspected [2]." and leaves the space before the full stop.
SHOWN = f"{REFUNDS} . [1]"


@pytest.fixture
def ticket(kb_session: Session) -> int:
    r = ask(session=kb_session, question=QUESTION, account="ACC-T1")
    assert r.handoff_reason == "refund_request"
    return r.ticket_id


def _hits(session: Session) -> list[Hit]:
    return get_retriever(session=session).run(QUESTION, k=4)  # what suggest_reply retrieves for the ticket


def _source_number(hits: list[Hit], start: str) -> int:
    return next(i for i, h in enumerate(hits, start=1) if h.chunk.text.startswith(start))


def _extractive(hits: list[Hit]) -> str:
    pairs = extract(QUESTION, hits)
    used = sorted({n for _, n in pairs})
    return "Hello, " + render([(s, used.index(n) + 1) for s, n in pairs]) + "\n\nBest regards"


def test_a_grounded_reply_is_kept_and_the_request_lists_the_sources(kb_session: Session, ticket: int) -> None:
    hits = _hits(kb_session)
    n = _source_number(hits, "Refunds are paid")
    backend = ScriptedBackend([f"{REFUNDS} [{n}]."], call_log=CallLog())
    reply = suggest_reply(session=kb_session, ticket_id=ticket, backend=backend)
    assert not reply["fallback"] and reply["fallback_reason"] is None and reply["model"] == "scripted"
    assert reply["text"] == f"Hello, {SHOWN}\n\nBest regards"  # renumbered to the sources shown
    assert [s["chunk_id"] for s in reply["sources"]] == [hits[n - 1].chunk.id] and reply["removed"] == []
    assert reply["draft"] == f"{REFUNDS} [{n}]." and reply["prompt_version"] == PROMPT_VERSION
    asked = backend.last_request()
    assert asked.tag == PROMPT_VERSION and asked.options.max_tokens == 220
    assert "Write a short reply using ONLY the numbered sources" in asked.system
    assert f"[{n}] {hits[n - 1].chunk.citation}: {hits[n - 1].chunk.text}" in asked.user
    assert asked.user.endswith(f"Customer message:\n{QUESTION}\n\nReply:")


def test_ungrounded_sentences_are_dropped_with_the_reason(kb_session: Session, ticket: int) -> None:
    n = _source_number(_hits(kb_session), "Refunds are paid")
    draft = f"{REFUNDS} [{n}]. We will also send you a free gift [{n}]. Refunds take 30 days [{n}]. Call us now."
    reply = suggest_reply(session=kb_session, ticket_id=ticket, backend=ScriptedBackend([draft]))
    assert not reply["fallback"] and reply["text"] == f"Hello, {SHOWN}\n\nBest regards"
    assert reply["removed"] == [
        {"text": "We will also send you a free gift .", "reason": "most of its words are not in the cited source"},
        {"text": "Refunds take 30 days .", "reason": "numbers not in the cited source: 30"},
        {"text": "Call us now.", "reason": "no valid citation"}]


def test_nothing_grounded_gives_the_extractive_reply_and_says_why(kb_session: Session, ticket: int) -> None:
    reply = suggest_reply(session=kb_session, ticket_id=ticket, backend=ScriptedBackend(["Sure thing, all sorted!"]))
    assert reply["fallback"] and reply["model"] == "deterministic (after scripted)"
    assert reply["fallback_reason"] == "no sentence of the model's draft was grounded in a cited source"
    assert reply["removed"] == [{"text": "Sure thing, all sorted!", "reason": "no valid citation"}]
    assert reply["text"] == _extractive(_hits(kb_session)) and reply["draft"] == "Sure thing, all sorted!"


def test_a_model_timeout_gives_the_extractive_reply_and_says_why(kb_session: Session, ticket: int) -> None:
    backend = ScriptedBackend([LLMTimeout("scripted backend did not finish within 120 s")])
    reply = suggest_reply(session=kb_session, ticket_id=ticket, backend=backend)
    assert reply["fallback"] and reply["model"] == "deterministic" and reply["draft"] is None
    assert reply["fallback_reason"] == "no LLM available: scripted backend did not finish within 120 s"
    assert reply["text"] == _extractive(_hits(kb_session))


def test_without_the_model_the_reply_is_extractive(kb_session: Session, ticket: int) -> None:
    backend = ScriptedBackend(["never asked"])
    reply = suggest_reply(session=kb_session, ticket_id=ticket, use_llm=False, backend=backend)
    assert reply["fallback"] and reply["fallback_reason"] == "LLM not requested (extractive reply)"
    assert reply["text"] == _extractive(_hits(kb_session)) and backend.requests == []
    assert reply["sources"] and reply["conversation_id"] is not None and reply["ticket_id"] == ticket


def test_the_reply_needs_a_ticket_or_conversation(kb_session: Session) -> None:
    with pytest.raises(ValidationFailed):
        suggest_reply(session=kb_session, use_llm=False)
    with pytest.raises(NotFoundError):
        suggest_reply(session=kb_session, ticket_id=9999, use_llm=False)


def test_check_reply_needs_a_valid_citation() -> None:
    kept, removed = check_reply("No citation here.", [])
    assert kept == [] and removed == [{"text": "No citation here.", "reason": "no valid citation"}]


def test_real_local_model_takes_the_branch_its_draft_dictates(kb_session: Session, ticket: int,
                                                              local_backend: LocalBackend) -> None:  # noqa: F811
    """The bundled model (tiny, prone to inventing things) drafts the reply; what is shown is exactly what the
    grounding check keeps of that draft, or the extractive reply when it keeps nothing."""
    backend = local_backend
    reply = suggest_reply(session=kb_session, ticket_id=ticket, backend=backend)
    hits = _hits(kb_session)
    kept, removed = check_reply(reply["draft"], hits)
    assert reply["removed"] == removed
    assert reply["fallback"] == (not kept)
    assert reply["model"] == (backend.model_name if kept else f"deterministic (after {backend.model_name})")
    grounded = render([(s, sorted({m for _, m in kept}).index(m) + 1) for s, m in kept])
    assert reply["text"] == (f"Hello, {grounded}\n\nBest regards" if kept else _extractive(hits))
    for n in re.findall(r"\[(\d+)\]", reply["text"]):
        assert 1 <= int(n) <= len(reply["sources"])
