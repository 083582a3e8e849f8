"""Knowledge-base retrieval measured on public ranking tasks: recall@1/5/10 and MRR (`bizpilot eval retrieval`).

``atec``: for each pair labelled 1, question 1 searches all distinct question-2 texts of the file. ``amazon-qa``:
each question searches the answers of its own product (``asin``). The pieces are the assistant's: BM25 (jieba
``cut_for_search`` + character bigrams and unigrams for Chinese, a stemming English analyzer), an embedder
(``auto``: e5 for Chinese data, MiniLM for English) and reciprocal rank fusion; mode ``auto`` picks per format what
measured best (vector alone on Amazon QA, hybrid on ATEC, where the e5 ranking also gets the index's hubness
correction, see ``retrieval/vector.py``). Queries are expanded as the assistant's knowledge search expands them
(the built-in bilingual variant table, ``retrieval/synonyms.py``, added to the keyword query and, as
``services/assistant/knowledge.EXPAND_DENSE`` says, to the semantic one), so the score is the product's; the
result says so (``query_expansion``), ``expansion=False`` (``--no-expansion``) scores without it, and
``compare_expansion`` also ranks every query without it on the same index (``without_expansion``). The workspace's
own glossary variants are left out: the tasks are public data, not a workspace. Embeddings are cached on disk
(``~/.cache/bizpilot`` or ``BIZPILOT_CACHE_DIR``), so a second run only pays for retrieval.

Two steps, so a caller can show what will be indexed and size a progress bar before the long part:
``prepare_retrieval`` reads (and samples) the file and builds the retriever, ``evaluate_retrieval`` indexes,
ranks and scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizpilot.errors import ValidationFailed

MODES = ("auto", "hybrid", "bm25", "vector")
EMBEDDERS = ("auto", "minilm", "e5", "workspace")
# Chosen by measurement (README): on Amazon QA keyword ranks only hurt the MiniLM ranking; on ATEC they help.
AUTO_MODE = {"amazon-qa": "vector", "atec": "hybrid"}
HUBNESS_K = 20  # neighbours behind each text's hub score (10-50 measured alike on ATEC samples)
EMBED_BATCH = 2048


def build_retriever(*, fmt: str, mode: str, embedder: str, adapter: Any = None,
                    expansion: bool = True) -> tuple[Any, str | None]:
    """The assistant's retriever set up for a task format and mode, and the embedder's name (None without
    vectors); ``expansion``: its query expansion (the built-in variant table, the semantic query expanded as the
    assistant does). The pre-trained embedders are scored as shipped (a workspace adapter is not applied) unless
    ``embedder`` is ``workspace`` (the workspace's trained embedding model) or ``adapter`` is given (one trained
    for this run)."""
    from bizpilot.retrieval import (
        BM25Index,
        ChineseAnalyzer,
        HybridRetriever,
        MixedAnalyzer,
        VectorIndex,
        get_embedder,
    )

    use_workspace = embedder == "workspace"
    if embedder in ("auto", "workspace"):
        embedder = "e5" if fmt == "atec" else "minilm"
    if adapter is not None:
        embedder = adapter.base_
    analyzer = MixedAnalyzer(chinese=ChineseAnalyzer(bigrams=True, unigrams=fmt == "atec"))
    bm25 = BM25Index(analyzer=analyzer) if mode in ("hybrid", "bm25") else None
    vector = None
    if mode in ("hybrid", "vector"):
        # ATEC is one narrow domain (花呗/借呗) whose generic questions crowd every top 5: hubness correction helped
        # recall@5 on two disjoint 2,000-query samples (README); Amazon QA ranks within one product, left as is.
        emb = get_embedder(embedder, adapted=use_workspace)
        if use_workspace and not hasattr(emb, "adapter"):
            raise ValidationFailed(f"--embedder workspace: this workspace has no usable embedding model for "
                                   f"{embedder} ({getattr(emb, 'fallback_reason', None) or 'not trained'}); "
                                   "train one with `bizpilot train embedder --pairs FILE`")
        if adapter is not None:
            from bizpilot.retrieval.embedders import AdaptedEmbedder

            emb = AdaptedEmbedder(emb, adapter, digest="run")
        vector = VectorIndex(embedder=emb, symmetric=fmt == "atec",
                             hubness_k=HUBNESS_K if fmt == "atec" else 0)
    expander, expand_dense = None, False
    if expansion:
        from bizpilot.retrieval.synonyms import builtin_expander
        from bizpilot.services.assistant.knowledge import EXPAND_DENSE

        expander, expand_dense = builtin_expander(), EXPAND_DENSE
    return (HybridRetriever(bm25=bm25, vector=vector, depth=100, expander=expander, expand_dense=expand_dense),
            (vector.embedder.name if vector else None))


@dataclass
class RetrievalPlan:
    """A read (and possibly sampled) ranking task with the retriever that will be measured on it."""

    fmt: str
    mode: str
    task: Any  # bizpilot.retrieval.benchmark.RankingTask
    n_total: int  # queries in the file before sampling
    retriever: Any  # bizpilot.retrieval.HybridRetriever
    embedder: str | None
    started: float  # perf_counter() when reading began: `seconds` counts the whole run
    training: dict[str, Any] | None = None  # what --train-pairs trained and held out
    compare_expansion: bool = False  # also rank without query expansion on the same index


def prepare_retrieval(*, data: Path, fmt: str, mode: str = "auto", embedder: str = "auto", limit: int | None = None,
                      seed: int = 42, train_pairs: Path | None = None, holdout: float = 1 / 3,
                      expansion: bool = True, compare_expansion: bool = False,
                      on_note: Callable[[str], None] | None = None) -> RetrievalPlan:
    """Check the options, read the task and keep a seeded sample of ``limit`` queries (the pool stays whole).
    ``expansion``: expand queries as the assistant does; ``compare_expansion``: also score without (needs it on).
    ``train_pairs``: first train an embedding adapter on those pairs (``evaluation/retrieval_training.py``); the
    scored queries' questions are held out of training."""
    import numpy as np

    from bizpilot.retrieval.benchmark import FORMATS, read_task

    fmt, mode = fmt.lower(), mode.lower()
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown --format {fmt!r}; one of: {', '.join(FORMATS)}")
    if mode not in MODES:
        raise ValidationFailed(f"unknown --mode {mode!r}; one of: {', '.join(MODES)}")
    if embedder not in EMBEDDERS:
        raise ValidationFailed(f"unknown --embedder {embedder!r}; one of: {', '.join(EMBEDDERS)}")
    if compare_expansion and not expansion:
        raise ValidationFailed("--compare-expansion scores with and without query expansion: drop --no-expansion")
    if mode == "auto":
        mode = AUTO_MODE[fmt]
    started = time.perf_counter()
    task = read_task(data, fmt)
    n_all = n_file = len(task.queries)
    adapter, training = None, None
    if train_pairs is not None:
        if mode == "bm25":
            raise ValidationFailed("--train-pairs trains the embedder: use --mode hybrid, vector or auto")
        from bizpilot.services.evaluation.retrieval_training import train_for_task

        base = embedder if embedder in ("minilm", "e5") else ("e5" if fmt == "atec" else "minilm")
        adapter, training = train_for_task(task=task, base=base, path=Path(train_pairs), data=Path(data),
                                           holdout=holdout, seed=seed, on_note=on_note)
        n_all = len(task.queries)
    if limit is not None and limit < n_all:
        keep = np.sort(np.random.default_rng(seed).choice(n_all, size=limit, replace=False))
        task.queries = [task.queries[i] for i in keep]
        task.gold = [task.gold[i] for i in keep]
        task.candidates = [task.candidates[i] for i in keep] if task.candidates is not None else None
        task.also_relevant = [task.also_relevant[i] for i in keep] if task.also_relevant else []
    retriever, emb_name = build_retriever(fmt=fmt, mode=mode, embedder=embedder, adapter=adapter,
                                          expansion=expansion)
    return RetrievalPlan(fmt=fmt, mode=mode, task=task, n_total=n_file, retriever=retriever, embedder=emb_name,
                         started=started, training=training, compare_expansion=compare_expansion)


def _embed(embedder: Any, texts: list[str], *, is_query: bool, label: str,
           on_note: Callable[[str], None] | None) -> Any:
    """Embed in batches, noting each batch (a first run on a large file takes minutes; later runs hit the
    cache)."""
    import numpy as np

    parts = []
    for start in range(0, len(texts), EMBED_BATCH):
        parts.append(embedder.run(texts[start:start + EMBED_BATCH], is_query=is_query))
        if len(texts) > EMBED_BATCH and on_note:
            on_note(f"  embedded {min(start + EMBED_BATCH, len(texts))}/{len(texts)} {label}")
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def evaluate_retrieval(*, plan: RetrievalPlan, on_progress: Callable[[int], None] | None = None,
                       on_note: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Index the pool, embed the queries (before timing the searches), rank every query's gold text and score.
    ``on_progress`` gets the number of queries ranked so far; ``on_note`` a line per embedding batch."""
    from bizpilot.ml.evaluation import retrieval_rank_metrics
    from bizpilot.retrieval.benchmark import pool_chunks, rank_gold

    task, retriever = plan.task, plan.retriever
    t0 = time.perf_counter()
    chunks = pool_chunks(task)
    vectors = None
    if retriever.vector is not None:
        vectors = _embed(retriever.vector.embedder, [c.index_text() for c in chunks],
                         is_query=retriever.vector.symmetric, label="pool", on_note=on_note)
    retriever.fit(chunks, vectors=vectors)
    index_s = time.perf_counter() - t0
    expanded = _expanded_queries(retriever, task.queries)
    if retriever.vector is not None:  # embed all queries in batches (and cache them) before timing the searches
        t1 = time.perf_counter()
        # the semantic query of an expanded question is the question plus its variants: embedded here too
        texts = list(dict.fromkeys([*task.queries, *(dense for _, dense in expanded.values())]))
        qv = _embed(retriever.vector.embedder, texts, is_query=True, label="queries", on_note=on_note)
        embed_q_s = time.perf_counter() - t1
        query_vectors = dict(zip(texts, qv, strict=True))
        vector = retriever.vector
        vector.embed_query = lambda q: query_vectors[q] if q in query_vectors else vector.embedder.run(
            [q], is_query=True)[0]
    else:
        embed_q_s = 0.0
    t2 = time.perf_counter()
    ranks = rank_gold(task, retriever, depth=100,
                      progress=(lambda done, total: on_progress(done)) if on_progress else None)
    search_s = time.perf_counter() - t2
    metrics = retrieval_rank_metrics(ranks, ks=(1, 5, 10))
    without = None
    if plan.compare_expansion and retriever.expander is not None:
        expander, retriever.expander = retriever.expander, None
        try:
            plain = retrieval_rank_metrics(rank_gold(task, retriever, depth=100), ks=(1, 5, 10))
        finally:
            retriever.expander = expander
        without = {k: round(v, 4) for k, v in plain.items()}
    return {
        "task": "retrieval", "format": plan.fmt, "mode": plan.mode, "embedder": plan.embedder,
        **{k: round(v, 4) for k, v in metrics.items()},
        "n": len(task.queries), "n_total": plan.n_total, "index_size": len(task.pool),
        "index_seconds": round(index_s, 2), "query_embed_seconds": round(embed_q_s, 2),
        "search_ms_per_query": round(1000 * search_s / max(1, len(task.queries)), 3),
        "seconds": round(time.perf_counter() - plan.started, 2),
        **({"training": plan.training} if plan.training is not None else {}),
        "query_expansion": retriever.expander is not None,
        "expanded_queries": len(expanded),
        **({"without_expansion": without} if without is not None else {}),
    }


def _expanded_queries(retriever: Any, queries: list[str]) -> dict[str, tuple[str, str]]:
    """The queries the retriever's expander adds variants to: query -> (variants added, semantic query as the
    retriever ranks with it; the question itself unless it expands the semantic query too)."""
    if retriever.expander is None:
        return {}
    out = {}
    for query in dict.fromkeys(queries):
        found = retriever.expansion(query)
        if found is not None and found.terms:
            # the retriever's own semantic query (retrieval/hybrid.py), so the vectors embedded here are the ones
            # its searches look up
            dense = retriever._dense_query(query) if retriever.expand_dense else query
            out[query] = (" ".join(found.terms), dense)
    return out


__all__ = ["AUTO_MODE", "EMBEDDERS", "MODES", "RetrievalPlan", "build_retriever", "evaluate_retrieval",
           "prepare_retrieval"]
