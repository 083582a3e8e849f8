"""HybridRetriever: keyword (BM25) and semantic (vector) search fused by reciprocal rank, composed by injection."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bizpilot.retrieval.bm25 import BM25Index, top_k
from bizpilot.retrieval.fusion import ReciprocalRankFusion
from bizpilot.retrieval.synonyms import Expansion, QueryExpander
from bizpilot.retrieval.types import Chunk, Hit
from bizpilot.retrieval.vector import VectorIndex

# (BM25, vector) weights of the rank fusion for knowledge-base search: semantic ranks get more trust, keyword
# ranks still lift exact matches (SKUs, 增值税发票). Measured on Amazon QA, any BM25 weight lowered recall@1
# (vector alone 0.583, 0.3/1.0 0.543, equal 0.55), which is why `bizpilot eval retrieval --mode auto` uses the
# vector ranking alone there; see README "Service assistant".
DEFAULT_WEIGHTS = (0.3, 1.0)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class HybridRetriever:
    """``fit(chunks)`` indexes; ``run(query, k)`` returns :class:`Hit` s best first.

    Any part may be left out: without ``vector`` it is plain BM25 (no model to load), without ``bm25`` plain
    semantic search. ``depth`` is how many results each retriever hands to the fusion. ``expander`` (a
    :class:`QueryExpander`) adds the variants of the query's words to the keyword query (and to the semantic
    query with ``expand_dense``: it ranks with the expanded query, while each hit's ``cosine`` is the original
    query's, at the cost of a second query embedding); the indexed texts are never changed.
    """

    def __init__(self, *, bm25: BM25Index | None = None, vector: VectorIndex | None = None,
                 fusion: ReciprocalRankFusion | None = None, depth: int = 50,
                 expander: QueryExpander | None = None, expand_dense: bool = False) -> None:
        if bm25 is None and vector is None:
            raise ValueError("HybridRetriever needs at least one of bm25 or vector")
        self.bm25 = bm25
        self.vector = vector
        both = bm25 is not None and vector is not None
        self.fusion = fusion or ReciprocalRankFusion(weights=DEFAULT_WEIGHTS if both else None)
        self.depth = depth
        self.expander = expander
        self.expand_dense = expand_dense
        self.chunks: list[Chunk] = []
        self._known_for: QueryExpander | None = None
        self._known_set: frozenset[str] = frozenset()

    def fit(self, chunks: Sequence[Chunk], *, vectors: np.ndarray | None = None) -> HybridRetriever:
        """Index ``chunks``; pass ``vectors`` (one row per chunk) when the embeddings are already stored."""
        self.chunks = list(chunks)
        self._known_for = None
        texts = [c.index_text() for c in self.chunks]
        if self.bm25 is not None:
            self.bm25.fit(texts)
        if self.vector is not None:
            self.vector.fit(texts, vectors=vectors)
        return self

    def _known(self, expander: QueryExpander) -> frozenset[str]:
        """The expander's phrases the indexed texts already use (computed once per expander)."""
        if self._known_for is not expander:
            self._known_set = expander.found_in(c.index_text() for c in self.chunks)
            self._known_for = expander
        return self._known_set

    def expansion(self, query: str) -> Expansion | None:
        """The variant groups ``query`` matched and the words its keyword search added (None without an
        expander), so an answer can show why it found an article written in other words."""
        if self.expander is None:
            return None
        return self.expander.run(query, known=self._known(self.expander))

    def _dense_query(self, query: str) -> str:
        """The semantic query: the question plus the variants written in its own script (Chinese variants added
        to an English question pull the Chinese twin of an article ahead of the English one, and the reverse)."""
        found = self.expansion(query)
        if found is None or not found.terms:
            return query
        zh = bool(_CJK.search(query))
        terms = [t for t in found.terms if bool(_CJK.search(t)) == zh]
        return f"{query}\n{' '.join(dict.fromkeys(terms))}" if terms else query

    def run(self, query: str, k: int = 5, *, candidates: np.ndarray | None = None) -> list[Hit]:
        if not self.chunks or not (query or "").strip():
            return []
        depth = max(self.depth, k)
        rankings: list[np.ndarray] = []
        bm25_scores = cos = None
        bm25_rank: dict[int, int] = {}
        vec_rank: dict[int, int] = {}
        expanded = query
        if self.expander is not None:
            expanded = self.expander.expand(query, known=self._known(self.expander))
        if self.bm25 is not None:
            bm25_scores = self.bm25.scores(expanded)
            ids, _ = top_k(bm25_scores, depth, candidates=candidates, drop_zero=True)
            rankings.append(ids)
            bm25_rank = {int(p): r for r, p in enumerate(ids.tolist(), start=1)}
        if self.vector is not None:
            cos = self.vector.scores(query)
            # ranked with the expanded query when asked; each hit's cosine (what confidence is judged on) stays
            # the question's own, so variants never make an unanswerable question look answerable
            dense = self._dense_query(query) if self.expand_dense else query
            rank_cos = self.vector.scores(dense) if dense != query else cos
            ids, _ = top_k(self.vector.rank_scores(rank_cos), depth, candidates=candidates)
            rankings.append(ids)
            vec_rank = {int(p): r for r, p in enumerate(ids.tolist(), start=1)}
        fused_ids, fused_scores = self.fusion.run(rankings, limit=k)
        hits = []
        for rank, (pos, score) in enumerate(zip(fused_ids.tolist(), fused_scores.tolist(), strict=True), start=1):
            hits.append(Hit(chunk=self.chunks[pos], position=pos, score=float(score), rank=rank,
                            bm25=float(bm25_scores[pos]) if bm25_scores is not None else 0.0,
                            bm25_rank=bm25_rank.get(pos),
                            cosine=float(cos[pos]) if cos is not None else None, vector_rank=vec_rank.get(pos)))
        return hits
