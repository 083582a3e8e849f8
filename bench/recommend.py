"""Benchmark: our recommenders beside Surprise (SVD, SVD++, KNNBaseline) and implicit (ALS, BPR), same folds, one run.

    .venv/bin/python bench/recommend.py [--data ../shared/data/movielens-100k] [--folds 5] [--skip-svdpp]
                                        [--scale-interactions 1000000] [--skip-scale] [--skip-ranking]

1. Rating prediction on the official ml-100k u1..u5 folds: RMSE, MAE and fit seconds per fold for ours
   (bayes-mf, mf, knn-item, knn-user, baseline) and Surprise (SVD, SVD++, KNNBaseline item pearson_baseline).
   Ratios of our fit time to Surprise SVD++'s and SVD's are measured in this same process.
2. Top-10 ranking, per-user stratified 75/25 (Microsoft Recommenders protocol, seed 42): ours (ease, itemknn, als,
   popularity) and implicit's ALS and BPR on the same split, training items filtered, all test items relevant.
3. Scale: a synthetic implicit set of ``--scale-interactions`` purchases (power-law items, 100k accounts, 20k
   products) trained by our ALS and item-KNN; fit seconds and the process's peak RSS (resource.getrusage).

Prints tables on stderr and one JSON object on stdout. Timings depend on the machine and its load: compare the
ratios, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "movielens-100k"

from bizpilot.ml.evaluation import mae, rmse  # noqa: E402
from bizpilot.ml.recommend import make_model  # noqa: E402
from bizpilot.ml.recommend.data import movielens_folds, read_movielens  # noqa: E402
from bizpilot.ml.recommend.evaluate import make_folds, score_ranking  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rating_bench(data: Path, n_folds: int, skip_svdpp: bool) -> dict[str, dict[str, Any]]:
    folds = movielens_folds(data)[:n_folds]
    ours = ["bayes-mf", "mf", "knn-item", "knn-user", "baseline"]
    theirs = ["surprise-svd", "surprise-knnbaseline"] + ([] if skip_svdpp else ["surprise-svdpp"])
    rows: dict[str, list[tuple[float, float, float]]] = {m: [] for m in ours + theirs}
    for f, (train, test) in enumerate(folds, start=1):
        for name in ours:
            t0 = time.perf_counter()
            model = make_model(name).fit(train.users, train.items, train.values)
            fit = time.perf_counter() - t0
            pred, _ = model.predict(test.users, test.items)
            rows[name].append((rmse(test.values, pred), mae(test.values, pred), fit))
        for name in theirs:
            rows[name].append(_surprise(name, train, test))
        log(f"fold u{f}: " + ", ".join(f"{m} {rows[m][-1][0]:.4f}/{rows[m][-1][2]:.2f}s" for m in rows))
    return {m: {"rmse": float(np.mean([r[0] for r in v])), "mae": float(np.mean([r[1] for r in v])),
                "fit_seconds": float(np.mean([r[2] for r in v])), "rmse_per_fold": [float(r[0]) for r in v],
                "fit_seconds_per_fold": [float(r[2]) for r in v]} for m, v in rows.items()}


def _surprise(name: str, train: Any, test: Any) -> tuple[float, float, float]:
    import pandas as pd
    from surprise import SVD, Dataset, KNNBaseline, Reader, SVDpp

    frame = pd.DataFrame({"u": train.users, "i": train.items, "r": train.values})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5))).build_full_trainset()
    algo = {"surprise-svd": lambda: SVD(random_state=0), "surprise-svdpp": lambda: SVDpp(random_state=0),
            "surprise-knnbaseline": lambda: KNNBaseline(sim_options={"name": "pearson_baseline",
                                                                       "user_based": False}, verbose=False)}[name]()
    t0 = time.perf_counter()
    algo.fit(trainset)
    fit = time.perf_counter() - t0
    pred = np.array([algo.predict(u, i).est for u, i in zip(test.users, test.items, strict=True)])
    return rmse(test.values, pred), mae(test.values, pred), fit


def ranking_bench(data: Path) -> dict[str, dict[str, float]]:
    (train, test), = make_folds(read_movielens(data), "stratified", seed=42)
    out: dict[str, dict[str, float]] = {}
    for name in ("ease", "itemknn", "als", "popularity"):
        t0 = time.perf_counter()
        model = make_model(name).fit(train.users, train.items, train.values)
        fit = time.perf_counter() - t0
        out[name] = {**_ranked(score_ranking(model, train, test, 10)), "fit_seconds": fit}
    for name in ("implicit-als", "implicit-bpr"):
        out[name] = _implicit(name, train, test)
    return out


def _ranked(m: dict[str, float]) -> dict[str, float]:
    return {k: m[k] for k in ("ndcg@10", "precision@10", "recall@10", "map@10", "coverage@10")}


def _implicit(name: str, train: Any, test: Any) -> dict[str, float]:
    """implicit's models on our binarised matrix, scored by the same function through a thin adapter."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    from bizpilot.ml.recommend.implicit import PopularityRecommender

    holder = PopularityRecommender().fit(train.users, train.items)  # the id mapping and matrix
    X = holder.user_items_.astype(np.float32)
    X.data[:] = 1.0
    algo = (AlternatingLeastSquares(factors=64, regularization=0.05, iterations=15, random_state=0, num_threads=1)
            if name == "implicit-als" else
            BayesianPersonalizedRanking(factors=64, iterations=100, random_state=0, num_threads=1))
    t0 = time.perf_counter()
    algo.fit(X, show_progress=False)
    fit = time.perf_counter() - t0
    U, V = np.asarray(algo.user_factors), np.asarray(algo.item_factors)
    holder._score = lambda users: U[users] @ V.T  # type: ignore[method-assign]
    return {**_ranked(score_ranking(holder, train, test, 10)), "fit_seconds": fit}


def scale_bench(n_interactions: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_users, n_items = 100_000, 20_000
    users = rng.integers(0, n_users, n_interactions)
    items = np.minimum(rng.zipf(1.3, n_interactions) - 1, n_items - 1)
    items = (items * 7919 + rng.integers(0, 3, n_interactions)) % n_items  # spread the head over the catalogue
    counts = rng.poisson(1.0, n_interactions) + 1.0
    out: dict[str, Any] = {"n_interactions": n_interactions, "n_users": n_users, "n_items": n_items}
    for name, params in (("als", {"factors": 64, "iterations": 15}), ("itemknn", {})):
        t0 = time.perf_counter()
        model = make_model(name, **params).fit(users, items, counts)
        fit = time.perf_counter() - t0
        t1 = time.perf_counter()
        model.recommend(model.user_ids_[:1000], 10)
        out[name] = {"fit_seconds": fit, "recommend_1000_users_seconds": time.perf_counter() - t1}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def table(title: str, rows: dict[str, dict[str, Any]], cols: list[str]) -> None:
    log(f"\n{title}")
    log("model".ljust(24) + "".join(c.rjust(14) for c in cols))
    for name, r in rows.items():
        log(name.ljust(24) + "".join(f"{r.get(c, float('nan')):14.4f}" for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--skip-svdpp", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-ranking", action="store_true", help="rating part only (with --skip-scale)")
    ap.add_argument("--scale-interactions", type=int, default=1_000_000)
    args = ap.parse_args()
    result: dict[str, Any] = {"rating": rating_bench(args.data, args.folds, args.skip_svdpp)}
    ours = result["rating"]["bayes-mf"]["fit_seconds"]
    result["ratios"] = {f"bayes-mf_fit_vs_{m}": ours / result["rating"][m]["fit_seconds"]
                        for m in ("surprise-svdpp", "surprise-svd") if m in result["rating"]}
    table("Rating prediction, ml-100k u1..u5 (mean over folds)", result["rating"], ["rmse", "mae", "fit_seconds"])
    log("fit-time ratios (same run): " + ", ".join(f"{k} {v:.3f}" for k, v in result["ratios"].items()))
    if not args.skip_ranking:
        result["ranking"] = ranking_bench(args.data)
        table("Top-10 ranking, stratified 75/25 (seed 42)", result["ranking"],
              ["ndcg@10", "precision@10", "recall@10", "map@10", "coverage@10", "fit_seconds"])
    if not args.skip_scale:
        result["scale"] = scale_bench(args.scale_interactions)
        s = result["scale"]
        log(f"\nScale: {s['n_interactions']} synthetic purchases ({s['n_users']} accounts x {s['n_items']} "
            f"products): ALS fit {s['als']['fit_seconds']:.1f} s, item-KNN fit {s['itemknn']['fit_seconds']:.1f} s,"
            f" peak RSS {s['peak_rss_mb']:.0f} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
