"""The assistant API: ask (answer, cited sources and every retrieved chunk), conversations, the hand-off queue,
suggested replies, KB search; reads need role read, asking and ticket changes role write."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.llm.scripted_env import scripted_llm
from tests.retrieval.kb_sample import embed_cache, kb_engine  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("kb_engine")  # every test here reads the sample knowledge base


def test_ask_returns_answer_sources_and_retrieved_chunks(write_client: TestClient) -> None:
    resp = write_client.post("/api/v1/assistant/ask", json={"question": "How long does express delivery take?"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert not body["handoff"] and "[1]" in body["answer"]
    assert body["sources"][0]["citation"].startswith("shipping.html §")
    assert len(body["retrieved"]) >= 3 and {"rank", "score", "bm25", "cosine", "text"} <= set(body["retrieved"][0])
    conv = write_client.get(f"/api/v1/assistant/conversations/{body['conversation_id']}").json()
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant"]
    assert conv["messages"][1]["sources"] == body["sources"]
    assert write_client.get("/api/v1/assistant/conversations").json()[0]["id"] == body["conversation_id"]


def test_hand_off_queue_and_suggestion(write_client: TestClient, api_client: TestClient) -> None:
    body = write_client.post("/api/v1/assistant/ask", json={"question": "I want to talk to a human about my refund",
                                                            "account_id": "ACC-T1"}).json()
    assert body["handoff"] and body["handoff_reason"] == "escalation" and body["ticket_id"]
    queue = api_client.get("/api/v1/assistant/handoffs").json()
    assert queue[0]["id"] == body["ticket_id"] and queue[0]["account_name"] == "Evergreen Hospitality Group Ltd"
    suggestion = write_client.post("/api/v1/assistant/suggest", json={"ticket_id": body["ticket_id"],
                                                                      "use_llm": False}).json()
    assert suggestion["sources"] and suggestion["text"].startswith("Hello,")
    assert suggestion["fallback_reason"] == "LLM not requested (extractive reply)"
    patched = write_client.patch(f"/api/v1/assistant/handoffs/{body['ticket_id']}", json={"status": "closed"})
    assert patched.status_code == 200 and patched.json()["status"] == "closed"
    assert api_client.get("/api/v1/assistant/handoffs?status=closed").json()[0]["id"] == body["ticket_id"]
    assert write_client.patch("/api/v1/assistant/handoffs/999", json={"status": "closed"}).status_code == 404
    assert write_client.patch(f"/api/v1/assistant/handoffs/{body['ticket_id']}",
                              json={"status": "done"}).status_code == 422


def test_roles_validation_and_kb_search(api_client: TestClient, write_client: TestClient) -> None:
    assert api_client.post("/api/v1/assistant/ask", json={"question": "hi"}).status_code == 403
    assert write_client.post("/api/v1/assistant/ask", json={"question": ""}).status_code == 422
    assert write_client.post("/api/v1/assistant/ask", json={"question": "x", "account_id": "NOPE"}).status_code == 404
    assert api_client.get("/api/v1/assistant/conversations/12345").status_code == 404
    found = api_client.get("/api/v1/assistant/kb/search", params={"q": "付款条件", "k": 2}).json()
    assert found["hits"][0]["source"] == "付款.md" and found["stats"]["chunks"] == 10
    assert write_client.post("/api/v1/assistant/kb/sync").json()["chunks"] == 0  # no articles in this workspace


def test_suggest_with_the_configured_scripted_model(write_client: TestClient,
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    body = write_client.post("/api/v1/assistant/ask", json={"question": "Please have an agent call me about "
                                                            "shipping options."}).json()
    assert body["handoff_reason"] == "escalation"
    script = {"rules": [{"tag": "assistant-suggest-*", "pattern": r"\[2\] shipping.html § Shipping > Delivery",
                         "reply": "Express delivery takes 1-2 business days [2]."}],
              "default": "Sure, all sorted!"}
    with scripted_llm(monkeypatch, tmp_path / "suggest.json", script):
        reply = write_client.post("/api/v1/assistant/suggest", json={"ticket_id": body["ticket_id"]}).json()
    assert reply["model"] == "suggest" and not reply["fallback"]
    assert reply["text"] == "Hello, Express delivery takes 1-2 business days . [1]\n\nBest regards"
    assert reply["sources"][0]["citation"] == "shipping.html § Shipping > Delivery times"
