"""BM25 keyword index (bm25s) over analyzer tokens; scores can be restricted to a candidate subset."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bizpilot.retrieval.analyzers import MixedAnalyzer
from bizpilot.retrieval.types import Analyzer


class BM25Index:
    """Index texts once, then ``run(query, k)`` returns ``(positions, scores)`` best first."""

    def __init__(self, *, analyzer: Analyzer | None = None, k1: float = 1.2, b: float = 0.75) -> None:
        self.analyzer = analyzer or MixedAnalyzer()
        self.k1 = k1
        self.b = b
        self._bm25 = None
        self.size = 0

    def fit(self, texts: Sequence[str]) -> BM25Index:
        import bm25s

        tokens = [self.analyzer.run(t) or ["\x00"] for t in texts]
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index(tokens, show_progress=False)
        self._vocab = self._bm25.vocab_dict
        self.size = len(texts)
        return self

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text (0 where no query term matches)."""
        if self._bm25 is None or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        toks = [t for t in self.analyzer.run(query) if t in self._vocab]
        if not toks:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)

    def run(self, query: str, k: int = 10, *, candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.scores(query), k, candidates=candidates, drop_zero=True)


def top_k(scores: np.ndarray, k: int, *, candidates: np.ndarray | None = None,
          drop_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Positions and scores of the ``k`` best, via argpartition (O(n)) then a sort of the few kept."""
    idx = np.arange(len(scores)) if candidates is None else np.asarray(candidates, dtype=np.int64)
    sub = scores[idx]
    if drop_zero:
        keep = sub > 0
        idx, sub = idx[keep], sub[keep]
    if len(sub) > k:
        part = np.argpartition(-sub, k - 1)[:k]
        idx, sub = idx[part], sub[part]
    order = np.argsort(-sub, kind="stable")
    return idx[order], sub[order]
