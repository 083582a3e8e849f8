"""The embedding service's contract: every registered embedder (shape, unit rows, determinism, query vs passage,
empty input), one instance per process, the cache inside the workspace, and a fallback that is never silent."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bizpilot.config import reset_settings
from bizpilot.errors import ConfigError, InvalidParameter
from bizpilot.retrieval import embedders
from bizpilot.retrieval.embed_models import embed_threads
from bizpilot.retrieval.embedders import (
    FALLBACK,
    CachedEmbedder,
    EmbedderSpec,
    FallbackEmbedder,
    HashingEmbedder,
    embedder_names,
    get_embedder,
)

TEXTS = ["Refunds are paid within 7 business days after inspection.", "信用账户的付款条件为月结30天。",
         "A4 copy paper, 80 gsm, ream of 500 sheets"]
NAMES = embedder_names()


def unique_texts(n: int) -> list[str]:
    """Texts no other test embedded, so the in-memory layer cannot answer for the disk."""
    tag = uuid.uuid4().hex
    return [f"sample text {i} {tag}" for i in range(n)]


def test_the_registry_holds_the_four_configurations() -> None:
    assert NAMES == ["e5-small-q4", "hash-char-2-4", "minilm-l6-int8", "minilm-l6-int8-128"]


@pytest.mark.parametrize("name", NAMES)
def test_rows_are_unit_float32_and_deterministic(name: str) -> None:
    emb = get_embedder(name, cache=False)
    v = emb.run(TEXTS)
    assert emb.name == name and v.shape == (3, emb.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(emb.run(TEXTS), v, atol=1e-6)
    # A text's vector does not depend on its batch or position.
    assert np.allclose(emb.run(TEXTS[::-1]), v[::-1], atol=1e-5)
    assert np.allclose(emb.run(TEXTS[1:2])[0], v[1], atol=1e-5)
    assert getattr(emb, "fallback_reason", "missing") is None


@pytest.mark.parametrize("name", NAMES)
def test_query_and_passage_sides(name: str) -> None:
    emb = get_embedder(name, cache=False)
    q, p = emb.run(TEXTS, is_query=True), emb.run(TEXTS, is_query=False)
    assert isinstance(emb.symmetric, bool)
    if emb.symmetric:
        assert np.array_equal(q, p)
    else:  # e5: the "query: " and "passage: " prefixes give related but different vectors
        assert not np.allclose(q, p, atol=1e-3)
        assert np.all((q * p).sum(axis=1) > 0.8)


@pytest.mark.parametrize("name", NAMES)
def test_empty_input_and_blank_texts(name: str) -> None:
    emb = get_embedder(name, cache=False)
    for runner in (emb, get_embedder(name)):
        empty = runner.run([])
        assert empty.shape == (0, emb.dim) and empty.dtype == np.float32
    blank = emb.run(["", "   "])
    # Models embed their special tokens (a unit row); hashed n-grams of nothing are nothing (a zero row).
    expected = 0.0 if name == FALLBACK else 1.0
    assert blank.shape == (2, emb.dim) and np.allclose(np.linalg.norm(blank, axis=1), expected, atol=1e-5)


def test_one_instance_per_configuration_and_aliases() -> None:
    assert get_embedder("e5") is get_embedder("e5-small-q4") is get_embedder(" E5 ")
    assert get_embedder("minilm") is get_embedder("minilm-l6-int8")
    assert get_embedder("minilm-128") is get_embedder("minilm-l6-int8-128")
    assert get_embedder("minilm-128") is not get_embedder("minilm")
    assert get_embedder("minilm-128").name == "minilm-l6-int8-128"
    cached = get_embedder("e5")
    assert isinstance(cached, CachedEmbedder) and cached.inner is get_embedder("e5", cache=False)
    assert isinstance(get_embedder("hash"), HashingEmbedder) and get_embedder("hash") is get_embedder("hash-char-2-4")
    with pytest.raises(InvalidParameter, match="unknown embedder 'bert-large'"):
        get_embedder("bert-large")
    with pytest.raises(InvalidParameter, match="unknown embedder"):
        get_embedder("bert-large", fallback=True)  # a typo is not a model that failed to load


def test_threads_racing_for_a_new_embedder_share_one_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []

    def slow_build() -> HashingEmbedder:
        builds.append(1)
        time.sleep(0.2)  # every thread arrives while the first is still building
        return HashingEmbedder()

    monkeypatch.setitem(embedders.REGISTRY, "test-slow", EmbedderSpec("test-slow", slow_build, ("slow",)))
    got: list[object] = []
    try:
        threads = [threading.Thread(target=lambda: got.append(get_embedder("slow"))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(builds) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    finally:
        embedders._models.pop("test-slow", None)
        embedders._cached.pop("test-slow", None)


def test_cache_lands_in_the_workspace_and_is_hit_on_the_second_call(workspace: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    emb = get_embedder("minilm")
    assert isinstance(emb, CachedEmbedder)
    texts = unique_texts(12)
    before = (emb.misses, emb.disk_hits)
    first = emb.run(texts)
    path = workspace / "cache" / "embeddings.sqlite"
    assert emb.path == path and path.is_file() and emb.misses - before[0] == 12
    with sqlite3.connect(path) as conn:
        keys = {k for (k,) in conn.execute("SELECT key FROM vectors")}
    assert f"minilm-l6-int8:s:{hashlib.sha1(texts[0].encode()).hexdigest()}" in keys
    emb.clear_memory()
    again = emb.run(texts)
    assert emb.disk_hits - before[1] == 12 and emb.misses - before[0] == 12 and np.array_equal(again, first)
    # Small batches are answered from memory next time.
    small = texts[:3]
    emb.run(small)
    hits = emb.memory_hits
    assert np.array_equal(emb.run(small), first[:3]) and emb.memory_hits == hits + 3
    # The place is resolved at use: another workspace, another file.
    other = workspace.parent / "other-ws"
    monkeypatch.setenv("BIZPILOT_HOME", str(other))
    reset_settings()
    assert emb.path == other / "cache" / "embeddings.sqlite"
    monkeypatch.setenv("BIZPILOT_CACHE_DIR", str(workspace.parent / "shared-cache"))
    reset_settings()
    assert emb.path == workspace.parent / "shared-cache" / "embeddings.sqlite"


class Counting:
    """Hashed n-grams that count the texts they were asked to embed."""

    name = "counting"
    dim = HashingEmbedder.dim
    symmetric = True

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.seen: list[str] = []

    def run(self, texts: list[str], *, is_query: bool = False) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.run(texts, is_query=is_query)


def test_cache_embeds_each_text_once_in_chunks_with_progress(tmp_path: Path) -> None:
    inner = Counting()
    cached = CachedEmbedder(inner, path=tmp_path / "c.sqlite")
    texts = [f"text {i % 9}" for i in range(12)]  # 9 distinct texts, 3 repeated
    progress: list[int] = []
    out = cached.run(texts, on_progress=progress.append, chunk=4)
    assert sorted(inner.seen) == sorted(set(texts)) and cached.misses == 9
    assert progress == [7, 11, 12]  # chunks of 4, 4 and 1 distinct texts; a repeat counts when its text is ready
    assert np.array_equal(out, inner.inner.run(texts))
    progress.clear()
    cached.clear_memory()
    cached.run(texts, on_progress=progress.append)
    assert progress == [12] and cached.disk_hits == 12 and len(inner.seen) == 9


def test_an_existing_cache_file_is_used_as_is_and_damaged_rows_are_recomputed(tmp_path: Path) -> None:
    path = tmp_path / "copied" / "embeddings.sqlite"
    path.parent.mkdir()
    marker = np.zeros(HashingEmbedder.dim, dtype=np.float32)
    marker[7] = 1.0
    with sqlite3.connect(path) as conn:  # the table and key format of the old ~/.cache/bizpilot file
        conn.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        conn.execute("INSERT INTO vectors VALUES (?, ?)",
                     (f"counting:s:{hashlib.sha1(b'copied text').hexdigest()}", marker.tobytes()))
        conn.execute("INSERT INTO vectors VALUES (?, ?)",
                     (f"counting:s:{hashlib.sha1(b'damaged text').hexdigest()}", b"\x00\x01"))
    inner = Counting()
    cached = CachedEmbedder(inner, path=path)
    out = cached.run(["copied text", "damaged text"])
    assert np.array_equal(out[0], marker) and inner.seen == ["damaged text"]
    assert np.allclose(out[1], inner.inner.run(["damaged text"])[0])


def test_e5_caches_query_and_passage_apart(tmp_path: Path) -> None:
    cached = CachedEmbedder(get_embedder("e5", cache=False), path=tmp_path / "e5.sqlite")
    q = cached.run(["怎么更改花呗手机号码"], is_query=True)
    p = cached.run(["怎么更改花呗手机号码"], is_query=False)
    assert not np.allclose(q, p, atol=1e-3)
    with sqlite3.connect(tmp_path / "e5.sqlite") as conn:
        kinds = sorted(k.split(":")[1] for (k,) in conn.execute("SELECT key FROM vectors"))
    assert kinds == ["p", "q"]


def test_an_unusable_cache_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cached = CachedEmbedder(HashingEmbedder(), path=blocker / "embeddings.sqlite")
    with pytest.raises(ConfigError, match="embedding cache"):
        cached.run(["text"])


def test_a_model_that_cannot_load_raises_or_falls_back_visibly(monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> HashingEmbedder:
        raise ImportError("No module named 'brokenlib'")

    monkeypatch.setitem(embedders.REGISTRY, "test-broken", EmbedderSpec("test-broken", broken, ("broken",)))
    with pytest.raises(ConfigError, match=r"embedder test-broken cannot load \(ImportError: No module named"):
        get_embedder("broken")
    with caplog.at_level(logging.WARNING, logger="bizpilot.retrieval.embedders"):
        emb = get_embedder("broken", fallback=True)
    assert isinstance(emb, FallbackEmbedder)
    assert emb.name == FALLBACK and emb.requested == "test-broken" and emb.dim == HashingEmbedder.dim
    assert emb.fallback_reason == "embedder test-broken cannot load (ImportError: No module named 'brokenlib')"
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "using hash-char-2-4" in caplog.text
    assert np.array_equal(emb.run(TEXTS), HashingEmbedder().run(TEXTS))
    assert get_embedder("e5", fallback=True).fallback_reason is None  # a model that loads is used as asked


def test_threads_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_EMBED_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    reset_settings()
    try:
        assert embed_threads() == 3
        monkeypatch.delenv("BIZPILOT_EMBED_THREADS")
        reset_settings()
        assert embed_threads() == 5
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert embed_threads() == 2
    finally:
        reset_settings()
