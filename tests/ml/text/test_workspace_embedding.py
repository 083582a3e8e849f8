"""Intent and industry models embed through the workspace embedding model only when asked
(``workspace_embedding=True``), record the configuration they were fitted with, and keep it across a reload; a
configuration that names an adapter which is gone reports the model as stale (also for two embedders side by side)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bizpilot.config import get_settings
from bizpilot.ml.text.adapter import EmbeddingAdapter
from bizpilot.ml.text.embedding import configuration_problem, embedding_problem
from bizpilot.ml.text.industry import IndustryClassifier
from bizpilot.ml.text.intent import IntentClassifier, embedder_parts
from bizpilot.retrieval.embedders import archived_adapter_path, workspace_configuration

TEXTS = ["where is my order", "has my parcel shipped", "I want a refund", "send the money back please",
         "the invoice total is wrong", "please correct my bill"]
LABELS = ["order", "order", "refund", "refund", "invoice", "invoice"]
DIM = 384  # MiniLM


def _write_adapter() -> str:
    """A MiniLM workspace adapter far from the identity, where `train embedder` saves it; its configuration."""
    model = EmbeddingAdapter(base="minilm", epochs=1).fit(np.eye(4, DIM, dtype=np.float32), np.array([[0, 1], [2, 3]]))
    model.weight_ = (np.eye(DIM) + np.random.default_rng(1).normal(size=(DIM, DIM)) * 0.3).astype(np.float32)
    model.save(get_settings().models_dir / "embedder.npz")
    return workspace_configuration("minilm")


def test_intent_uses_the_workspace_adapter_only_when_asked(workspace: Path) -> None:
    config = _write_adapter()
    assert config.startswith("minilm+ws-")
    base = IntentClassifier(embedder="minilm", method="svm").fit(TEXTS, LABELS)
    adapted = IntentClassifier(embedder="minilm", method="svm", workspace_embedding=True).fit(TEXTS, LABELS)
    assert base.embedding_config_ == "minilm" and adapted.embedding_config_ == config
    assert not np.allclose(base.train_embed_.astype(np.float32), adapted.train_embed_.astype(np.float32), atol=1e-2)
    fewshot = IntentClassifier(embedder="minilm", method="fewshot", workspace_embedding=True).fit(TEXTS, LABELS)
    assert fewshot.embedding_config_ == config
    scores = fewshot.predict_proba(TEXTS)
    reloaded = IntentClassifier.load(fewshot.save(workspace / "intent.npz"))
    np.testing.assert_allclose(reloaded.predict_proba(TEXTS), scores, rtol=1e-5)
    assert embedding_problem(reloaded) is None


def test_industry_records_the_adapter_it_was_fitted_with(workspace: Path) -> None:
    config = _write_adapter()
    labels = {"order": "logistics and delivery", "refund": "returns", "invoice": "billing and accounting"}
    base = IndustryClassifier(embedder="minilm").fit(TEXTS, LABELS, label_texts=labels)
    adapted = IndustryClassifier(embedder="minilm", workspace_embedding=True).fit(TEXTS, LABELS, label_texts=labels)
    assert base.embedding_config_ == "minilm" and adapted.embedding_config_ == config
    assert not np.allclose(base.label_vectors_, adapted.label_vectors_, atol=1e-2)  # prototypes adapted too
    np.testing.assert_allclose(adapted.embed(TEXTS[:2]) @ adapted.embed(TEXTS[:2]).T,
                               IndustryClassifier.load(adapted.save(workspace / "industry.npz")).embed(TEXTS[:2])
                               @ adapted.embed(TEXTS[:2]).T, rtol=1e-5)


def test_a_configuration_of_two_embedders_is_split_and_checked_per_adapter(workspace: Path) -> None:
    digest = _write_adapter().partition("+ws-")[2]
    assert embedder_parts("minilm+e5") == ["minilm", "e5"]
    assert embedder_parts(f"minilm+ws-{digest}+e5") == [f"minilm+ws-{digest}", "e5"]
    assert configuration_problem("minilm+e5") is None and configuration_problem(f"minilm+ws-{digest}+e5") is None
    problem = configuration_problem(f"minilm+ws-{digest}+e5+ws-0123456789")  # the second adapter is not kept
    assert problem is not None and "ws-0123456789" in problem and "stale" in problem
    (get_settings().models_dir / "embedder.npz").unlink()
    archived_adapter_path(digest).unlink()
    assert f"ws-{digest}" in (configuration_problem(f"minilm+ws-{digest}+e5") or "")
