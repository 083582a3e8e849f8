"""Splits for evaluating recommenders (and other row-wise models): index arrays, vectorised, seeded.

* ``kfold_split``: k disjoint random folds over all rows (the MovieLens u1..u5 files are read as given instead,
  see `bizpilot.ml.recommend.data.movielens_folds`).
* ``stratified_split``: per user, a random ``ratio`` of their rows to train and the rest to test (the protocol of
  the Microsoft Recommenders benchmark: ``python_stratified_split(ratio=0.75)``; every user is in both parts).
* ``temporal_split``: per user (or globally), the earliest ``ratio`` of rows to train and the latest to test, so
  the model never sees the future it is scored on.
"""

from __future__ import annotations

import numpy as np

from bizpilot.errors import InsufficientData, InvalidParameter, ValidationFailed

Split = tuple[np.ndarray, np.ndarray]


def kfold_split(n_rows: int, n_folds: int = 5, *, seed: int = 42) -> list[Split]:
    """``n_folds`` (train, test) index pairs; every row is in exactly one test fold."""
    if n_folds < 2:
        raise InvalidParameter(f"n_folds must be at least 2, got {n_folds!r}")
    if n_rows < n_folds:
        raise InsufficientData(f"{n_rows} rows cannot make n_folds={n_folds} folds")
    order = np.random.default_rng(seed).permutation(n_rows)
    folds = np.array_split(order, n_folds)
    out = []
    for f in range(n_folds):
        test = np.sort(folds[f])
        train = np.sort(np.concatenate([folds[g] for g in range(n_folds) if g != f]))
        out.append((train, test))
    return out


def _rank_within(groups: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rank of each row inside its group ordered by key, size of its group)."""
    _, g = np.unique(groups, return_inverse=True)
    order = np.lexsort((key, g))
    sizes = np.bincount(g)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(groups.size, dtype=np.int64)
    rank[order] = np.arange(groups.size) - np.repeat(starts, sizes)
    return rank, sizes[g]


def _min_train(ratio: float, sizes: np.ndarray) -> np.ndarray:
    """Rows to train on per group: round(ratio * size), at least 1 and, where a group has 2+ rows, at most
    size - 1 (so each such user has something to test)."""
    n_train = np.rint(ratio * sizes).astype(np.int64)
    n_train = np.maximum(n_train, 1)
    return np.where(sizes >= 2, np.minimum(n_train, sizes - 1), sizes)


def stratified_split(users: np.ndarray, ratio: float = 0.75, *, seed: int = 42) -> Split:
    """Per-user random split: ``ratio`` of each user's rows to train (users with one row stay in train)."""
    if not 0 < ratio < 1:
        raise InvalidParameter(f"ratio must be between 0 and 1 (exclusive), got {ratio!r}")
    users = np.asarray(users)
    key = np.random.default_rng(seed).random(users.size)
    rank, sizes = _rank_within(users, key)
    train = rank < _min_train(ratio, sizes)
    return np.flatnonzero(train), np.flatnonzero(~train)


def temporal_split(users: np.ndarray, timestamps: np.ndarray, ratio: float = 0.75, *,
                   per_user: bool = True) -> Split:
    """Earliest ``ratio`` of rows to train, latest to test: per user (default) or at one global time cut."""
    if not 0 < ratio < 1:
        raise InvalidParameter(f"ratio must be between 0 and 1 (exclusive), got {ratio!r}")
    ts = np.asarray(timestamps, dtype=np.float64)
    if np.isnan(ts).all():
        raise ValidationFailed("temporal split needs timestamps; this data has none")
    ts = np.where(np.isnan(ts), -np.inf, ts)
    if not per_user:
        cut = np.quantile(ts[np.isfinite(ts)], ratio)
        train = ts <= cut
        return np.flatnonzero(train), np.flatnonzero(~train)
    users = np.asarray(users)
    rank, sizes = _rank_within(users, ts)
    train = rank < _min_train(ratio, sizes)
    return np.flatnonzero(train), np.flatnonzero(~train)


__all__ = ["Split", "kfold_split", "stratified_split", "temporal_split"]
