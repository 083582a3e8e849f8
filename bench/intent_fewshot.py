"""Few-shot intent classification on banking77 (issue 17): N labelled examples per intent drawn from train.csv
(seeded), the rows not drawn as the test proxy (the official test split is kept aside), over several seeds.

Each seed scores, on the same split and in the same process, the product's intent model (``--method auto``: the
few-shot adapter for this case), the previous TF-IDF + embedding SVM (``svm``) and the TF-IDF + linear SVM baseline
with a CV-tuned threshold that `bizpilot eval intent` prints. ``--oos-intents K`` holds K intents out as out of
scope (their drawn rows teach ``oos``, their other rows test it) and adds in-scope accuracy and out-of-scope
recall/precision.

Embedding 10,000 texts with e5 takes ~9 minutes on one core, so ``--vectors DIR`` keeps each embedder's vectors
of the file's rows in ``DIR`` (computed once through the embedding service, same truncation as the models) and
serves them to the models; other texts (intent names) are embedded live.

    OMP_NUM_THREADS=1 python bench/intent_fewshot.py --vectors /work/evaldata/emb --seeds 0,1,2,3,4

Other labelled files: ``--text-col``/``--label-col`` name the columns, ``--per-label N`` first draws N rows per
label (``--sample-seed``), and a method may name its embedder (``fewshot:e5``). Chinese, with the 10 product
categories of online_shopping_10_cats as a proxy intent set (``bench/intent_fewshot.md``):

    python bench/intent_fewshot.py --data ../shared/data/chinese-review-sentiment/online_shopping_10_cats.csv \
        --text-col review --label-col cat --per-label 400 --shots 10 --seeds 0,1,2 --methods svm,fewshot,fewshot:e5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "banking77" / "train.csv"


def _serve_cached_vectors(texts: list[str], directory: Path, tag: str = "b77") -> None:
    """Give the intent models the stored vectors of ``texts`` (computing and storing them when absent)."""
    import bizpilot.ml.text.intent as intent_module
    from bizpilot.ml.text.embedding import MAX_CHARS, SERVICE_EMBEDDER, embed

    clipped = [t[:MAX_CHARS] for t in texts]
    index = {t: i for i, t in enumerate(clipped)}
    vectors: dict[str, np.ndarray] = {}
    for name, service in SERVICE_EMBEDDER.items():
        path = directory / f"intent_{tag}_{service}.npy"
        if not path.is_file():
            print(f"embedding {len(texts)} texts with {name} (once) -> {path}", file=sys.stderr)
            np.save(path, embed(clipped, name).astype(np.float32))
        vectors[name] = np.load(path)
        if vectors[name].shape[0] != len(texts):
            raise SystemExit(f"{path} holds {vectors[name].shape[0]} rows, the file {len(texts)}: remove it")

    def cached(batch, name, on_progress=None, chunk=512):  # noqa: ANN001, ANN202 - embed()'s signature
        batch = [str(t or "")[:MAX_CHARS] for t in batch]
        if all(t in index for t in batch):
            return vectors[name][[index[t] for t in batch]]
        return embed(batch, name, on_progress=on_progress, chunk=chunk)

    intent_module.embed = cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--oos-intents", type=int, default=0)
    parser.add_argument("--methods", default="auto,svm")
    parser.add_argument("--vectors", type=Path, default=None)
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    parser.add_argument("--per-label", type=int, default=None, help="first draw this many rows per label")
    parser.add_argument("--sample-seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found (banking77 train.csv from ../shared/data)")

    import pandas as pd

    from bizpilot.services.evaluation.signals import evaluate_intent, few_shot_split

    frame = pd.read_csv(args.data).dropna(subset=[args.text_col, args.label_col])
    tag = "b77" if args.data.resolve() == DATA.resolve() else args.data.stem
    if args.per_label:
        frame = frame.groupby(args.label_col, group_keys=False).sample(n=args.per_label, random_state=args.sample_seed)
        tag += f"_{args.per_label}x{args.sample_seed}"
    texts, labels = [str(t) for t in frame[args.text_col]], [str(c) for c in frame[args.label_col]]
    if args.vectors:
        args.vectors.mkdir(parents=True, exist_ok=True)
        _serve_cached_vectors(texts, args.vectors, tag)
    keys = ("accuracy", "fit_seconds", "in_scope_accuracy", "oos_recall", "oos_precision")
    rows: dict[str, dict[str, list[float]]] = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        train, test, _ = few_shot_split(train=(texts, labels), test=None, shots=args.shots, seed=seed,
                                           oos_intents=args.oos_intents)
        for i, method in enumerate(args.methods.split(",")):
            started = time.perf_counter()
            how, _, embedder = method.partition(":")
            result = evaluate_intent(train=train, test=test, method=how, embedder=embedder or "auto", baseline=i == 0)
            line = {k: result.get(k) for k in keys} | {"method": result["method"], "embedder": result["embedder"],
                                                       "seconds": round(time.perf_counter() - started, 1)}
            print(json.dumps({"seed": seed, **line, "n_train": result["n_train"], "n": result["n"]}), flush=True)
            for k in keys:
                if result.get(k) is not None:
                    rows.setdefault(method, {}).setdefault(k, []).append(result[k])
            if i == 0:
                for k in keys:
                    if result.get(f"baseline_{k}") is not None:
                        rows.setdefault("baseline", {}).setdefault(k, []).append(result[f"baseline_{k}"])
                rows.setdefault("baseline", {}).setdefault("fit_seconds", []).append(result["baseline_fit_seconds"])
                rows.setdefault("peak", {}).setdefault("peak_memory_mb", []).append(result["peak_memory_mb"])
    print(f"{args.data.name}, {len(texts)} rows, shots {args.shots}, oos intents {args.oos_intents}, seeds "
          f"{args.seeds}: mean ± sd (population)")
    for name, metrics in rows.items():
        cells = [f"{k} {statistics.mean(v):.4f} ± {statistics.pstdev(v):.4f}" for k, v in metrics.items()]
        print(f"  {name:9s} " + "; ".join(cells))


if __name__ == "__main__":
    main()
