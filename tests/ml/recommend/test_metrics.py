"""Rating and ranking metrics, checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bizpilot.ml.evaluation import catalogue_coverage, hit_matrix, mae, ranking_metrics, rmse


def test_rmse_and_mae() -> None:
    assert rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt(5 / 3))
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)


def test_ranking_metrics_by_hand() -> None:
    # user 0: relevant {a, c, x}; list [a, b, c] -> hits at ranks 1 and 3
    # user 1: relevant {z}; list [y, None, None] -> no hit
    # user 2: no relevant items -> not averaged
    rec = np.array([["a", "b", "c"], ["y", None, None], ["a", "b", "c"]], dtype=object)
    rows = np.array([0, 0, 0, 1])
    items = np.array(["a", "c", "x", "z"])
    m = ranking_metrics(rec, rows, items, k=3)
    assert m["n_users"] == 2
    assert m["precision@3"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall@3"] == pytest.approx((2 / 3 + 0) / 2)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg@3"] == pytest.approx(dcg / idcg / 2)
    assert m["map@3"] == pytest.approx((1 + 2 / 3) / 3 / 2)
    assert m["hit_rate@3"] == pytest.approx(0.5)


def test_hit_matrix_ignores_padding_and_other_users() -> None:
    rec = np.array([[1, 2], [2, 3]])
    hits = hit_matrix(rec, np.array([0, 1]), np.array([2, 5]))
    assert hits.tolist() == [[False, True], [False, False]]


def test_catalogue_coverage() -> None:
    rec = np.array([["a", "b"], ["a", None]], dtype=object)
    assert catalogue_coverage(rec, 4) == pytest.approx(0.5)
