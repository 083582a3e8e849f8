"""Reciprocal rank fusion: combine ranked lists without calibrating their scores against each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ReciprocalRankFusion:
    """``score(d) = sum_i w_i / (k + rank_i(d))`` (rank from 1); ``k=60`` is the usual, robust choice."""

    def __init__(self, *, k: int = 60, weights: Sequence[float] | None = None) -> None:
        self.k = k
        self.weights = weights

    def run(self, rankings: Sequence[np.ndarray], limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        weights = self.weights or [1.0] * len(rankings)
        fused: dict[int, float] = {}
        for w, ranking in zip(weights, rankings, strict=True):
            for rank, pos in enumerate(np.asarray(ranking).tolist(), start=1):
                fused[pos] = fused.get(pos, 0.0) + w / (self.k + rank)
        items = sorted(fused.items(), key=lambda kv: -kv[1])[:limit]
        return (np.array([p for p, _ in items], dtype=np.int64), np.array([s for _, s in items], dtype=np.float32))
