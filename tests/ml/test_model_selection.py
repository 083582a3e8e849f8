"""Splits: disjoint and complete k-fold, per-user stratified 75/25, per-user temporal."""

from __future__ import annotations

import numpy as np
import pytest

from bizpilot.errors import InsufficientData, InvalidParameter, ValidationFailed
from bizpilot.ml.model_selection import kfold_split, stratified_split, temporal_split


def test_kfold_is_a_partition_and_seeded() -> None:
    folds = kfold_split(103, 5, seed=1)
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(103))
    for tr, te in folds:
        assert not set(tr.tolist()) & set(te.tolist()) and tr.size + te.size == 103
    again = kfold_split(103, 5, seed=1)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    with pytest.raises(InsufficientData, match="3 rows cannot make n_folds=5 folds"):
        kfold_split(3, 5)
    with pytest.raises(InvalidParameter, match="n_folds must be at least 2, got 1"):
        kfold_split(10, 1)


def test_stratified_split_keeps_each_user_in_train_with_75_percent() -> None:
    users = np.repeat(np.arange(10), [1, 2, 4, 8, 8, 12, 20, 4, 3, 40])
    tr, te = stratified_split(users, 0.75, seed=0)
    assert np.intersect1d(tr, te).size == 0 and tr.size + te.size == users.size
    n_tr = np.bincount(users[tr], minlength=10)
    n_all = np.bincount(users, minlength=10)
    assert n_tr[0] == 1 and np.all(n_tr >= 1)
    assert n_tr[3] == 6 and n_tr[9] == 30 and n_tr[1] == 1
    assert set(users[te].tolist()) == {u for u in range(10) if n_all[u] >= 2}


def test_temporal_split_puts_the_latest_rows_in_test() -> None:
    users = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    ts = np.array([4, 1, 3, 2, 10, 40, 30, 20], dtype=float)
    tr, te = temporal_split(users, ts, 0.75)
    assert sorted(te.tolist()) == [0, 5]
    gtr, gte = temporal_split(users, ts, 0.5, per_user=False)
    assert ts[gtr].max() < ts[gte].min()
    with pytest.raises(ValidationFailed, match="timestamps"):
        temporal_split(users, np.full(8, np.nan))
