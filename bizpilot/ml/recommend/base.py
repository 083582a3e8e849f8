"""The one recommender base: raw-id mapping, the user x item matrix, filters, fallbacks and the contract.

Every recommender is fitted on parallel arrays ``(users, items, values)`` of raw ids (ints or strings) and keeps
the mapping itself, so callers never see internal indices. Subclasses implement ``_fit(matrix)`` and
``_score(user_index, matrix_rows)`` (scores of every item for some known users); the base adds

* ``recommend(user_ids, n, ...)`` -> ``Recommendations`` (unpacks as ``ids, scores``; ``.fallback`` says which
  users were unknown and got the popularity fallback, which is also logged),
* filters: already bought, excluded items (inactive products), allowed items (a category),
* ``similar_items(item_ids, n)`` (cosine over the model's item representation; popularity for unknown items),
* ``recommend_for_history(items)``: scores for an account the model has not seen, from the items it bought.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np
from scipy import sparse

from bizpilot.errors import InsufficientData, ValidationFailed
from bizpilot.ml.base import Estimator

log = logging.getLogger(__name__)

_CHUNK = 1024


class Recommendations(tuple):
    """``(ids, scores)`` of shape (n_users, n), padded with ``None``/-inf where fewer items qualify; ``fallback``
    is a boolean per requested user (True: unknown user, popularity used)."""

    def __new__(cls, ids: np.ndarray, scores: np.ndarray, fallback: np.ndarray) -> Recommendations:
        obj = super().__new__(cls, (ids, scores))
        obj.fallback = fallback
        return obj

    @property
    def ids(self) -> np.ndarray:
        return self[0]

    @property
    def scores(self) -> np.ndarray:
        return self[1]


def _as_id_array(values: Iterable[Any]) -> np.ndarray:
    """Raw ids as a savable array: int64 when every id is an integer, unicode otherwise (never object)."""
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f" and arr.size and np.all(np.mod(arr, 1) == 0):
        return arr.astype(np.int64)
    return arr.astype(str)


class Recommender(Estimator):
    """Base of all recommenders (see module docstring). ``implicit = True`` models treat values as confidence."""

    implicit: bool = True

    # -- fitting ---------------------------------------------------------------------------------------------------

    def fit(self, users: Sequence[Any] | np.ndarray, items: Sequence[Any] | np.ndarray,
            values: Sequence[float] | np.ndarray | None = None) -> Self:
        """Learn from interactions: parallel arrays of raw user ids, raw item ids and values (ratings, or
        purchase counts/quantities; 1 when omitted). Duplicated (user, item) pairs are summed."""
        users_arr, items_arr = _as_id_array(users), _as_id_array(items)
        if users_arr.shape != items_arr.shape or users_arr.ndim != 1:
            raise ValidationFailed(f"users and items must be 1-d and of equal length ({users_arr.shape} vs "
                                   f"{items_arr.shape})")
        if users_arr.size == 0:
            raise InsufficientData(f"{type(self).__name__}: no interactions to fit on")
        vals = np.ones(users_arr.size, dtype=np.float64) if values is None else np.asarray(values, dtype=np.float64)
        if vals.shape != users_arr.shape:
            raise ValidationFailed(f"values has {vals.size} entries for {users_arr.size} interactions")
        bad = np.flatnonzero(~np.isfinite(vals))
        if bad.size:
            raise ValidationFailed(f"values must be finite numbers; row {int(bad[0]) + 1} is {vals[bad[0]]}",
                                   details=[{"row": int(bad[0]) + 1, "field": "values", "reason": "not finite"}])
        self.user_ids_, u_idx = np.unique(users_arr, return_inverse=True)
        self.item_ids_, i_idx = np.unique(items_arr, return_inverse=True)
        matrix = sparse.csr_matrix((vals, (u_idx, i_idx)), shape=(self.user_ids_.size, self.item_ids_.size))
        matrix.sum_duplicates()
        self.user_items_ = matrix
        counts = np.bincount(i_idx, minlength=self.item_ids_.size).astype(np.float64)
        self.item_popularity_ = counts
        self._reset_lookup()
        self._fit(matrix)
        return self

    def _fit(self, matrix: sparse.csr_matrix) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score(self, users: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Dense (len(users), n_items) scores for known user indices; higher is better."""
        raise NotImplementedError

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        """Scores for unseen users given their item rows; default: item-similarity sum (models override)."""
        sims = self._item_vectors_normalised()
        profile = rows @ sims
        return np.asarray(profile @ sims.T)

    def _item_vectors(self) -> np.ndarray | sparse.spmatrix:
        """The representation ``similar_items`` compares (default: the item's column of the user x item matrix)."""
        return self.user_items_.T.tocsr()

    def _item_vectors_normalised(self) -> Any:
        """Unit-length item vectors, computed once per fitted (or loaded) model: explanations and similar items
        read them on every request."""
        cached = getattr(self, "_normalised_items", None)
        if cached is not None:
            return cached
        vec = self._item_vectors()
        if sparse.issparse(vec):
            norms = np.sqrt(np.asarray(vec.multiply(vec).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            out = (sparse.diags(1.0 / norms) @ vec).tocsr()
        else:
            norms = np.linalg.norm(vec, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            out = vec / norms
        self._normalised_items = out
        return out

    # -- id mapping ------------------------------------------------------------------------------------------------

    def _reset_lookup(self) -> None:
        self._user_lookup: dict[Any, int] | None = None
        self._item_lookup: dict[Any, int] | None = None
        self._normalised_items: Any = None

    def _lookup(self, kind: str, ids: Iterable[Any]) -> np.ndarray:
        """Internal indices of raw ids; -1 for unknown ones."""
        self.check_fitted()
        attr = "_user_lookup" if kind == "user" else "_item_lookup"
        table = getattr(self, attr, None)
        known = self.user_ids_ if kind == "user" else self.item_ids_
        if table is None:
            table = {k: i for i, k in enumerate(known.tolist())}
            setattr(self, attr, table)
        arr = _as_id_array(list(ids))
        keys = arr.tolist()
        if known.dtype.kind != arr.dtype.kind:  # 7 vs "7": compare as text
            table = {str(k): v for k, v in table.items()}
            keys = [str(k) for k in keys]
        return np.fromiter((table.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))

    def user_index(self, ids: Iterable[Any]) -> np.ndarray:
        return self._lookup("user", ids)

    def item_index(self, ids: Iterable[Any]) -> np.ndarray:
        return self._lookup("item", ids)

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super()._set_state(meta, arrays)
        self._reset_lookup()

    # -- recommending ----------------------------------------------------------------------------------------------

    def _candidate_mask(self, exclude_items: Iterable[Any] | None, allowed_items: Iterable[Any] | None) -> np.ndarray:
        mask = np.ones(self.item_ids_.size, dtype=bool)
        if allowed_items is not None:
            mask[:] = False
            idx = self.item_index(allowed_items)
            mask[idx[idx >= 0]] = True
        if exclude_items is not None:
            idx = self.item_index(exclude_items)
            mask[idx[idx >= 0]] = False
        return mask

    def recommend(self, user_ids: Iterable[Any], n: int = 10, *, filter_already_bought: bool = True,
                  exclude_items: Iterable[Any] | None = None, allowed_items: Iterable[Any] | None = None
                  ) -> Recommendations:
        """Top-``n`` items per user, best first. Unknown users get the most popular items and ``fallback`` True."""
        self.check_fitted()
        uidx = self.user_index(user_ids)
        mask = self._candidate_mask(exclude_items, allowed_items)
        n_users, n = uidx.size, max(int(n), 0)
        out_idx = np.full((n_users, n), -1, dtype=np.int64)
        out_scores = np.full((n_users, n), -np.inf)
        known = np.flatnonzero(uidx >= 0)
        for start in range(0, known.size, _CHUNK):
            rows = known[start:start + _CHUNK]
            scores = np.asarray(self._score(uidx[rows]), dtype=np.float64)
            self._apply_filters(scores, uidx[rows], mask, filter_already_bought)
            out_idx[rows], out_scores[rows] = _top_n(scores, n)
        unknown = np.flatnonzero(uidx < 0)
        if unknown.size:
            log.info("%s: %d unknown user(s), popularity fallback", type(self).__name__, unknown.size)
            pop = np.where(mask, self.item_popularity_, -np.inf)[None, :]
            idx, sc = _top_n(pop, n)
            out_idx[unknown], out_scores[unknown] = idx, sc
        return Recommendations(self._to_ids(out_idx), out_scores, uidx < 0)

    def recommend_for_history(self, items: Iterable[Any], n: int = 10, *, values: Iterable[float] | None = None,
                              filter_already_bought: bool = True, exclude_items: Iterable[Any] | None = None,
                              allowed_items: Iterable[Any] | None = None) -> Recommendations:
        """Top-``n`` for one account the model was not fitted on, from the items it bought (fold-in)."""
        self.check_fitted()
        iidx = self.item_index(items)
        vals = np.ones(iidx.size) if values is None else np.asarray(list(values), dtype=np.float64)
        keep = iidx >= 0
        row = sparse.csr_matrix((vals[keep], (np.zeros(keep.sum(), dtype=np.int64), iidx[keep])),
                                shape=(1, self.item_ids_.size))
        mask = self._candidate_mask(exclude_items, allowed_items)
        if row.nnz == 0:
            scores = self.item_popularity_[None, :].astype(np.float64)
            fallback = True
        else:
            scores = np.asarray(self._score_history(row), dtype=np.float64).reshape(1, -1)
            fallback = False
        scores = np.where(mask[None, :], scores, -np.inf)
        if filter_already_bought:
            scores[0, iidx[keep]] = -np.inf
        idx, sc = _top_n(scores, n)
        return Recommendations(self._to_ids(idx), sc, np.array([fallback]))

    def _apply_filters(self, scores: np.ndarray, uidx: np.ndarray, mask: np.ndarray, filter_bought: bool) -> None:
        scores[:, ~mask] = -np.inf
        if filter_bought:
            sub = self.user_items_[uidx]
            rows = np.repeat(np.arange(uidx.size), np.diff(sub.indptr))
            scores[rows, sub.indices] = -np.inf

    def _to_ids(self, idx: np.ndarray) -> np.ndarray:
        out = self.item_ids_[np.clip(idx, 0, None)]
        if (idx < 0).any():
            out = out.astype(object)
            out[idx < 0] = None
        return out

    # -- similar items ---------------------------------------------------------------------------------------------

    def similar_items(self, item_ids: Iterable[Any], n: int = 10) -> Recommendations:
        """Top-``n`` most similar items (cosine over the model's item representation), the item itself excluded.
        Unknown items get the most popular items and ``fallback`` True."""
        self.check_fitted()
        iidx = self.item_index(item_ids)
        vec = self._item_vectors_normalised()
        out_idx = np.full((iidx.size, n), -1, dtype=np.int64)
        out_scores = np.full((iidx.size, n), -np.inf)
        known = np.flatnonzero(iidx >= 0)
        if known.size:
            sims = vec[iidx[known]] @ vec.T
            sims = sims.toarray() if sparse.issparse(sims) else np.asarray(sims)
            sims[np.arange(known.size), iidx[known]] = -np.inf
            out_idx[known], out_scores[known] = _top_n(sims, n)
        unknown = np.flatnonzero(iidx < 0)
        if unknown.size:
            log.info("%s: %d unknown item(s), popularity fallback", type(self).__name__, unknown.size)
            out_idx[unknown], out_scores[unknown] = _top_n(self.item_popularity_[None, :].astype(float), n)
        return Recommendations(self._to_ids(out_idx), out_scores, iidx < 0)


def _top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``n`` largest finite scores per row, sorted; -1/-inf where fewer exist."""
    rows, cols = scores.shape
    k = min(n, cols)
    out_idx = np.full((rows, n), -1, dtype=np.int64)
    out_sc = np.full((rows, n), -np.inf)
    if k == 0:
        return out_idx, out_sc
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < cols else np.tile(np.arange(cols), (rows, 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    part, vals = np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)
    finite = np.isfinite(vals)
    out_idx[:, :k] = np.where(finite, part, -1)
    out_sc[:, :k] = np.where(finite, vals, -np.inf)
    return out_idx, out_sc


class RatingRecommender(Recommender):
    """A recommender that predicts explicit ratings; ``predict`` falls back to the model's baseline (or the global
    mean) for unknown users/items and reports which did."""

    implicit = False

    def predict(self, user_ids: Iterable[Any], item_ids: Iterable[Any], *, clip: bool = True
                ) -> tuple[np.ndarray, np.ndarray]:
        """(predicted ratings, fallback mask) for parallel raw id arrays."""
        self.check_fitted()
        u, i = self.user_index(user_ids), self.item_index(item_ids)
        pred = np.asarray(self._predict(u, i), dtype=np.float64)
        if clip:
            pred = np.clip(pred, self.rating_min_, self.rating_max_)
        fallback = (u < 0) | (i < 0)
        if fallback.any():
            log.info("%s: %d prediction(s) for unknown users/items used the baseline", type(self).__name__,
                     int(fallback.sum()))
        return pred, fallback

    def _predict(self, u: np.ndarray, i: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Ratings for index pairs; -1 marks unknown (use the baseline part only)."""
        raise NotImplementedError

    def fit(self, users: Any, items: Any, values: Any = None) -> Self:
        if values is None:
            raise ValidationFailed(f"{type(self).__name__} predicts ratings: give the rating values")
        vals = np.asarray(values, dtype=np.float64)
        if vals.size:  # empty: the base names what is missing
            self.rating_min_, self.rating_max_ = float(np.min(vals)), float(np.max(vals))
        return super().fit(users, items, vals)

    def _score(self, users: np.ndarray) -> np.ndarray:
        n_items = self.item_ids_.size
        u = np.repeat(users, n_items)
        i = np.tile(np.arange(n_items), users.size)
        return self._predict(u, i).reshape(users.size, n_items)


__all__ = ["RatingRecommender", "Recommendations", "Recommender"]
