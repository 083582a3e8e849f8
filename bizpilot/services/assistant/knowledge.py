"""The knowledge base as the assistant searches it: chunks stored in ``kb_chunks`` with their embeddings, and one
hybrid retriever per process, rebuilt only when the chunks change.

Sources are documents (``bizpilot kb import PATH``: Markdown, HTML, text, FAQ CSV) and the KnowledgeArticle table
(``sync_articles``). Re-importing unchanged text costs nothing: a chunk whose content hash and embedding model are
unchanged keeps its stored vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bizpilot.domain.kb import KbChunk
from bizpilot.domain.knowledge import KnowledgeArticle
from bizpilot.retrieval import BM25Index, HybridRetriever, VectorIndex, get_embedder
from bizpilot.retrieval.embedders import Embedder
from bizpilot.retrieval.loaders import article_chunks, load_path
from bizpilot.retrieval.synonyms import QueryExpander, builtin_expander
from bizpilot.retrieval.types import Chunk

#: The default of every ``embedder`` argument: the workspace's setting (``BIZPILOT_KB_EMBEDDER``), read at call
#: time so a changed setting applies without a restart. ``None`` (or ``"none"``) means keyword search only.
CONFIGURED = "configured"


def kb_embedder(embedder: str | None = CONFIGURED) -> str | None:
    """The embedder name to use: the setting for ``CONFIGURED`` (multilingual-e5-small handles Chinese and
    English; MiniLM is faster but English-only, see the README figures), None for keyword search only."""
    if embedder == CONFIGURED:
        from bizpilot.config import get_settings

        embedder = get_settings().kb_embedder
    if embedder is None or embedder.strip().lower() in ("", "none"):
        return None
    return embedder.strip()


@dataclass
class KbImportSummary:
    sources: list[str]
    chunks: int
    embedded: int
    reused: int
    removed: int
    embedder: str | None
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "chunks": self.chunks, "embedded": self.embedded, "reused": self.reused,
                "removed": self.removed, "embedder": self.embedder}


def _hash(chunk: Chunk) -> str:
    return hashlib.sha256(chunk.index_text().encode("utf-8")).hexdigest()


def store_chunks(*, session: Session, chunks: Sequence[Chunk], embedder: Embedder | None,
                 replace_sources: bool = True) -> KbImportSummary:
    """Replace the stored chunks of every source in ``chunks`` (re-using vectors of unchanged text)."""
    sources = list(dict.fromkeys(c.source for c in chunks))
    old: dict[tuple[str, str], bytes] = {}
    removed = 0
    if sources and replace_sources:
        for row in session.scalars(select(KbChunk).where(KbChunk.source.in_(sources))):
            if row.embedding is not None and embedder is not None and row.embedding_model == embedder.name:
                old[(row.source, row.content_hash)] = row.embedding
            removed += 1
        session.execute(delete(KbChunk).where(KbChunk.source.in_(sources)))
        session.flush()
    hashes = [_hash(c) for c in chunks]
    need = [i for i, (c, h) in enumerate(zip(chunks, hashes, strict=True)) if (c.source, h) not in old]
    vectors: dict[int, bytes] = {}
    if embedder is not None and need:
        mat = embedder.run([chunks[i].index_text() for i in need], is_query=False)
        vectors = {i: mat[j].astype(np.float32).tobytes() for j, i in enumerate(need)}
    per_source: dict[str, int] = {}
    for i, (c, h) in enumerate(zip(chunks, hashes, strict=True)):
        pos = per_source.get(c.source, 0)
        per_source[c.source] = pos + 1
        emb = old.get((c.source, h)) if i not in vectors else vectors[i]
        session.add(KbChunk(source=c.source[:512], position=pos, article_id=c.article_id,
                            title=(c.title or None) and c.title[:255],
                            heading_path=(c.heading_path or None) and c.heading_path[:512], text=c.text,
                            language=c.language, embedding_model=embedder.name if embedder and emb else None,
                            embedding=emb, content_hash=h))
    session.flush()
    invalidate()
    return KbImportSummary(sources=sources, chunks=len(chunks), embedded=len(vectors),
                           reused=len(chunks) - len(vectors) if embedder else 0,
                           removed=max(0, removed - len(chunks)), embedder=embedder.name if embedder else None)


def import_documents(*, session: Session, path: Path | str, embedder: str | None = CONFIGURED) -> KbImportSummary:
    """Chunk and store a file or folder of documents (``embedder=None``: keyword search only). Flushes only: the
    caller's unit of work commits."""
    chunks = load_path(path)
    name = kb_embedder(embedder)
    emb = get_embedder(name, adapted=True) if name else None
    return store_chunks(session=session, chunks=chunks, embedder=emb)


def sync_articles(*, session: Session, embedder: str | None = CONFIGURED) -> KbImportSummary:
    """Bring the chunks of KnowledgeArticle rows up to date (new, edited and deleted articles)."""
    name = kb_embedder(embedder)
    emb = get_embedder(name, adapted=True) if name else None
    articles = list(session.scalars(select(KnowledgeArticle).order_by(KnowledgeArticle.id)))
    chunks = article_chunks(articles)
    live = {f"kb:{a.external_id}" for a in articles}
    stale = [s for s in session.scalars(select(KbChunk.source).where(KbChunk.article_id.is_not(None))
                                        .distinct()) if s not in live]
    if stale:
        session.execute(delete(KbChunk).where(KbChunk.source.in_(stale)))
    summary = store_chunks(session=session, chunks=chunks, embedder=emb)
    summary.removed += len(stale)
    return summary


def articles_stale(*, session: Session) -> bool:
    """True when KnowledgeArticle rows were added, edited or deleted since their chunks were made."""
    n_articles, newest = session.execute(select(func.count(), func.max(KnowledgeArticle.updated_at))).one()
    n_chunked, chunked_at = session.execute(
        select(func.count(func.distinct(KbChunk.article_id)), func.min(KbChunk.created_at))
        .where(KbChunk.article_id.is_not(None))).one()
    if n_articles != n_chunked:
        return True
    return bool(n_articles) and newest is not None and chunked_at is not None and newest > chunked_at


def ensure_articles(*, session: Session, embedder: str | None = CONFIGURED) -> None:
    """Sync article chunks when they are stale, so the assistant always answers from the current articles."""
    if articles_stale(session=session):
        sync_articles(session=session, embedder=embedder)


def kb_stats(*, session: Session) -> dict[str, Any]:
    rows = session.execute(select(KbChunk.embedding_model, func.count()).group_by(KbChunk.embedding_model)).all()
    return {"chunks": sum(n for _, n in rows), "by_embedder": {m or "none": n for m, n in rows},
            "sources": session.scalar(select(func.count(func.distinct(KbChunk.source)))) or 0}


# -- the retriever, cached per process -------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], HybridRetriever]] = {}
_expanders: dict[tuple[Any, ...], QueryExpander] = {}
#: Whether the semantic query is expanded too (the keyword query always is). On: the expanded query only ranks;
#: confidence is judged on the original question's cosine (a second query embedding, a few ms), because the
#: expanded query's cosine raised the confidence of questions the knowledge base cannot answer ("pumps with a
#: five year guarantee in Antarctica?"); see bench/assistant/synonyms.md.
EXPAND_DENSE = True


def kb_expander(*, session: Session) -> QueryExpander:
    """The variant table knowledge-base questions are expanded with: the built-in one plus the workspace's own
    glossary terms of kind ``term`` (``services/glossary.synonym_groups``)."""
    from bizpilot.services.glossary import synonym_groups

    extra = synonym_groups(session=session)
    key = tuple(sorted((k, tuple(v)) for k, v in extra.items()))
    with _lock:
        hit = _expanders.get(key)
    if hit is None:
        hit = builtin_expander().with_groups(extra)
        with _lock:
            if len(_expanders) > 16:
                _expanders.clear()
            _expanders[key] = hit
    return hit


def invalidate() -> None:
    with _lock:
        _cache.clear()


def _row_chunk(r: KbChunk) -> Chunk:
    return Chunk(text=r.text, source=r.source, title=r.title, heading_path=r.heading_path, language=r.language,
                 position=r.position, article_id=r.article_id, id=r.id)


def build_retriever(rows: Sequence[KbChunk], *, embedder: str | None = CONFIGURED) -> HybridRetriever:
    """BM25 + vectors (the stored ones; missing or other-model vectors are embedded now) fused by RRF."""
    chunks = [_row_chunk(r) for r in rows]
    vector = None
    vectors = None
    name = kb_embedder(embedder)
    if name:
        emb = get_embedder(name, adapted=True)
        vector = VectorIndex(embedder=emb)
        vectors = np.zeros((len(rows), emb.dim), dtype=np.float32)
        missing = [i for i, r in enumerate(rows) if r.embedding is None or r.embedding_model != emb.name]
        for i, r in enumerate(rows):
            if i not in set(missing):
                vectors[i] = np.frombuffer(r.embedding, dtype=np.float32)
        if missing:
            vectors[missing] = emb.run([chunks[i].index_text() for i in missing], is_query=False)
    retriever = HybridRetriever(bm25=BM25Index(), vector=vector, expander=builtin_expander(),
                                expand_dense=EXPAND_DENSE)
    return retriever.fit(chunks, vectors=vectors)


def get_retriever(*, session: Session, embedder: str | None = CONFIGURED) -> HybridRetriever:
    """The workspace's retriever; rebuilt when chunks were added, removed or changed since the last build. Its
    query expander is the workspace's current variant table (a glossary edit applies without a rebuild)."""
    embedder = kb_embedder(embedder)
    expander = kb_expander(session=session)
    bind = session.get_bind()
    key = f"{bind.url.render_as_string(hide_password=True)}|{embedder}"
    version = tuple(session.execute(select(func.count(), func.max(KbChunk.id), func.max(KbChunk.created_at))).one())
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == version:
            hit[1].expander = expander
            return hit[1]
    rows = list(session.scalars(select(KbChunk).order_by(KbChunk.id)))
    retriever = build_retriever(rows, embedder=embedder) if rows else HybridRetriever(bm25=BM25Index())
    retriever.expander = expander
    with _lock:
        _cache[key] = (version, retriever)
    return retriever
