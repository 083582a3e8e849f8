"""Dense vector index: one normalised float32 matrix, cosine by a matrix-vector product, top-k by argpartition.

Exact search is fast enough for a company knowledge base (10,000 chunks x 384 dims is 15 MB and one product
takes well under a millisecond), and it has no recall loss to tune.

Optional hubness correction (``hubness_k > 0``, CSLS of Conneau et al. 2018): in a narrow domain (every ATEC
question is about 花呗/借呗) some generic texts sit close to everything and crowd the top ranks. Each indexed
text gets a "hub" score, its mean cosine to its ``hubness_k`` nearest neighbours among a seeded sample of the
indexed texts (a stand-in for the queries to come: no labels, no queries needed), and ranking uses
``cosine - hubness_weight * hub``. Hits still report the plain cosine, so confidence thresholds are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bizpilot.retrieval.bm25 import top_k
from bizpilot.retrieval.embedders import Embedder


class VectorIndex:
    """``fit`` with texts (embedded by ``embedder``) or precomputed ``vectors``; ``run(query, k)``.

    ``symmetric=True`` embeds the indexed texts as queries too: right when they are questions themselves (an FAQ's
    questions, question matching), as e5 was trained. ``hubness_k``/``hubness_weight``/``hubness_sample`` turn on
    and shape the hubness correction described in the module docstring (off by default).
    """

    def __init__(self, *, embedder: Embedder, symmetric: bool = False, hubness_k: int = 0,
                 hubness_weight: float = 0.5, hubness_sample: int = 8000, seed: int = 0) -> None:
        self.embedder = embedder
        self.symmetric = symmetric
        self.hubness_k = hubness_k
        self.hubness_weight = hubness_weight
        self.hubness_sample = hubness_sample
        self.seed = seed
        self.matrix = np.zeros((0, embedder.dim), dtype=np.float32)
        self.hub_: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.matrix)

    def fit(self, texts: Sequence[str] | None = None, *, vectors: np.ndarray | None = None) -> VectorIndex:
        if vectors is None:
            vectors = self.embedder.run(list(texts or []), is_query=self.symmetric)
        m = np.asarray(vectors, dtype=np.float32).reshape(-1, self.embedder.dim)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        self.matrix = np.ascontiguousarray(m / norms)
        self.hub_ = self._hubness() if self.hubness_k > 0 else None
        return self

    def _hubness(self) -> np.ndarray | None:
        """Mean cosine of each row to its ``hubness_k`` nearest rows of a seeded sample (itself excluded)."""
        n, k = self.size, self.hubness_k
        if n <= k + 1:
            return None
        sample = np.arange(n)
        if n > self.hubness_sample:
            sample = np.sort(np.random.default_rng(self.seed).choice(n, size=self.hubness_sample, replace=False))
        where = np.full(n, -1, dtype=np.int64)
        where[sample] = np.arange(len(sample))
        ref = self.matrix[sample]
        hub = np.zeros(n, dtype=np.float32)
        step = 2048  # bounded memory: step x sample floats at a time
        for start in range(0, n, step):
            sims = self.matrix[start:start + step] @ ref.T
            rows = np.arange(sims.shape[0])
            own = where[start:start + sims.shape[0]]
            sims[rows[own >= 0], own[own >= 0]] = -np.inf
            kk = min(k, sims.shape[1] - 1)
            hub[start:start + step] = np.partition(sims, -kk, axis=1)[:, -kk:].mean(axis=1)
        return hub

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.run([query], is_query=True)[0]

    def scores(self, query: str | np.ndarray) -> np.ndarray:
        """Plain cosine of ``query`` with every indexed text."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        q = self.embed_query(query) if isinstance(query, str) else query
        return self.matrix @ q

    def rank_scores(self, cosines: np.ndarray) -> np.ndarray:
        """What ranking uses: the cosines, less the hub penalty when the correction is on."""
        if self.hub_ is None or len(cosines) != len(self.hub_):
            return cosines
        return cosines - self.hubness_weight * self.hub_

    def run(self, query: str | np.ndarray, k: int = 10, *,
            candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.rank_scores(self.scores(query)), k, candidates=candidates)
