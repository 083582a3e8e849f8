"""The workspace embedding adapter on ATEC question matching: recall@5 / MRR of BM25, the untrained e5 vector and
hybrid retrievers and the adapted ones, on the same held-out queries (their question groups never trained on), for
several seeds; mean and spread, plus training time and peak memory.

    python bench/embedder.py [--seeds 0 1 2] [--data ../shared/data]

Scored as `bizpilot eval retrieval --format atec` does (whole pool of 38,987 texts, hubness-corrected e5, RRF);
the adapted run is `bizpilot eval retrieval --train-pairs FILE --seed S` on the same file.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from bizpilot.services.evaluation.retrieval import (
    RetrievalPlan,
    build_retriever,
    evaluate_retrieval,
    prepare_retrieval,
)


def run_seed(atec: Path, seed: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    trained = prepare_retrieval(data=atec, fmt="atec", mode="hybrid", train_pairs=atec, seed=seed)
    for mode in ("bm25", "vector", "hybrid"):
        retriever, name = build_retriever(fmt="atec", mode=mode, embedder="e5")
        plan = RetrievalPlan(fmt="atec", mode=mode, task=trained.task, n_total=trained.n_total, retriever=retriever,
                             embedder=name, started=trained.started)
        out[mode] = evaluate_retrieval(plan=plan)
    out["adapted hybrid"] = evaluate_retrieval(plan=trained)
    vec_retriever, vec_name = build_retriever(fmt="atec", mode="vector", embedder="e5",
                                              adapter=trained.retriever.vector.embedder.adapter)
    out["adapted vector"] = evaluate_retrieval(plan=RetrievalPlan(
        fmt="atec", mode="vector", task=trained.task, n_total=trained.n_total, retriever=vec_retriever,
        embedder=vec_name, started=trained.started))
    out["training"] = trained.training or {}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    atec = args.data / "atec-alipay-question-matching" / "atec_nlp_sim_train.csv"
    if not atec.is_file():
        raise SystemExit(f"ATEC file not found: {atec}")
    runs = {}
    for seed in args.seeds:
        runs[seed] = run_seed(atec, seed)
        print(json.dumps({"seed": seed, **{k: ({m: v[m] for m in ("recall@5", "mrr", "n")} if k != "training" else v)
                                          for k, v in runs[seed].items()}}, ensure_ascii=False), flush=True)
    print(f"| retriever | recall@5 (mean ± sd over seeds {args.seeds}) | MRR |")
    print("|---|---|---|")
    for key in ("bm25", "vector", "hybrid", "adapted vector", "adapted hybrid"):
        r5 = [runs[s][key]["recall@5"] for s in args.seeds]
        mrr = [runs[s][key]["mrr"] for s in args.seeds]
        sd = statistics.stdev if len(r5) > 1 else (lambda _: 0.0)
        print(f"| {key} | {statistics.mean(r5):.4f} ± {sd(r5):.4f} | {statistics.mean(mrr):.4f} ± {sd(mrr):.4f} |")
    t = [runs[s]["training"] for s in args.seeds]
    print(f"training: embed {max(x['embed_seconds'] for x in t)} s, fit {max(x['fit_seconds'] for x in t)} s, "
          f"peak memory {max(x['peak_memory_mb'] for x in t)} MB (max over seeds)")


if __name__ == "__main__":
    main()
