"""The text models' embeddings go through the one service and give the vectors they were measured with:
``minilm`` is MiniLM reading 128 tokens, ``e5`` the query side of e5, both on the first MAX_CHARS characters."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import InvalidParameter
from bizpilot.ml.base import read_model_file
from bizpilot.ml.text import embedding
from bizpilot.ml.text.embedding import EMBEDDERS, MAX_CHARS, SERVICE_EMBEDDER, embed
from bizpilot.ml.text.intent import DEFAULT_MODEL_PATH as INTENT_MODEL
from bizpilot.ml.text.sentiment import DEFAULT_MODEL_PATH as SENTIMENT_MODEL
from bizpilot.retrieval.embedders import E5Embedder, MiniLMEmbedder, get_embedder

# Under MAX_CHARS characters but over 128 tokens: where MiniLM's 128- and 256-token configurations part ways.
LONG = "order " + " ".join(f"{i}-{i * 7}/{i % 3}" for i in range(30))
TEXTS = ["where is my parcel?", "I want my money back", LONG]


def test_minilm_is_the_128_token_configuration() -> None:
    assert len(LONG) <= MAX_CHARS
    vectors = embed(TEXTS, "minilm")
    assert np.allclose(vectors, MiniLMEmbedder(max_length=128, batch_size=16).run(TEXTS), atol=1e-6)
    wider = MiniLMEmbedder(max_length=256).run(TEXTS)
    assert np.allclose(vectors[:2], wider[:2], atol=1e-5)  # short texts: the same vectors
    assert float(vectors[2] @ wider[2]) < 0.999  # long texts differ: hence two named configurations


def test_e5_is_the_query_side_of_the_shared_model() -> None:
    vectors = embed(TEXTS[:2] + ["我的包裹到哪里了"], "e5")
    assert np.allclose(vectors, E5Embedder().run(TEXTS[:2] + ["我的包裹到哪里了"], is_query=True), atol=1e-6)


def test_texts_are_cut_to_max_chars() -> None:
    long = "great product, " * 40
    assert np.array_equal(embed([long], "minilm"), embed([long[:MAX_CHARS]], "minilm"))


def test_through_the_service_cache_with_progress(embed_cache: Path) -> None:
    service = get_embedder(SERVICE_EMBEDDER["minilm"])
    texts = [f"message {i} {uuid.uuid4().hex}" for i in range(5)]
    misses = service.misses
    progress: list[int] = []
    first = embed(texts, "minilm", on_progress=progress.append, chunk=2)
    assert progress == [2, 4, 5] and service.misses == misses + 5
    hits = service.memory_hits
    assert np.array_equal(embed(texts[:2], "minilm"), first[:2]) and service.memory_hits == hits + 2
    with sqlite3.connect(embed_cache / "embeddings.sqlite") as conn:
        n = conn.execute("SELECT count(*) FROM vectors WHERE key LIKE 'minilm-l6-int8-128:s:%'").fetchone()[0]
    assert n >= 5
    assert embed([], "e5").shape == (0, 384)
    assert not hasattr(embedding, "get_embedder")  # no instances of its own: the service holds them


def test_unknown_embedder_is_a_bad_parameter() -> None:
    with pytest.raises(InvalidParameter, match="unknown embedder 'bert'"):
        embed(["a"], "bert")


@pytest.mark.parametrize("path", [INTENT_MODEL, SENTIMENT_MODEL], ids=["intent", "sentiment"])
def test_shipped_models_name_an_embedder_the_service_has(path: Path) -> None:
    meta, _ = read_model_file(path)
    assert meta["state"]["embedder_"] == "e5" and "e5" in EMBEDDERS
    assert get_embedder(SERVICE_EMBEDDER["e5"]).name == "e5-small-q4"
