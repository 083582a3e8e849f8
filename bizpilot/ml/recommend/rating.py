"""Classic collaborative filtering for explicit ratings: regularised biases and user-/item-KNN.

* ``BaselineRecommender``: r_ui ~ mu + b_u + b_i, fitted by alternating regularised means (Koren's baseline, as
  Surprise's ``BaselineOnly(method="als")``).
* ``KNNRecommender``: item-based (default) or user-based neighbours with cosine, Pearson or baseline-Pearson
  similarity over co-rated entries, shrunk toward 0 by ``n_common / (n_common + shrinkage)``; predictions are the
  baseline (or the mean) plus the similarity-weighted residuals of the ``k`` nearest rated neighbours.

Similarities come from sparse products (sums over co-rated pairs), neighbour selection from ``argpartition`` over
query chunks: no Python loop touches individual ratings. The similarity matrix is dense (entities^2), so the
model refuses more than ``max_entities`` users/items on the neighbour side; use the implicit models for that size.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from bizpilot.errors import InvalidParameter, ValidationFailed
from bizpilot.ml.recommend.base import RatingRecommender

SIMILARITIES = ("cosine", "pearson", "pearson_baseline")


def fit_baseline(u: np.ndarray, i: np.ndarray, r: np.ndarray, n_u: int, n_i: int, *, reg_u: float = 15.0,
                 reg_i: float = 10.0, epochs: int = 10) -> tuple[float, np.ndarray, np.ndarray]:
    """(mu, b_u, b_i) by alternating regularised means."""
    mu = float(r.mean())
    bu, bi = np.zeros(n_u), np.zeros(n_i)
    cnt_u = np.bincount(u, minlength=n_u)
    cnt_i = np.bincount(i, minlength=n_i)
    for _ in range(epochs):
        bi = np.bincount(i, weights=r - mu - bu[u], minlength=n_i) / (reg_i + cnt_i)
        bu = np.bincount(u, weights=r - mu - bi[i], minlength=n_u) / (reg_u + cnt_u)
    return mu, bu, bi


class BaselineRecommender(RatingRecommender):
    """Global mean plus regularised user and item biases."""

    def __init__(self, *, reg_user: float = 15.0, reg_item: float = 10.0, epochs: int = 10) -> None:
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.epochs = epochs

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        coo = matrix.tocoo()
        self.mu_, self.user_bias_, self.item_bias_ = fit_baseline(
            coo.row, coo.col, coo.data, matrix.shape[0], matrix.shape[1], reg_u=self.reg_user, reg_i=self.reg_item,
            epochs=self.epochs)

    def _predict(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        pred = np.full(u.size, self.mu_)
        pred[u >= 0] += self.user_bias_[u[u >= 0]]
        pred[i >= 0] += self.item_bias_[i[i >= 0]]
        return pred


class KNNRecommender(RatingRecommender):
    """User- or item-KNN with cosine / Pearson / baseline-Pearson similarity and shrinkage."""

    def __init__(self, *, kind: str = "item", similarity: str = "pearson_baseline", k: int = 40, min_k: int = 1,
                 shrinkage: float = 100.0, with_baseline: bool = True, max_entities: int = 20000) -> None:
        self.kind = kind
        self.similarity = similarity
        self.k = k
        self.min_k = min_k
        self.shrinkage = shrinkage
        self.with_baseline = with_baseline
        self.max_entities = max_entities

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        if self.kind not in ("item", "user"):
            raise InvalidParameter(f"KNNRecommender kind must be 'item' or 'user', not {self.kind!r}")
        if self.similarity not in SIMILARITIES:
            raise InvalidParameter(f"unknown similarity {self.similarity!r}; one of: {', '.join(SIMILARITIES)}")
        coo = matrix.tocoo()
        u, i, r = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
        n_u, n_i = matrix.shape
        self.mu_, self.user_bias_, self.item_bias_ = fit_baseline(u, i, r, n_u, n_i)
        if self.with_baseline:
            resid = r - self.mu_ - self.user_bias_[u] - self.item_bias_[i]
        else:  # KNNWithMeans: ratings centred on the mean of the neighbour (the item, for item-KNN)
            nb, n_nb = (i, n_i) if self.kind == "item" else (u, n_u)
            counts = np.bincount(nb, minlength=n_nb)
            self.neighbour_mean_ = np.where(counts > 0, np.bincount(nb, weights=r, minlength=n_nb)
                                            / np.maximum(counts, 1), self.mu_)
            resid = r - self.neighbour_mean_[nb]
        # orient so neighbours are columns of X: (owners x neighbours)
        rows, cols = (u, i) if self.kind == "item" else (i, u)
        shape = (n_u, n_i) if self.kind == "item" else (n_i, n_u)
        if shape[1] > self.max_entities:
            raise ValidationFailed(f"{shape[1]} {self.kind}s is more than max_entities={self.max_entities} for a "
                                   "dense KNN similarity; use the implicit models (ALS, item-KNN) at this size")
        self.residuals_ = sparse.csr_matrix((resid, (rows, cols)), shape=shape)
        values = {"cosine": r, "pearson": r, "pearson_baseline": resid}[self.similarity]
        self.similarity_ = self._similarity(rows, cols, values, shape)

    def _similarity(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
                    ) -> np.ndarray:
        X = sparse.csc_matrix((values, (rows, cols)), shape=shape)
        B = sparse.csc_matrix((np.ones_like(values), (rows, cols)), shape=shape)
        X2 = X.multiply(X).tocsc()
        n_common = (B.T @ B).toarray()
        sxy = (X.T @ X).toarray()
        if self.similarity == "pearson":
            sx = (X.T @ B).toarray()  # sum of x over users also rating y
            sxx = (X2.T @ B).toarray()
            with np.errstate(divide="ignore", invalid="ignore"):
                n_safe = np.maximum(n_common, 1)
                cov = sxy - sx * sx.T / n_safe
                var_x = sxx - sx ** 2 / n_safe
                den = np.sqrt(np.clip(var_x, 0, None) * np.clip(var_x.T, 0, None))
                sim = np.where(den > 0, cov / den, 0.0)
        else:
            sxx = (X2.T @ B).toarray()
            with np.errstate(divide="ignore", invalid="ignore"):
                den = np.sqrt(sxx * sxx.T)
                sim = np.where(den > 0, sxy / den, 0.0)
        if self.shrinkage > 0 and self.similarity != "cosine":
            sim *= np.maximum(n_common - 1, 0) / (np.maximum(n_common - 1, 0) + self.shrinkage)
        sim[n_common < 2 if self.similarity != "cosine" else n_common < 1] = 0.0
        np.fill_diagonal(sim, 0.0)
        return sim.astype(np.float32)

    def _baseline(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:
        pred = np.full(u.size, self.mu_)
        pred[u >= 0] += self.user_bias_[u[u >= 0]]
        pred[i >= 0] += self.item_bias_[i[i >= 0]]
        return pred

    def _predict(self, u: np.ndarray, i: np.ndarray, chunk: int = 2048) -> np.ndarray:
        owner, target = (u, i) if self.kind == "item" else (i, u)
        if self.with_baseline:
            pred = self._baseline(u, i)
        else:
            pred = np.where(target >= 0, self.neighbour_mean_[np.clip(target, 0, None)], self.mu_)
        ok = np.flatnonzero((u >= 0) & (i >= 0))
        k = self.k
        for start in range(0, ok.size, chunk):
            q = ok[start:start + chunk]
            res = self.residuals_[owner[q]]
            rated = res.copy()
            rated.data[:] = 1.0
            sims = self.similarity_[target[q]].astype(np.float64)
            w = np.where(rated.toarray() > 0, sims, -np.inf)
            kk = min(k, w.shape[1])
            top = np.argpartition(-w, kk - 1, axis=1)[:, :kk] if kk < w.shape[1] else np.tile(
                np.arange(w.shape[1]), (q.size, 1))
            tw = np.take_along_axis(w, top, axis=1)
            use = np.isfinite(tw) & (tw > 0)
            tw = np.where(use, tw, 0.0)
            tr = np.take_along_axis(res.toarray(), top, axis=1)
            den = tw.sum(axis=1)
            enough = (use.sum(axis=1) >= self.min_k) & (den > 0)
            adj = np.where(enough, (tw * tr).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)
            pred[q] += adj
        return pred

    def _item_vectors(self) -> np.ndarray | sparse.csr_matrix:
        if self.kind == "item":
            return self.similarity_.astype(np.float64)
        return self.residuals_  # items x users residuals


__all__ = ["SIMILARITIES", "BaselineRecommender", "KNNRecommender", "fit_baseline"]
