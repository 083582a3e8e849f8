"""Cross-validated evaluation of recommenders: one function the eval CLI and the benchmark share.

``evaluate(data, protocol=..., rating_model=..., ranking_model=...)`` builds the folds (MovieLens u1..u5 when
given, a seeded k-fold, a per-user stratified 75/25 or a per-user temporal 75/25 split), fits each model on the
training part only and scores the test part: RMSE/MAE for the rating model (explicit data), and
precision/recall/nDCG/MAP/hit rate@k plus catalogue coverage for the ranking model, with the user's training
items filtered out and every test item (any rating) counted relevant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bizpilot.errors import InvalidParameter, ValidationFailed
from bizpilot.ml.evaluation import catalogue_coverage, mae, ranking_metrics, rmse
from bizpilot.ml.model_selection import kfold_split, stratified_split, temporal_split
from bizpilot.ml.recommend import RATING_MODELS, make_model
from bizpilot.ml.recommend.base import RatingRecommender, Recommender
from bizpilot.ml.recommend.data import Interactions

PROTOCOLS = ("kfold", "stratified", "temporal")
Fold = tuple[Interactions, Interactions]


def make_folds(data: Interactions, protocol: str, *, n_folds: int = 5, seed: int = 42,
               official: list[Fold] | None = None) -> list[Fold]:
    """Train/test pairs for a protocol; ``official`` folds (MovieLens u1..u5) are used for k-fold when given."""
    protocol = protocol.lower()
    if protocol == "kfold":
        if official is not None and n_folds == len(official):
            return official
        return [(data.subset(tr), data.subset(te)) for tr, te in kfold_split(len(data), n_folds, seed=seed)]
    if protocol == "stratified":
        tr, te = stratified_split(data.users, 0.75, seed=seed)
        return [(data.subset(tr), data.subset(te))]
    if protocol == "temporal":
        try:
            tr, te = temporal_split(data.users, data.timestamp, 0.75)
        except ValidationFailed as exc:
            raise type(exc)(f"--protocol temporal: {exc.message}", details=exc.details) from None
        return [(data.subset(tr), data.subset(te))]
    raise InvalidParameter(f"unknown --protocol {protocol!r}; one of: {', '.join(PROTOCOLS)}")


def score_rating(model: RatingRecommender, test: Interactions) -> dict[str, float]:
    pred, fallback = model.predict(test.users, test.items)
    return {"rmse": rmse(test.values, pred), "mae": mae(test.values, pred), "fallback_share": float(fallback.mean())}


def score_ranking(model: Recommender, train: Interactions, test: Interactions, k: int) -> dict[str, float]:
    """Top-k for every test user (training items filtered), scored against all their test items."""
    users = np.unique(test.users)
    started = time.perf_counter()
    ids, _ = model.recommend(users, k, filter_already_bought=True)
    seconds = time.perf_counter() - started
    rows = np.searchsorted(users, test.users)
    out = ranking_metrics(ids, rows, test.items, k)
    out["n_users_ranked"] = out.pop("n_users")
    out[f"coverage@{k}"] = catalogue_coverage(ids, int(np.unique(train.items).size))
    out["recommend_seconds"] = seconds
    return out


def evaluate(data: Interactions, *, protocol: str = "kfold", n_folds: int = 5, k: int = 10,
             rating_model: str | None = None, ranking_model: str | None = None, seed: int = 42,
             official: list[Fold] | None = None, on_fold: Callable[[int], None] | None = None,
             factory: Callable[[str], Recommender] = make_model) -> dict[str, Any]:
    """Mean metrics over folds (and the per-fold values under ``folds``)."""
    folds = make_folds(data, protocol, n_folds=n_folds, seed=seed, official=official)
    per_fold: list[dict[str, Any]] = []
    for f, (train, test) in enumerate(folds, start=1):
        row: dict[str, Any] = {"fold": f, "n_train": len(train), "n_test": len(test)}
        fit_seconds = 0.0
        if rating_model:
            model = factory(rating_model)
            if not isinstance(model, RatingRecommender):
                raise InvalidParameter(f"--model {rating_model} does not predict ratings; one of: "
                                       f"{', '.join(RATING_MODELS)}")
            t0 = time.perf_counter()
            model.fit(train.users, train.items, train.values)
            row["rating_fit_seconds"] = time.perf_counter() - t0
            fit_seconds += row["rating_fit_seconds"]
            row.update(score_rating(model, test))
            if ranking_model is None:
                row.update(score_ranking(model, train, test, k))
        if ranking_model:
            model = factory(ranking_model)
            t0 = time.perf_counter()
            model.fit(train.users, train.items, train.values)
            row["ranking_fit_seconds"] = time.perf_counter() - t0
            fit_seconds += row["ranking_fit_seconds"]
            row.update(score_ranking(model, train, test, k))
        # the model the run is about: the rating model when there is one (its time is the one compared with
        # Surprise), else the ranking model; both together are in fit_seconds_all
        row["fit_seconds"] = row.get("rating_fit_seconds", row.get("ranking_fit_seconds", 0.0))
        row["fit_seconds_all"] = fit_seconds
        per_fold.append(row)
        if on_fold:
            on_fold(f)
    keys = [key for key in per_fold[0] if key not in ("fold",) and isinstance(per_fold[0][key], int | float)]
    result: dict[str, Any] = {key: float(np.mean([r[key] for r in per_fold])) for key in keys}
    result["fit_seconds_total"] = float(sum(r["fit_seconds_all"] for r in per_fold))
    result["folds"] = per_fold
    return result


__all__ = ["PROTOCOLS", "evaluate", "make_folds", "score_ranking", "score_rating"]
