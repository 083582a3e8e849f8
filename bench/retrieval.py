"""Benchmark: knowledge-base retrieval latency on 10,000 chunks (LLM time excluded), English and Chinese.

    .venv/bin/python bench/retrieval.py [--chunks 10000] [--queries 300] [--data ../shared/data]

English: 10,000 texts of Amazon QA (answers, then questions) searched by held-out questions with MiniLM; Chinese:
10,000 distinct ATEC questions searched by held-out ATEC questions with e5. Index vectors come from the embedding
cache of the workspace (``BIZPILOT_HOME``, or ``BIZPILOT_CACHE_DIR``; the first run fills it: minutes); each query
is embedded at search time by the bare model (``get_embedder(name, cache=False)``), uncached, as in the assistant.
In the same process and on the same queries: BM25 alone (the peer every ratio is against), the vector index alone
(query embedding + exact dot product + argpartition), the hybrid retriever (both, fused by rank) and the hybrid
retriever with the query vector computed beforehand (the index's own cost, without the model). Prints a
table on stderr and one JSON object on stdout. The goal: p95 <= 50 ms per query on 10,000 chunks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bizpilot.retrieval import BM25Index, HybridRetriever, VectorIndex, get_embedder  # noqa: E402
from bizpilot.retrieval.benchmark import read_task  # noqa: E402
from bizpilot.retrieval.types import Chunk  # noqa: E402


def corpora(data: Path, n: int, n_queries: int) -> list[tuple[str, str, list[str], list[str]]]:
    out = []
    qa = data / "amazon-qa-appliances" / "qa_appliances.jsonl"
    if qa.is_file():
        task = read_task(qa, "amazon-qa")
        texts = list(dict.fromkeys(task.pool + task.queries))
        index, rest = texts[:n], [q for q in dict.fromkeys(task.queries) if q not in set(texts[:n])]
        out.append(("en (Amazon QA)", "minilm", index, rest[:n_queries]))
    atec = data / "atec-alipay-question-matching" / "atec_nlp_sim_train.csv"
    if atec.is_file():
        task = read_task(atec, "atec")
        index = task.pool[:n]
        held = [q for q in dict.fromkeys(task.queries) if q not in set(index)]
        out.append(("zh (ATEC)", "e5", index, held[:n_queries]))
    return out


def timed(run, queries: list[str]) -> np.ndarray:  # noqa: ANN001
    for q in queries[:10]:  # warm-up: first-call allocations, lazy loads
        run(q)
    ms = []
    for q in queries:
        t = time.perf_counter()
        run(q)
        ms.append(1000 * (time.perf_counter() - t))
    return np.array(ms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    results = []
    for name, emb_name, texts, queries in corpora(args.data, args.chunks, args.queries):
        chunks = [Chunk(text=t, source=f"bench:{i}") for i, t in enumerate(texts)]
        cached = get_embedder(emb_name)  # index vectors from the workspace's cache
        symmetric = emb_name == "e5"  # ATEC "chunks" are questions themselves (as in the eval)
        vectors = cached.run(texts, is_query=symmetric)
        raw = get_embedder(emb_name, cache=False)  # queries are embedded live
        bm25 = HybridRetriever(bm25=BM25Index()).fit(chunks)
        vec = HybridRetriever(vector=VectorIndex(embedder=raw, symmetric=symmetric)).fit(chunks, vectors=vectors)
        hyb = HybridRetriever(bm25=BM25Index(), vector=VectorIndex(embedder=raw, symmetric=symmetric)).fit(
            chunks, vectors=vectors)
        # The same hybrid search with the query vectors computed beforehand: what the index itself costs.
        qv = dict(zip(queries, raw.run(queries, is_query=True), strict=True))
        pre = HybridRetriever(bm25=BM25Index(), vector=VectorIndex(embedder=raw, symmetric=symmetric)).fit(
            chunks, vectors=vectors)
        pre.vector.embed_query = qv.__getitem__
        base = None
        for label, retriever in (("bm25 (peer)", bm25), ("vector", vec), ("hybrid", hyb),
                                 ("hybrid, query vector given", pre)):
            ms = timed(lambda q, r=retriever: r.run(q, k=5), queries)
            p50, p95 = float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
            base = base or p95
            row = {"corpus": name, "retriever": label, "chunks": len(texts), "queries": len(queries),
                   "embedder": None if label.startswith("bm25") else raw.name, "p50_ms": round(p50, 2),
                   "p95_ms": round(p95, 2), "mean_ms": round(float(ms.mean()), 2),
                   "p95_vs_bm25": round(p95 / base, 2), "meets_50ms_p95": p95 <= 50}
            results.append(row)
            print(f"{name:16} {label:27} n={len(texts):6} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                  f"x{p95 / base:5.2f} vs bm25", file=sys.stderr, flush=True)
    print(json.dumps({"bench": "retrieval", "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
