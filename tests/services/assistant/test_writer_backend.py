"""The assistant's drafted reply and the profile's narrative are written by the same model as content: the
workspace's endpoint when it is set to write (a real OpenAI-compatible server on loopback here), not the server's
configured backend; a model that failed its capability probe writes nothing, and each result names its writer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bizpilot.llm.registry import clear_cache
from bizpilot.services.assistant import ask, suggest_reply
from bizpilot.services.auth import Principal
from bizpilot.services.intelligence.profile import llm_narrative, narrative
from bizpilot.services.llmprobe import save_result
from bizpilot.services.llmprobe.endpoint import save_endpoint
from tests.services.llmprobe.openai_loopback import MODEL, openai_loopback

ADMIN = Principal(kind="session", name="owner", role="admin")
REFUNDS = "Refunds are paid to the original payment method within 7 business days after the return is inspected"
PROFILE = {"name": "Acme Trading", "firmographics": {"industry": "retail", "size_band": "11-50", "country": "UK"},
           "rfm": None, "top_categories": [], "purchase_cycle_days": None, "repurchase": None,
           "open_opportunities": [], "risks": [], "next_actions": ["call the buyer"]}


@pytest.fixture(autouse=True)
def _fresh_backends() -> None:
    clear_cache()
    yield
    clear_cache()


def _answer(body: dict[str, Any]) -> str:
    """The reply cites the refunds source by its number in the prompt; the narrative states no number."""
    prompt = body["messages"][-1]["content"]
    source = re.search(r"^\[(\d+)\] [^\n]*Refunds are paid", prompt, re.M)
    return f"{REFUNDS} [{source.group(1)}]." if source else "Acme Trading is a retail customer in the UK."


def test_reply_and_narrative_are_written_by_the_workspace_endpoint(kb_session: Session) -> None:
    ticket = ask(session=kb_session, question="I want a refund for the damaged glue, please refund me.",
                 account="ACC-T1").ticket_id
    with openai_loopback(reply=_answer) as server:
        endpoint = save_endpoint(session=kb_session, base_url=server.url, model=MODEL, use_for_generation=True,
                                 principal=ADMIN, channel="page")
        reply = suggest_reply(session=kb_session, ticket_id=ticket)
        assert not reply["fallback"] and reply["model"] == MODEL and REFUNDS in reply["text"]
        told = llm_narrative(PROFILE, session=kb_session)
        assert told == {"text": "Acme Trading is a retail customer in the UK.", "source": "llm", "reason": None,
                        "model": MODEL}
        assert len(server.chat_bodies()) == 2   # both went to the endpoint, not to the configured local model
        save_result({"model": endpoint.key, "passed": False, "score": 0.25, "date": "2026-01-01T00:00:00+00:00"})
        refused = suggest_reply(session=kb_session, ticket_id=ticket)
        template = llm_narrative(PROFILE, session=kb_session)
        assert len(server.chat_bodies()) == 2   # a model that failed its probe is not asked
    why = f"{endpoint.key} failed the capability probe (bizpilot llm probe)"
    assert refused["fallback"] and refused["model"] == "deterministic"
    assert refused["fallback_reason"] == f"no LLM available: {why}"
    assert template == {"text": narrative(PROFILE), "source": "template", "reason": f"LLM unavailable: {why}",
                        "model": "deterministic"}
