"""BM25, the embedders and their cache, the vector index, rank fusion and the hybrid retriever (real models)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import InvalidParameter
from bizpilot.retrieval import (
    BM25Index,
    CachedEmbedder,
    Chunk,
    E5Embedder,
    HybridRetriever,
    MiniLMEmbedder,
    ReciprocalRankFusion,
    VectorIndex,
    get_embedder,
)
from bizpilot.retrieval.bm25 import top_k
from bizpilot.retrieval.loaders import load_path
from tests.retrieval.kb_sample import embed_cache, write_kb  # noqa: F401  (fixture)

DOCS = ["Refunds are paid within 7 business days after inspection.",
        "Standard delivery takes 3-5 business days.",
        "We accept Visa and Mastercard credit cards.",
        "信用账户的付款条件为月结30天。"]


def test_top_k_orders_and_restricts() -> None:
    scores = np.array([0.1, 0.9, 0.0, 0.5, 0.7])
    ids, vals = top_k(scores, 2)
    assert ids.tolist() == [1, 4] and vals.tolist() == [0.9, 0.7]
    ids, _ = top_k(scores, 5, candidates=np.array([0, 2, 3]), drop_zero=True)
    assert ids.tolist() == [3, 0]


def test_bm25_finds_english_and_chinese_terms() -> None:
    index = BM25Index().fit(DOCS)
    assert index.run("how long until my refund is paid?", 1)[0].tolist() == [0]
    assert index.run("付款条件", 1)[0].tolist() == [3]
    assert index.run("zzz unknown", 3)[0].size == 0  # nothing matched: nothing returned


def test_rrf_rewards_agreement() -> None:
    ids, scores = ReciprocalRankFusion(k=60).run([np.array([1, 2, 3]), np.array([2, 1, 4])])
    assert set(ids[:2].tolist()) == {1, 2} and ids[-1] in (3, 4) and scores[0] > scores[-1]
    ids, _ = ReciprocalRankFusion(weights=[0.1, 1.0]).run([np.array([1, 2]), np.array([2, 1])])
    assert ids[0] == 2


def test_minilm_embeds_english_meaningfully() -> None:
    m = MiniLMEmbedder()
    v = m.run(["How do I return a broken pump?", "Our return policy for damaged goods", "The sky is blue today"])
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1


def test_e5_embeds_chinese_meaningfully() -> None:
    e = E5Embedder()
    q = e.run(["怎么更改花呗手机号码"], is_query=True)[0]
    p = e.run(["花呗绑定的手机号怎么修改", "今天天气很好"], is_query=False)
    assert p[0] @ q > p[1] @ q


def test_cached_embedder_reuses_vectors(tmp_path: Path) -> None:
    cached = CachedEmbedder(MiniLMEmbedder(), path=tmp_path / "c.sqlite")
    first = cached.run(["alpha text", "beta text", "alpha text"])
    assert cached.misses == 2 and cached.hits == 0  # the repeated text is embedded once
    again = cached.run(["beta text", "alpha text"], is_query=True)  # MiniLM is symmetric: same vectors
    assert cached.hits == 2 and np.allclose(again, first[[1, 0]])
    with sqlite3.connect(tmp_path / "c.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 2
    with pytest.raises(InvalidParameter, match="unknown embedder"):
        get_embedder("bert-large")


def test_vector_index_and_hybrid_retriever(tmp_path: Path, embed_cache: Path) -> None:  # noqa: F811
    chunks = load_path(write_kb(tmp_path / "kb"))
    emb = get_embedder("e5")
    retriever = HybridRetriever(bm25=BM25Index(), vector=VectorIndex(embedder=emb)).fit(chunks)
    hits = retriever.run("how many days until I get my money back?", k=3)
    assert hits[0].chunk.heading_path == "Refunds" and hits[0].rank == 1 and hits[0].cosine is not None
    zh = retriever.run("你们的付款条件是什么", k=3)
    assert zh[0].chunk.source == "付款.md"
    d = zh[0].to_dict()
    assert d["citation"].startswith("付款.md §") and d["text"] and d["score"] > 0
    only = retriever.run("refund", k=5, candidates=np.array([0, 1]))
    assert {h.position for h in only} <= {0, 1}
    assert (embed_cache / "embeddings.sqlite").is_file()
    keyword = HybridRetriever(bm25=BM25Index()).fit(chunks)  # no model at all
    assert keyword.run("restocking fee", k=1)[0].chunk.heading_path == "Refunds"
    assert keyword.run("   ", k=3) == []
    with pytest.raises(ValueError):
        HybridRetriever()


class _Fixed:
    """Index vectors are passed to ``fit``; every query embeds to ``QUERY`` (no model needed)."""

    name = "fixed"
    dim = 3

    def run(self, texts: list[str], *, is_query: bool = False) -> np.ndarray:
        assert is_query, "index vectors are passed to fit"
        return np.tile(QUERY, (len(texts), 1))


QUERY = np.array([1.0, 0.75, 0.65]) / np.linalg.norm([1.0, 0.75, 0.65])


def test_hubness_correction_demotes_texts_close_to_everything() -> None:
    rng = np.random.default_rng(0)
    # A tight cluster of 30 "generic" texts near the centre, and one specific text right next to the query.
    generic = np.array([1.0, 1.0, 1.0]) + 0.05 * rng.standard_normal((30, 3))
    spread = rng.standard_normal((60, 3))
    specific = np.array([[1.0, 0.55, 0.45]])
    vectors = np.vstack([generic, spread, specific])
    query = QUERY
    plain = VectorIndex(embedder=_Fixed()).fit(vectors=vectors)
    corrected = VectorIndex(embedder=_Fixed(), hubness_k=5, hubness_sample=50, seed=1).fit(vectors=vectors)
    specific_pos = len(vectors) - 1
    assert plain.hub_ is None and corrected.hub_ is not None and corrected.hub_.shape == (len(vectors),)
    assert corrected.hub_[:30].mean() > corrected.hub_[30:90].mean()  # the cluster is the hub
    assert plain.run(query, 1)[0][0] != specific_pos
    assert corrected.run(query, 1)[0][0] == specific_pos
    # Hits keep reporting the plain cosine; only the order changes.
    hits = HybridRetriever(vector=corrected).fit([Chunk(text=str(i), source="s") for i in range(len(vectors))],
                                                 vectors=vectors).run("any question", k=3)
    assert hits[0].position == specific_pos and hits[0].cosine == pytest.approx(float(corrected.matrix[-1] @ query))
    tiny = VectorIndex(embedder=_Fixed(), hubness_k=5).fit(vectors=vectors[:4])  # too few texts: left off
    assert tiny.hub_ is None
