"""Recommendation: one base (`base.Recommender`) and model families for explicit ratings (`rating`, `factor`),
implicit purchases (`implicit`), cold start from product text (`coldstart`), replenishment cycles
(`replenishment`) and reasons (`explain`). ``make_model(name)`` builds a model from its CLI name."""

from __future__ import annotations

from typing import Any

from bizpilot.errors import InvalidParameter
from bizpilot.ml.recommend.base import RatingRecommender, Recommendations, Recommender

RATING_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "bayes-mf": ("bizpilot.ml.recommend.factor:BayesianMF", {}),
    "mf": ("bizpilot.ml.recommend.factor:BiasedMF", {}),
    "baseline": ("bizpilot.ml.recommend.rating:BaselineRecommender", {}),
    "knn-item": ("bizpilot.ml.recommend.rating:KNNRecommender", {"kind": "item"}),
    "knn-user": ("bizpilot.ml.recommend.rating:KNNRecommender", {"kind": "user"}),
    "knn-item-cosine": ("bizpilot.ml.recommend.rating:KNNRecommender",
                        {"kind": "item", "similarity": "cosine", "with_baseline": False}),
    "knn-item-pearson": ("bizpilot.ml.recommend.rating:KNNRecommender",
                         {"kind": "item", "similarity": "pearson", "with_baseline": False}),
}
RANKING_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "ease": ("bizpilot.ml.recommend.implicit:EASERecommender", {}),
    "als": ("bizpilot.ml.recommend.implicit:ALSRecommender", {}),
    "itemknn": ("bizpilot.ml.recommend.implicit:ItemKNNRecommender", {}),
    "popularity": ("bizpilot.ml.recommend.implicit:PopularityRecommender", {}),
}
MODELS = {**RATING_MODELS, **RANKING_MODELS}
DEFAULT_RATING_MODEL = "bayes-mf"
DEFAULT_RANKING_MODEL = "ease"


def make_model(name: str, **params: Any) -> Recommender:
    """A fresh model by CLI name (see ``MODELS``), with its defaults overridden by ``params``."""
    import importlib

    key = name.lower()
    if key not in MODELS:
        raise InvalidParameter(f"unknown recommender model {name!r}; one of: {', '.join(MODELS)}")
    spec, defaults = MODELS[key]
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)(**{**defaults, **params})


__all__ = ["DEFAULT_RANKING_MODEL", "DEFAULT_RATING_MODEL", "MODELS", "RANKING_MODELS", "RATING_MODELS",
           "RatingRecommender", "Recommendations", "Recommender", "make_model"]
