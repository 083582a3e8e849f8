"""The workspace embedding model as the model store knows it (see ``services/models/spec.py``).

Trained on demand only (`bizpilot train embedder [--pairs FILE]`, the train API route), never by `train all` or
the nightly retrain: a team's pairs file would otherwise be replaced by the knowledge base's pairs, and every
stored vector changes name when it is retrained. The embedding service applies it (``retrieval/embedders.py``).
"""

from __future__ import annotations

from bizpilot.domain.kb import KbChunk
from bizpilot.domain.knowledge import KnowledgeArticle
from bizpilot.ml.text.adapter import EmbeddingAdapter
from bizpilot.services.embedder.training import train_embedder
from bizpilot.services.models.spec import ModelSpec

EMBEDDER = ModelSpec(
    name="embedder", title="Workspace embedder", estimator=EmbeddingAdapter, train=train_embedder,
    summary="An adapter over the pre-trained sentence embedder learned from the team's pairs (FAQ paraphrases, "
            "question -> article links); the knowledge base uses it, and sentiment models fitted after it (each "
            "model keeps the vectors it was fitted with: shipped defaults and older models stay on the base)",
    inputs=(KnowledgeArticle, KbChunk), key_metrics={"heldout_recall_at_5_after": "higher"}, on_demand=False,
    in_train_all=False,
    default_note="the pre-trained embedders as shipped; bizpilot train embedder [--pairs FILE] adapts them")

SPECS = (EMBEDDER,)

__all__ = ["EMBEDDER", "SPECS"]
