"""The topics model as the model store knows it (see ``services/models/spec.py``)."""

from __future__ import annotations

from bizpilot.domain import Interaction
from bizpilot.ml.text.topics import TopicModel
from bizpilot.services.insights.training import train_topics
from bizpilot.services.models.spec import ModelSpec

TOPICS = ModelSpec(
    name="topics", title="Topics", estimator=TopicModel, train=train_topics,
    summary="What customers write about: topics over inbound interactions (zh and en) with keywords, size, "
            "sentiment and example quotes", inputs=(Interaction,), depends_on=("signals",))

SPECS = (TOPICS,)

__all__ = ["SPECS", "TOPICS"]
