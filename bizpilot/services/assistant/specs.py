"""The knowledge-base index as the model store knows it: chunks and their embeddings (rows of ``kb_chunks``)
rebuilt from the KnowledgeArticle table by `bizpilot train knowledge` and `train all`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bizpilot.domain import KnowledgeArticle
from bizpilot.services.assistant.knowledge import kb_stats, sync_articles
from bizpilot.services.models.spec import ModelSpec, Progress, Trained


def build_index(*, session: Session, as_of: datetime, progress: Progress, **_: Any) -> Trained:
    """Chunk new and edited articles, embed what changed, drop chunks of deleted articles."""
    summary = sync_articles(session=session)
    stats = kb_stats(session=session)
    return Trained(None, {**summary.to_dict(), "index_chunks": stats["chunks"], "index_sources": stats["sources"],
                          "by_embedder": stats["by_embedder"]}, n_rows=summary.chunks,
                   params={"embedder": summary.embedder})


KNOWLEDGE = ModelSpec(
    name="knowledge", title="Knowledge index", train=build_index, inputs=(KnowledgeArticle,), on_demand=False,
    summary="Chunks of the knowledge-base articles with their embeddings, searched by the assistant (BM25 + "
            "vectors)")

__all__ = ["KNOWLEDGE", "build_index"]
