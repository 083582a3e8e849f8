"""Shared shapes of the retrieval pieces: chunks in, hits out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Analyzer(Protocol):
    def run(self, text: str) -> list[str]: ...


@dataclass
class Chunk:
    """A searchable slice of a document; ``heading_path`` keeps the section it came from (``"Returns > Refunds"``)."""

    text: str
    source: str
    title: str | None = None
    heading_path: str | None = None
    language: str | None = None
    position: int = 0
    article_id: int | None = None
    id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def index_text(self) -> str:
        """What gets indexed: the heading path belongs to the meaning of a chunk ("Refunds: within 30 days")."""
        head = " > ".join(p for p in (self.title, self.heading_path) if p)
        return f"{head}\n{self.text}" if head else self.text

    @property
    def citation(self) -> str:
        where = " > ".join(p for p in (self.title, self.heading_path) if p)
        return f"{self.source} § {where}" if where else self.source


@dataclass
class Hit:
    """One retrieved chunk with the evidence for it: fused score and each retriever's own score/rank."""

    chunk: Chunk
    position: int
    score: float
    rank: int
    bm25: float = 0.0
    bm25_rank: int | None = None
    cosine: float | None = None
    vector_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"rank": self.rank, "score": round(self.score, 6), "chunk_id": c.id, "source": c.source,
                "title": c.title, "heading_path": c.heading_path, "citation": c.citation, "text": c.text,
                "language": c.language, "article_id": c.article_id, "bm25": round(self.bm25, 4),
                "cosine": None if self.cosine is None else round(self.cosine, 4)}
