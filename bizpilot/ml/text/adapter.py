"""A workspace embedding adapter: a linear map over a frozen sentence embedder, learned from the team's pairs.

The pre-trained embedders (e5 for Chinese, MiniLM for English) stay frozen and run as they ship; the adapter maps
their L2-normalised vectors through one ``d x d`` matrix ``W`` (started at the identity, pulled back towards it)
and normalises again. It is trained contrastively with the multiple-negatives ranking loss: for each pair
(question, its paraphrase or its article), the paraphrase must beat every other text of the batch (in-batch
negatives) and the hard negatives, texts the file labels as *not* matching (ATEC label 0). Texts of the same
group of paraphrases are never counted as each other's negatives. Numpy only (hand-written gradients, Adam), so
it trains on two CPU cores in seconds and needs no torch at inference either: one matrix product per batch.

The estimator only sees vectors and index pairs; reading pair files, embedding the texts and recording the run
happen in ``services/embedder``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bizpilot.errors import InsufficientData, InvalidParameter
from bizpilot.ml.base import Estimator


def _normalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms, norms


def pair_groups(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components of the texts joined by ``pairs`` (union-find): a component id per text."""
    parent = np.arange(n)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[ra] = rb
    return np.array([find(i) for i in range(n)], dtype=np.int64)


class EmbeddingAdapter(Estimator):
    """Linear map over a frozen embedder's vectors, trained with in-batch and hard negatives.

    ``base``: the service configuration it adapts (``e5`` or ``minilm``); its vectors mean nothing for another.
    ``scale``: inverse temperature of the softmax over cosines. ``identity_l2``: pull of ``W`` towards the
    identity (how far the adapted space may move from the pre-trained one). ``epochs``/``batch_size``/
    ``learning_rate``: Adam on shuffled batches of pairs (each pair used both ways)."""

    def __init__(self, *, base: str = "e5", scale: float = 20.0, epochs: int = 4, batch_size: int = 128,
                 learning_rate: float = 1e-3, identity_l2: float = 0.0, hard_negatives: bool = True,
                 seed: int = 0) -> None:
        self.base = base
        self.scale = scale
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.identity_l2 = identity_l2
        self.hard_negatives = hard_negatives
        self.seed = seed

    def fit(self, vectors: np.ndarray, pairs: np.ndarray, negatives: np.ndarray | None = None, *,
            on_progress: Callable[[float], None] | None = None) -> EmbeddingAdapter:
        """Learn ``W`` from ``vectors`` (one row per text) and index ``pairs`` that match; ``negatives`` are index
        pairs that do not (the second text becomes a hard negative of the first, and the reverse)."""
        X = np.asarray(vectors, dtype=np.float32)
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if len(pairs) < 2:
            raise InsufficientData(f"an embedding adapter needs at least 2 matching pairs, got {len(pairs)}")
        if pairs.max(initial=0) >= len(X) or pairs.min(initial=0) < 0:
            raise InvalidParameter("pair indices fall outside the vectors")
        n, d = X.shape
        groups = pair_groups(n, pairs)
        hard: dict[int, list[int]] = {}
        if self.hard_negatives and negatives is not None and len(negatives):
            for a, b in np.asarray(negatives, dtype=np.int64).reshape(-1, 2):
                if groups[a] != groups[b]:
                    hard.setdefault(int(a), []).append(int(b))
                    hard.setdefault(int(b), []).append(int(a))
        both = np.vstack([pairs, pairs[:, ::-1]])
        rng = np.random.default_rng(self.seed)
        W = np.eye(d, dtype=np.float64)
        m, v = np.zeros_like(W), np.zeros_like(W)
        step, b1, b2 = 0, 0.9, 0.999
        batches = max(1, int(np.ceil(len(both) / self.batch_size)))
        losses: list[float] = []
        for epoch in range(self.epochs):
            order = rng.permutation(len(both))
            total = 0.0
            for bi in range(batches):
                idx = both[order[bi * self.batch_size:(bi + 1) * self.batch_size]]
                if len(idx) < 2:
                    continue
                anchors, positives = idx[:, 0], idx[:, 1]
                extra = [hard[a][rng.integers(len(hard[a]))] for a in anchors.tolist() if a in hard]
                cols = np.concatenate([positives, np.asarray(extra, dtype=np.int64)])
                loss, grad = self._loss_grad(W, X, anchors, cols, groups)
                total += loss
                grad += 2 * self.identity_l2 * (W - np.eye(d))
                step += 1
                m = b1 * m + (1 - b1) * grad
                v = b2 * v + (1 - b2) * grad * grad
                W -= self.learning_rate * (m / (1 - b1 ** step)) / (np.sqrt(v / (1 - b2 ** step)) + 1e-8)
                if on_progress:
                    on_progress((epoch * batches + bi + 1) / (self.epochs * batches))
            losses.append(total / batches)
        self.weight_ = W.astype(np.float32)
        self.base_ = self.base
        self.dim_ = int(d)
        self.loss_curve_ = [round(x, 5) for x in losses]
        self.n_pairs_ = int(len(pairs))
        self.n_hard_ = int(sum(len(x) for x in hard.values()) // 2)
        return self

    def _loss_grad(self, W: np.ndarray, X: np.ndarray, anchors: np.ndarray, cols: np.ndarray,
                   groups: np.ndarray) -> tuple[float, np.ndarray]:
        """Multiple-negatives ranking loss of one batch and its gradient with respect to ``W``."""
        A, C = X[anchors].astype(np.float64), X[cols].astype(np.float64)
        za, zc = A @ W.T, C @ W.T
        ua, na = _normalise(za)
        uc, nc = _normalise(zc)
        S = self.scale * (ua @ uc.T)
        B = len(anchors)
        same = groups[anchors][:, None] == groups[cols][None, :]
        same[np.arange(B), np.arange(B)] = False  # the target itself stays
        S[same] = -np.inf
        S -= S.max(axis=1, keepdims=True)
        P = np.exp(S)
        total = P.sum(axis=1, keepdims=True)
        P /= total
        loss = float((np.log(total[:, 0]) - S[np.arange(B), np.arange(B)]).mean())  # log-softmax, never clipped
        dS = P
        dS[np.arange(B), np.arange(B)] -= 1.0
        dS *= self.scale / B
        dua, duc = dS @ uc, dS.T @ ua
        dza = (dua - ua * (dua * ua).sum(axis=1, keepdims=True)) / na
        dzc = (duc - uc * (duc * uc).sum(axis=1, keepdims=True)) / nc
        return loss, dza.T @ A + dzc.T @ C

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        """Adapted, L2-normalised float32 rows (all-zero rows stay zero)."""
        self.check_fitted()
        X = np.asarray(vectors, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.dim_:
            raise InvalidParameter(f"the adapter maps {self.dim_}-d vectors, got shape {X.shape}")
        return _normalise(X @ self.weight_.T)[0].astype(np.float32)


__all__ = ["EmbeddingAdapter", "pair_groups"]
