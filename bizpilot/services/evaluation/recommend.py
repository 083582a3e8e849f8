"""Recommenders measured on labelled interactions: RMSE/MAE of the rating models, precision/recall/nDCG/MAP/hit
rate@k and coverage of the ranking (`bizpilot eval recommend`).

Formats: ``movielens`` (the ml-100k folder; k-fold uses its official u1..u5 files), ``csv`` (``user_id,item_id,
rating``, gzip ok; seeded k-fold), ``online-retail`` (implicit purchases; ranking metrics only). Without a
``model`` explicit data is scored by the default rating model (RMSE/MAE) and the default ranking model (top-k
metrics); with one only that model is scored (a rating model is also ranked by its predicted ratings).
``fit_seconds`` is the mean fit time per fold of the rating model when there is one (else of the ranking model);
``fit_seconds_all`` adds both.

Two steps, so a caller can say what will run and size a progress bar: ``prepare_recommend`` checks the options
and reads the data, ``evaluate_recommend`` fits and scores every fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizpilot.errors import ValidationFailed


@dataclass
class RecommendPlan:
    """What one evaluation run will fit and score."""

    fmt: str
    protocol: str
    folds: int  # folds asked for (--protocol kfold)
    k: int
    seed: int
    model: str | None  # the one model asked for, if any
    rating_model: str | None
    ranking_model: str | None
    interactions: Any  # bizpilot.ml.recommend.data.Interactions
    official: list[Any] | None  # MovieLens u1..u5 folds when they apply

    @property
    def uses_official_folds(self) -> bool:
        return bool(self.official) and self.folds == len(self.official)

    @property
    def n_folds(self) -> int:
        """Folds the run will go through (what a progress bar counts)."""
        if self.uses_official_folds:
            return len(self.official or [])
        return self.folds if self.protocol == "kfold" else 1


def prepare_recommend(*, data: Path, fmt: str = "movielens", protocol: str = "kfold", folds: int = 5, k: int = 10,
                      model: str | None = None, seed: int = 42) -> RecommendPlan:
    """Check protocol and model names, read the interactions and choose the models to score."""
    from bizpilot.ml.recommend import DEFAULT_RANKING_MODEL, DEFAULT_RATING_MODEL, MODELS, RATING_MODELS
    from bizpilot.ml.recommend.data import movielens_folds, read_interactions
    from bizpilot.ml.recommend.evaluate import PROTOCOLS

    fmt, protocol = fmt.lower(), protocol.lower()
    if protocol not in PROTOCOLS:
        raise ValidationFailed(f"unknown --protocol {protocol!r}; one of: {', '.join(PROTOCOLS)}")
    if model is not None and model.lower() not in MODELS:
        raise ValidationFailed(f"unknown --model {model!r}; one of: {', '.join(MODELS)}")
    interactions = read_interactions(data, fmt)
    official = movielens_folds(data) if fmt == "movielens" and protocol == "kfold" else None
    if model is None:
        rating_model = DEFAULT_RATING_MODEL if interactions.explicit else None
        ranking_model: str | None = DEFAULT_RANKING_MODEL
    elif model.lower() in RATING_MODELS:
        if not interactions.explicit:
            raise ValidationFailed(f"--model {model} predicts ratings; --format {fmt} has implicit purchases only")
        rating_model, ranking_model = model.lower(), None
    else:
        rating_model, ranking_model = None, model.lower()
    return RecommendPlan(fmt=fmt, protocol=protocol, folds=folds, k=k, seed=seed,
                         model=model.lower() if model else None, rating_model=rating_model,
                         ranking_model=ranking_model, interactions=interactions, official=official)


def evaluate_recommend(*, plan: RecommendPlan, on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Mean metrics over the folds with the data sizes, and each fold's values under ``per_fold``.
    ``on_progress`` gets the number of folds done."""
    from bizpilot.ml.recommend.evaluate import evaluate

    interactions = plan.interactions
    result = evaluate(interactions, protocol=plan.protocol, n_folds=plan.folds, k=plan.k,
                      rating_model=plan.rating_model, ranking_model=plan.ranking_model, seed=plan.seed,
                      official=plan.official, on_fold=on_progress)
    per_fold = result.pop("folds")
    return {"task": "recommend", "format": plan.fmt, "protocol": plan.protocol, "folds": len(per_fold),
            "k": plan.k, "model": plan.model, "rating_model": plan.rating_model,
            "ranking_model": plan.ranking_model, "n_ratings": len(interactions),
            "n_users": int(len(set(interactions.users.tolist()))),
            "n_items": int(len(set(interactions.items.tolist()))), **result, "per_fold": per_fold}


__all__ = ["RecommendPlan", "evaluate_recommend", "prepare_recommend"]
