"""Every workspace model, in training order: `bizpilot train <name>|all`, the train API routes, the Models page,
background training and the nightly retrain all iterate this list. Adding a model is a ``ModelSpec`` in its
feature's ``specs`` module and one entry here."""

from __future__ import annotations

from bizpilot.errors import NotFoundError
from bizpilot.services.assistant.specs import KNOWLEDGE
from bizpilot.services.embedder.specs import EMBEDDER
from bizpilot.services.industry.specs import INDUSTRY
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.intelligence.specs import CHURN, FORECAST, SEGMENTS, WINPROB
from bizpilot.services.models.spec import ModelSpec, ordered
from bizpilot.services.recommend.specs import RECOMMEND, REORDER
from bizpilot.services.signals.analysis import SIGNALS
from bizpilot.services.signals.specs import INTENT, SENTIMENT

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in ordered(
    (SEGMENTS, CHURN, WINPROB, FORECAST, RECOMMEND, REORDER, SIGNALS, EMBEDDER, KNOWLEDGE, INTENT, SENTIMENT,
     INDUSTRY, TOPICS))}


def get_spec(name: str) -> ModelSpec:
    """The registered model called ``name``; ``NotFoundError`` listing the names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise NotFoundError(f"no model {name!r}; one of: {', '.join(MODELS)}",
                            details=[{"field": "name", "reason": "unknown model", "value": name}]) from None


def train_all_specs(skip: tuple[str, ...] = ()) -> list[ModelSpec]:
    """The models `train all` trains (in order), leaving out ``skip``; unknown names are an error."""
    for name in skip:
        get_spec(name)
    return [s for s in MODELS.values() if s.in_train_all and s.name not in skip]


__all__ = ["MODELS", "get_spec", "train_all_specs"]
