"""`bizpilot eval retrieval --train-pairs FILE`: train an embedding adapter on a pairs file, then score the
retriever with it on queries whose questions were never trained on.

When the pairs file is the scored file, or shares questions with it, the texts are grouped into connected groups
of paraphrases (joined by the matching pairs of either file: a query and its gold text are one group), a seeded
share of the groups holding scored queries is held out, only those groups' queries are scored, and no pair touching
a held-out text is trained on. The pool searched stays whole, as without training. Non-matching pairs serve as hard
negatives when both their texts are embedded anyway (the task's texts and the matching pairs'): embedding every
other text of a large file (30,000 more on ATEC) would take longer than the training budget on two cores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.errors import InsufficientData


def _scored_subset(task: Any, keep: np.ndarray) -> None:
    idx = np.flatnonzero(keep).tolist()
    task.queries = [task.queries[i] for i in idx]
    task.gold = [task.gold[i] for i in idx]
    task.candidates = [task.candidates[i] for i in idx] if task.candidates is not None else None
    task.also_relevant = [task.also_relevant[i] for i in idx] if task.also_relevant else []


def train_for_task(*, task: Any, base: str, path: Path, data: Path, holdout: float, seed: int,
                   on_note: Callable[[str], None] | None = None) -> tuple[Any, dict[str, Any]]:
    """(fitted adapter, what was trained and held out); ``task`` keeps only the queries to score."""
    from bizpilot.ml.text.adapter import pair_groups
    from bizpilot.services.embedder.pairs import read_pairs
    from bizpilot.services.embedder.training import base_vectors, fit_adapter, peak_memory_mb

    pair_set = read_pairs(path)
    pairs, negatives = pair_set.arrays()
    n_file = len(pair_set.texts)
    where = dict(zip(pair_set.texts, range(n_file), strict=True))
    task_ids = []
    for text in [*task.queries, *task.pool]:
        if text not in where:
            where[text] = len(where)
        task_ids.append(where[text])
    q_ids = np.array(task_ids[:len(task.queries)], dtype=np.int64)
    pool_ids = np.array(task_ids[len(task.queries):], dtype=np.int64)
    links = np.stack([q_ids, pool_ids[np.asarray(task.gold, dtype=np.int64)]], axis=1)
    same_file = path.resolve() == data.resolve()
    shares = same_file or bool(np.any(q_ids < n_file)) or bool(np.any(links[:, 1] < n_file))
    training: dict[str, Any] = {"pairs_file": str(path), "base_embedder": base, "same_file": same_file,
                                "shares_questions": shares, "seed": seed}
    keep_pairs = np.ones(len(pairs), bool)
    keep_neg = np.ones(len(negatives), bool)
    if shares:
        groups = pair_groups(len(where), np.vstack([pairs, links]))
        candidates = np.unique(groups[q_ids])
        n_held = max(1, int(round(holdout * len(candidates))))
        held = np.isin(groups, np.random.default_rng(seed).choice(candidates, size=n_held, replace=False))
        keep_pairs = ~(held[pairs[:, 0]] | held[pairs[:, 1]]) if len(pairs) else keep_pairs
        keep_neg = ~(held[negatives[:, 0]] | held[negatives[:, 1]]) if len(negatives) else keep_neg
        _scored_subset(task, held[q_ids])
        training.update({"split": "connected question groups (texts joined by matching pairs of either file), "
                                  "seeded; only held-out groups' queries scored, no pair touching them trained on",
                         "holdout_share": round(holdout, 4), "heldout_groups": n_held})
    if keep_pairs.sum() < 2:
        raise InsufficientData(f"{path}: fewer than 2 matching pairs left to train on after holding out the "
                               "scored questions")
    embedded = np.zeros(len(where), bool)
    embedded[pairs[keep_pairs].ravel()] = True
    embedded[q_ids] = embedded[pool_ids] = True
    usable = keep_neg & (embedded[negatives[:, 0]] & embedded[negatives[:, 1]] if len(negatives) else keep_neg)
    train_texts = np.unique(np.concatenate([pairs[keep_pairs].ravel(), negatives[usable].ravel()]))
    if on_note:
        on_note(f"training an adapter on {int(keep_pairs.sum())} matching and {int(usable.sum())} non-matching "
                f"pairs ({len(train_texts)} texts)")
    t0 = time.perf_counter()
    local = base_vectors([pair_set.texts[i] for i in train_texts], base)
    vectors = np.zeros((n_file, local.shape[1]), dtype=np.float32)
    vectors[train_texts] = local
    embed_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    adapter = fit_adapter(pair_set, vectors, base, seed=seed, train_mask=(keep_pairs, usable))
    training.update({"n_train_pairs": int(keep_pairs.sum()), "n_train_negatives": int(usable.sum()),
                     "n_negatives_not_embedded": int((keep_neg & ~usable).sum()),
                     "n_scored_queries": len(task.queries), "embed_seconds": round(embed_s, 2),
                     "fit_seconds": round(time.perf_counter() - t1, 2), "peak_memory_mb": peak_memory_mb()})
    return adapter, training


__all__ = ["train_for_task"]
