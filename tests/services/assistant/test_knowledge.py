"""The knowledge base: article chunks kept in step with their rows, vectors reused for unchanged text, and the
embedder taken from the workspace's settings at call time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain.kb import KbChunk
from bizpilot.domain.knowledge import KnowledgeArticle
from bizpilot.services.assistant import ask, import_documents, kb_stats, sync_articles
from bizpilot.services.assistant.knowledge import CONFIGURED, kb_embedder
from tests.retrieval.kb_sample import write_kb


def test_articles_are_synced_and_reimport_reuses_vectors(kb_session: Session, tmp_path: Path) -> None:
    kb_session.add(KnowledgeArticle(external_id="warranty", title="Warranty", language="en",
                                    body="## Pumps\n\nPumps carry a 24-month warranty from delivery."))
    kb_session.flush()
    r = ask(session=kb_session, question="What is the warranty on pumps?")  # synced on the fly
    assert not r.handoff and r.answer.startswith("Pumps carry a 24-month warranty from delivery. [1]")
    assert r.sources[0]["source"] == "kb:warranty"
    again = sync_articles(session=kb_session)
    assert (again.embedded, again.reused, again.removed) == (0, 1, 0)
    reimport = import_documents(session=kb_session, path=tmp_path / "kb")
    assert (reimport.embedded, reimport.reused) == (0, 10)
    kb_session.delete(kb_session.scalar(select(KnowledgeArticle)))
    kb_session.flush()  # the article's chunks go with it (ON DELETE CASCADE); the sync finds nothing left over
    gone = sync_articles(session=kb_session)
    assert (gone.chunks, gone.removed) == (0, 0)
    assert kb_session.scalar(select(KbChunk).where(KbChunk.source == "kb:warranty")) is None
    assert kb_stats(session=kb_session) == {"chunks": 10, "by_embedder": {"e5-small-q4": 10}, "sources": 4}


def test_the_embedder_setting_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_KB_EMBEDDER", "minilm")
    reset_settings()
    assert kb_embedder() == kb_embedder(CONFIGURED) == "minilm"
    monkeypatch.setenv("BIZPILOT_KB_EMBEDDER", "none")
    reset_settings()
    assert kb_embedder() is None  # keyword search only
    monkeypatch.delenv("BIZPILOT_KB_EMBEDDER")
    reset_settings()
    assert kb_embedder() == "e5"  # the shipped default
    assert kb_embedder("minilm") == "minilm" and kb_embedder(None) is None and kb_embedder("none") is None


def test_documents_follow_the_configured_embedder(engine: object, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_KB_EMBEDDER", "none")
    reset_settings()
    with Session(engine) as session:  # type: ignore[arg-type]
        summary = import_documents(session=session, path=write_kb(tmp_path / "kb"))
        assert (summary.chunks, summary.embedded, summary.embedder) == (10, 0, None)
        r = ask(session=session, question="What is the restocking fee for returns?")
        assert not r.handoff and "A restocking fee of 15% applies to returns without a defect. [1]" in r.answer
        assert all(h["cosine"] is None for h in r.retrieved)  # BM25 only
