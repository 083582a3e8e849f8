"""Recommenders for implicit feedback (B2B order lines: who bought what, how often), which rating libraries such as
Surprise cannot handle.

* ``PopularityRecommender``: most-bought items (the floor every model must beat; also the unknown-user fallback).
* ``ItemKNNRecommender``: sparse item-item cosine over buyers, ``k`` neighbours kept per item (memory stays
  O(items x k), never users^2).
* ``EASERecommender``: Steck's EASE (closed-form linear item-item model, ``B = I - P / diag(P)`` with
  ``P = (X^T X + lambda I)^-1``); the strongest simple model on small/medium catalogues, items^2 memory, so it
  refuses more than ``max_items`` items.
* ``ALSRecommender``: implicit-feedback ALS (Hu, Koren & Volinsky) through the ``implicit`` package; scales to
  millions of interactions.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from bizpilot.errors import InvalidParameter, ValidationFailed
from bizpilot.ml.recommend.base import Recommender


def _binarise(matrix: sparse.csr_matrix, weighting: str) -> sparse.csr_matrix:
    """Values the implicit models see: ``binary`` (bought or not), ``log`` (1 + log count) or ``raw``."""
    out = matrix.tocsr().astype(np.float64, copy=True)
    if weighting == "binary":
        out.data[:] = 1.0
    elif weighting == "log":
        out.data = 1.0 + np.log1p(np.clip(out.data, 0, None))
    elif weighting != "raw":
        raise InvalidParameter(f"unknown weighting {weighting!r}; one of: binary, log, raw")
    out.eliminate_zeros()
    return out


class PopularityRecommender(Recommender):
    """Items ranked by number of buyers."""

    def __init__(self) -> None:
        pass

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        self.buyers_ = np.diff(_binarise(matrix, "binary").tocsc().indptr).astype(np.float64)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.buyers_, (users.size, 1))

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        return self.buyers_[None, :].copy()


class ItemKNNRecommender(Recommender):
    """Sparse item-item cosine with ``k`` neighbours per item; score = sum of similarities to the user's items."""

    def __init__(self, *, k: int = 100, shrinkage: float = 10.0, weighting: str = "binary") -> None:
        self.k = k
        self.shrinkage = shrinkage
        self.weighting = weighting

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        X = _binarise(matrix, self.weighting).tocsc()
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
        co = (X.T @ X).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        co.data = co.data / (norms[rows] * norms[co.indices] + self.shrinkage + 1e-12)
        self.similarity_ = _keep_top_k(co, self.k)

    def _score(self, users: np.ndarray) -> np.ndarray:
        rows = _binarise(self.user_items_[users], self.weighting)
        return np.asarray((rows @ self.similarity_.T).toarray())

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray((_binarise(rows, self.weighting) @ self.similarity_.T).toarray())

    def _item_vectors(self) -> sparse.csr_matrix:
        return self.similarity_


def _keep_top_k(sim: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keep the ``k`` largest entries of each row (vectorised over the CSR arrays)."""
    sim = sim.tocsr()
    sim.sort_indices()
    counts = np.diff(sim.indptr)
    rows = np.repeat(np.arange(sim.shape[0]), counts)
    order = np.lexsort((-sim.data, rows))
    rank = np.empty_like(order)
    starts = np.repeat(sim.indptr[:-1], counts)
    rank[order] = np.arange(order.size) - starts
    keep = rank < k
    return sparse.csr_matrix((sim.data[keep], (rows[keep], sim.indices[keep])), shape=sim.shape)


class EASERecommender(Recommender):
    """Embarrassingly Shallow Autoencoder (Steck 2019): closed form, one ``lambda`` to tune."""

    def __init__(self, *, reg: float = 500.0, weighting: str = "binary", max_items: int = 20000) -> None:
        self.reg = reg
        self.weighting = weighting
        self.max_items = max_items

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        n_items = matrix.shape[1]
        if n_items > self.max_items:
            raise ValidationFailed(f"EASE needs an items x items matrix; {n_items} items is more than max_items="
                                   f"{self.max_items}: use ALSRecommender or ItemKNNRecommender at this size")
        X = _binarise(matrix, self.weighting)
        gram = (X.T @ X).toarray()
        gram[np.diag_indices(n_items)] += self.reg
        P = np.linalg.inv(gram)
        B = P / (-np.diag(P))
        B[np.diag_indices(n_items)] = 0.0
        self.weights_ = B.astype(np.float32)

    def _score(self, users: np.ndarray) -> np.ndarray:
        rows = _binarise(self.user_items_[users], self.weighting)
        return np.asarray(rows @ self.weights_)

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(_binarise(rows, self.weighting) @ self.weights_)

    def _item_vectors(self) -> sparse.csr_matrix:
        """Buyers of each item (cosine = co-purchase): EASE's weight columns are not comparable with each other."""
        return _binarise(self.user_items_, "binary").T.tocsr()


class ALSRecommender(Recommender):
    """Implicit ALS (confidence 1 + alpha * value) via the ``implicit`` package; factors are stored as arrays."""

    def __init__(self, *, factors: int = 64, reg: float = 0.05, alpha: float = 2.0, iterations: int = 15,
                 weighting: str = "log", threads: int = 1, seed: int = 0) -> None:
        self.factors = factors
        self.reg = reg
        self.alpha = alpha
        self.iterations = iterations
        self.weighting = weighting
        self.threads = threads
        self.seed = seed

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        X = _binarise(matrix, self.weighting).astype(np.float32)
        # implicit parallelises itself; BLAS threads on top of that only contend (and implicit warns about it)
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(factors=self.factors, regularization=self.reg, alpha=self.alpha,
                                            iterations=self.iterations, num_threads=self.threads,
                                            random_state=self.seed, calculate_training_loss=False)
            model.fit(X, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        self.reg_ = float(self.reg)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        """Fold-in: the user's factors by one weighted least-squares solve against the fixed item factors."""
        Y = self.item_factors_.astype(np.float64)
        x = _binarise(rows, self.weighting)
        idx, val = x.indices, x.data
        conf = 1.0 + self.alpha * val
        A = Y.T @ Y + (Y[idx].T * (conf - 1.0)) @ Y[idx] + self.reg_ * np.eye(Y.shape[1])
        b = (Y[idx].T * conf).sum(axis=1)
        return (np.linalg.solve(A, b) @ Y.T)[None, :]

    def _item_vectors(self) -> np.ndarray:
        return self.item_factors_.astype(np.float64)


__all__ = ["ALSRecommender", "EASERecommender", "ItemKNNRecommender", "PopularityRecommender"]
