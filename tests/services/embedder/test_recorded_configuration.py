"""A model sees the vectors it was trained with: plain names are the base model as shipped whatever the workspace
trained since, a configuration recorded at fit (``<name>+ws-<digest>``) keeps its own adapter across retrains, and
one whose adapter is gone falls back to the base visibly (the model is stale)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bizpilot.config import get_settings
from bizpilot.ml.text.adapter import EmbeddingAdapter
from bizpilot.ml.text.embedding import embed, embedding_problem, model_embedding
from bizpilot.ml.text.intent import default_intent_model
from bizpilot.ml.text.sentiment import SentimentClassifier
from bizpilot.retrieval.embedders import (
    AdaptedEmbedder,
    FallbackEmbedder,
    archived_adapter_path,
    get_embedder,
    workspace_configuration,
)
from bizpilot.services.assistant.compose import cosine_band_key

TEXTS = ["where is my order", "reset my password", "the invoice is wrong", "great service, thanks"]
LABELS = ["negative", "negative", "negative", "positive"]


def _write_adapter(base: str, dim: int, seed: int = 0) -> Path:
    """A workspace adapter far from the identity (so adapted vectors visibly differ), saved where training puts it."""
    X = np.random.default_rng(seed).normal(size=(12, dim)).astype(np.float32)
    model = EmbeddingAdapter(base=base, epochs=1).fit(X, np.array([[0, 1], [2, 3], [4, 5]]))
    model.weight_ = (np.eye(dim) + np.random.default_rng(seed + 1).normal(size=(dim, dim)) * 0.3).astype(np.float32)
    return model.save(get_settings().models_dir / "embedder.npz")


def test_a_shipped_default_scores_the_same_after_an_adapter_is_trained(workspace: Path) -> None:
    model = default_intent_model()  # e5, saved without a recorded configuration
    before = model.predict_proba(TEXTS)
    _write_adapter("e5", get_embedder("e5").dim)
    assert isinstance(get_embedder("e5", adapted=True), AdaptedEmbedder)
    assert get_embedder("e5").name == "e5-small-q4"  # a plain name is the base model
    np.testing.assert_allclose(default_intent_model().predict_proba(TEXTS), before, rtol=1e-6)
    assert model_embedding(model) == "e5" and embedding_problem(model) is None


def test_a_model_fitted_with_the_adapter_keeps_it_across_retrains(workspace: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    dim = get_embedder("minilm-128").dim
    plain = SentimentClassifier(embedder="minilm", tfidf=False, lexicon=False).fit(TEXTS, LABELS)
    assert plain.embedding_config_ == "minilm"
    plain_before = plain.predict_proba(TEXTS)
    _write_adapter("minilm", dim)
    config = workspace_configuration("minilm")
    digest = config.partition("+ws-")[2]
    fitted = SentimentClassifier(embedder="minilm", tfidf=False, lexicon=False).fit(TEXTS, LABELS)
    assert fitted.embedding_config_ == f"minilm+ws-{digest}" and archived_adapter_path(digest).is_file()
    adapted = embed(TEXTS, fitted.embedding_config_)
    assert not np.allclose(adapted, embed(TEXTS, "minilm"), atol=1e-3)  # the adapter is really applied
    path = fitted.save(workspace / "sentiment.npz")
    scores = fitted.predict_proba(TEXTS)
    np.testing.assert_allclose(plain.predict_proba(TEXTS), plain_before, rtol=1e-6)  # fitted before: base
    _write_adapter("minilm", dim, seed=5)  # retrained: the workspace's adapter is another one now
    assert workspace_configuration("minilm") != config
    reloaded = SentimentClassifier.load(path)
    np.testing.assert_allclose(reloaded.predict_proba(TEXTS), scores, rtol=1e-5)
    assert embedding_problem(reloaded) is None
    archived_adapter_path(digest).unlink()  # its adapter gone: base vectors, said loudly
    with caplog.at_level(logging.WARNING):
        stale = get_embedder(f"minilm-128+ws-{digest}")
    assert isinstance(stale, FallbackEmbedder) and "stale" in (stale.fallback_reason or "")
    assert "stale" in (embedding_problem(reloaded) or "") and "stale" in caplog.text
    np.testing.assert_allclose(embed(TEXTS, reloaded.embedding_config_), embed(TEXTS, "minilm"), rtol=1e-6)


def test_adapted_knowledge_vectors_keep_the_base_cosine_band() -> None:
    assert cosine_band_key("e5-small-q4+ws-0123456789") == "e5-small-q4"
    assert cosine_band_key("minilm-l6-int8") == "minilm-l6-int8" and cosine_band_key(None) is None
