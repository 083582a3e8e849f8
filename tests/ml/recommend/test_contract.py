"""Every recommender honours the base contract (fit returns self, recommend shapes and order, filters, visible
fallback for unknown users/items, similar_items, save/load giving identical scores)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.ml.base import Estimator
from bizpilot.ml.recommend import MODELS, RATING_MODELS, make_model
from bizpilot.ml.recommend.base import RatingRecommender, Recommender
from bizpilot.ml.recommend.coldstart import HybridRecommender

from .conftest import low_rank_ratings

FAST = {"bayes-mf": {"burn_in": 3, "samples": 6, "keep": 3}, "mf": {"iterations": 3}, "als": {"iterations": 3}}
NAMES = [*MODELS, "hybrid"]


def build(name: str) -> Recommender:
    if name == "hybrid":
        return HybridRecommender(text_model="hash")
    return make_model(name, **FAST.get(name, {}))


def fitted(name: str) -> Recommender:
    users, items, ratings = low_rank_ratings(n_users=30, n_items=25, density=0.4)
    model = build(name)
    if name == "hybrid":
        catalogue = {i: f"product {i} {'red' if i % 2 else 'blue'}" for i in np.unique(items)}
        return model.fit(users, items, ratings, catalogue=catalogue)
    return model.fit(users, items, ratings)


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_learns_state(name: str) -> None:
    users, items, ratings = low_rank_ratings(n_users=30, n_items=25, density=0.4)
    model = build(name)
    assert not model.is_fitted
    assert model.fit(users, items, ratings) is model
    assert model.is_fitted and model.user_ids_.size == 30
    assert set(model.get_params()) == set(type(model)().get_params())


@pytest.mark.parametrize("name", NAMES)
def test_recommend_shapes_order_and_filters(name: str) -> None:
    model = fitted(name)
    users = model.user_ids_[:5]
    ids, scores = model.recommend(users, n=7)
    assert ids.shape == (5, 7) and scores.shape == (5, 7)
    assert np.all(np.diff(scores, axis=1) <= 1e-12), "scores must be sorted best first"
    for row, user in enumerate(users):
        bought = set(model.item_ids_[model.user_items_[model.user_index([user])[0]].indices].tolist())
        assert not bought & set(ids[row].tolist()), "already-bought items must be filtered"
        assert len(set(ids[row].tolist())) == 7
    recs = model.recommend(users, n=7, filter_already_bought=False)
    assert not recs.fallback.any()
    excluded = set(ids[0][:2].tolist())
    again = model.recommend(users[:1], n=7, exclude_items=excluded)
    assert not excluded & set(again.ids[0].tolist())
    allowed = model.item_ids_[:4]
    only = model.recommend(users[:1], n=7, allowed_items=allowed, filter_already_bought=False)
    assert set(x for x in only.ids[0].tolist() if x is not None) <= set(allowed.tolist())
    assert sum(x is None for x in only.ids[0].tolist()) == 3, "padding with None when fewer items qualify"


@pytest.mark.parametrize("name", NAMES)
def test_unknown_user_gets_a_visible_popularity_fallback(name: str) -> None:
    model = fitted(name)
    recs = model.recommend([model.user_ids_[0], 999999], n=5)
    assert recs.fallback.tolist() == [False, True]
    popular = model.item_ids_[np.argsort(-model.item_popularity_, kind="stable")[:5]]
    assert set(recs.ids[1].tolist()) == set(popular.tolist())


@pytest.mark.parametrize("name", NAMES)
def test_similar_items(name: str) -> None:
    model = fitted(name)
    item = model.item_ids_[0]
    recs = model.similar_items([item, -42], n=4)
    assert recs.ids.shape == (2, 4)
    assert item not in recs.ids[0].tolist()
    assert recs.fallback.tolist() == [False, True]
    assert np.all(np.diff(recs.scores[0]) <= 1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_gives_identical_scores(name: str, tmp_path: Path) -> None:
    model = fitted(name)
    path = model.save(tmp_path / name)
    loaded = Estimator.load(path)
    assert type(loaded) is type(model)
    users = model.user_ids_[:6]
    a, b = model.recommend(users, n=5), loaded.recommend(users, n=5)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_allclose(a.scores, b.scores)
    if isinstance(model, RatingRecommender):
        pa, _ = model.predict(users, model.item_ids_[:6])
        pb, _ = loaded.predict(users, model.item_ids_[:6])
        np.testing.assert_allclose(pa, pb)


@pytest.mark.parametrize("name", list(RATING_MODELS))
def test_rating_models_predict_in_range_with_fallback_flags(name: str) -> None:
    model = fitted(name)
    pred, fallback = model.predict([model.user_ids_[0], 12345], [model.item_ids_[0], model.item_ids_[0]])
    assert np.all((pred >= 1) & (pred <= 5))
    assert fallback.tolist() == [False, True]


def test_history_fold_in_for_an_account_the_model_has_not_seen() -> None:
    model = fitted("ease")
    bought = model.item_ids_[:3]
    recs = model.recommend_for_history(bought, n=5)
    assert not recs.fallback[0] and not set(bought.tolist()) & set(recs.ids[0].tolist())
    assert model.recommend_for_history([], n=3).fallback[0]


def test_string_and_integer_ids_are_kept_as_given() -> None:
    model = make_model("popularity").fit(["a", "b", "b"], [7, 8, 7])
    assert model.item_ids_.dtype.kind == "i" and model.user_ids_.dtype.kind == "U"
    ids, _ = model.recommend(["zzz"], n=2)
    assert ids[0].tolist() == [7, 8]
    assert model.item_index(["7", 8, 9]).tolist() == [0, 1, -1]
