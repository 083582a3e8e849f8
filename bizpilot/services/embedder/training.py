"""Training the workspace embedding model (``bizpilot train embedder [--pairs FILE]``).

The texts of the pairs are embedded once with the frozen base model (e5 when a tenth or more of them are Chinese,
else MiniLM; through the workspace cache), a seeded share of the connected question groups is held out, an adapter
is fitted on the rest and the held-out questions are ranked among every text of the file before and after
(recall@5, MRR): that gain is what the run records. The saved model is then refitted on all the pairs.
"""

from __future__ import annotations

import resource
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bizpilot.errors import InsufficientData
from bizpilot.services.embedder.pairs import PairSet, group_split, read_pairs, workspace_pairs
from bizpilot.services.models.spec import Progress, Trained

MIN_PAIRS = 20
EMBED_CHUNK = 512
#: Chosen on ATEC (3 folds of held-out question groups): more epochs or a sharper softmax did not help.
ADAPTER_PARAMS: dict[str, Any] = {"epochs": 4, "batch_size": 128, "learning_rate": 1e-3, "scale": 20.0}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if peak > 1 << 32 else 1024), 1)


def base_vectors(texts: list[str], base: str, progress: Progress | None = None) -> np.ndarray:
    """The frozen base model's vectors of ``texts`` (the query side of e5, as classification and question
    matching use it), never the workspace adapter's."""
    from bizpilot.ml.text.embedding import SERVICE_EMBEDDER
    from bizpilot.retrieval.embedders import get_embedder

    service: Any = get_embedder(SERVICE_EMBEDDER[base], adapted=False)
    total = max(1, len(texts))
    return service.run(list(texts), is_query=True, chunk=EMBED_CHUNK,
                       on_progress=(lambda done: progress(0.7 * done / total, "embedding")) if progress else None)


def heldout_ranking(vectors: np.ndarray, pairs: np.ndarray, groups: np.ndarray, k: int = 5) -> dict[str, float]:
    """Each held-out pair's first text searches every text of the set (itself and the other texts of its own
    paraphrase group left out): recall@k and MRR of the second text."""
    if not len(pairs):
        return {"recall_at_5": 0.0, "mrr": 0.0}
    ranks = np.zeros(len(pairs))
    for start in range(0, len(pairs), 512):
        part = pairs[start:start + 512]
        scores = vectors[part[:, 0]] @ vectors.T
        gold = scores[np.arange(len(part)), part[:, 1]][:, None]
        skip = groups[None, :] == groups[part[:, 0]][:, None]
        ranks[start:start + 512] = 1 + ((scores > gold) & ~skip).sum(axis=1)
    return {f"recall_at_{k}": round(float((ranks <= k).mean()), 4), "mrr": round(float((1 / ranks).mean()), 4)}


def fit_adapter(pair_set: PairSet, vectors: np.ndarray, base: str, *, seed: int = 0,
                train_mask: tuple[np.ndarray, np.ndarray] | None = None, progress: Progress | None = None) -> Any:
    """An adapter fitted on ``pair_set`` (or the pairs ``train_mask`` keeps)."""
    from bizpilot.ml.text.adapter import EmbeddingAdapter

    pairs, negatives = pair_set.arrays()
    if train_mask is not None:
        pairs, negatives = pairs[train_mask[0]], negatives[train_mask[1]]
    model = EmbeddingAdapter(base=base, seed=seed, **ADAPTER_PARAMS)
    return model.fit(vectors, pairs, negatives,
                     on_progress=(lambda f: progress(0.7 + 0.25 * f, "fitting")) if progress else None)


def train_embedder(*, session: Session, as_of: datetime, progress: Progress, pairs_file: str | Path | None = None,
                   pair_set: PairSet | None = None, holdout: float = 0.2, seed: int = 0, **_: Any) -> Trained:
    """The workspace embedding model from a pairs file or, without one, from the workspace's knowledge base."""
    from bizpilot.ml.text.adapter import pair_groups
    from bizpilot.ml.text.embedding import choose_embedder

    started = time.perf_counter()
    if pair_set is None:
        pair_set = read_pairs(Path(pairs_file)) if pairs_file else workspace_pairs(session=session)
    pairs, negatives = pair_set.arrays()
    if len(pairs) < MIN_PAIRS:
        raise InsufficientData(f"{len(pairs)} matching pairs from {pair_set.source or 'the workspace'}; an "
                               f"embedding model needs at least {MIN_PAIRS} (`bizpilot train embedder --pairs FILE`)")
    base = choose_embedder(pair_set.texts)
    progress(0.0, f"embedding {len(pair_set.texts)} texts with {base}")
    t0 = time.perf_counter()
    vectors = base_vectors(pair_set.texts, base, progress)
    embed_s = time.perf_counter() - t0
    metrics: dict[str, Any] = {"base_embedder": base, "pairs_source": pair_set.source, "n_texts": len(pair_set.texts),
                               "n_pairs": int(len(pairs)), "n_negatives": int(len(negatives))}
    t1 = time.perf_counter()
    if holdout > 0:
        held_pairs, held_neg = group_split(pair_set, share=holdout, seed=seed)
        if held_pairs.any() and (~held_pairs).sum() >= 2:
            groups = pair_groups(len(pair_set.texts), pairs)
            probe = fit_adapter(pair_set, vectors, base, seed=seed, train_mask=(~held_pairs, ~held_neg))
            before = heldout_ranking(vectors, pairs[held_pairs], groups)
            after = heldout_ranking(probe.transform(vectors), pairs[held_pairs], groups)
            metrics.update({"heldout_pairs": int(held_pairs.sum()), "heldout_split": "connected paraphrase groups",
                            "heldout_seed": seed, **{f"heldout_{k}_before": v for k, v in before.items()},
                            **{f"heldout_{k}_after": v for k, v in after.items()},
                            "heldout_recall_at_5_gain": round(after["recall_at_5"] - before["recall_at_5"], 4)})
    model = fit_adapter(pair_set, vectors, base, seed=seed, progress=progress)
    metrics.update({"embed_seconds": round(embed_s, 2), "fit_seconds": round(time.perf_counter() - t1, 2),
                    "seconds": round(time.perf_counter() - started, 2), "peak_memory_mb": peak_memory_mb(),
                    "final_loss": model.loss_curve_[-1] if model.loss_curve_ else None})
    _forget_retrievers()
    return Trained(model, metrics, n_rows=int(len(pairs)),
                   params={**model.get_params(), "pairs_file": str(pairs_file) if pairs_file else None,
                           "holdout": holdout})


def _forget_retrievers() -> None:
    """This process's knowledge retrievers hold vectors of the old embedder: rebuild them on the next question."""
    from bizpilot.services.assistant.knowledge import invalidate

    invalidate()


__all__ = ["ADAPTER_PARAMS", "base_vectors", "fit_adapter", "heldout_ranking", "peak_memory_mb", "train_embedder"]
