"""Chinese sentiment across domains: leave-one-category-out on online_shopping_10_cats.

For each of the ten categories (书籍 平板 手机 水果 洗发水 热水器 蒙牛 衣服 计算机 酒店): train on the other nine
(``--per-cat-train`` rows each), test on the held-out one. Printed per held-out category, as the mean over the nine
non-hotel categories (the "other-domain" proxy) and for 酒店 alone (the hotel proxy). On ``--test-per-cat`` rows
(embedded with e5, which the default and the blend need):

* ``tfidf_lr``: the peer, TF-IDF (jieba words 1-2 + characters 1-3) + logistic regression, same training rows;
* ``model``: ``SentimentClassifier`` as `bizpilot eval sentiment --train` fits it (NBSVM TF-IDF + lexicon
  features, averaged with the shipped default);
* ``model+adapt``: the same, self-trained on the held-out texts without their labels (transductive;
  `bizpilot.ml.text.sentiment_adapt`, what `eval sentiment --adapt` does);
* ``default`` / ``default+adapt``: the shipped default with no labels, alone and self-trained.

On ``--large-per-cat`` further held-out rows (self-training gains with the number of target texts; an evaluation
file or a workspace has thousands), the TF-IDF models alone, no embedding: ``L:tfidf_lr``, ``L:nbsvm`` (the
model's TF-IDF part) and ``L:nbsvm+adapt``.

    OMP_NUM_THREADS=1 BIZPILOT_EMBED_THREADS=1 python bench/sentiment_domains.py [--per-cat-train 1000]

Test texts are embedded once (the workspace's embedding cache keeps them between runs). The longest fit, the
longest self-training and the peak memory (max RSS of this process) are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HOTEL = "酒店"


def load(data: Path) -> pd.DataFrame:
    frame = pd.read_csv(data / "chinese-review-sentiment" / "online_shopping_10_cats.csv").dropna(subset=["review"])
    frame["review"] = frame["review"].str.lstrip("\ufeff")
    return frame.reset_index(drop=True)


def _acc(y: np.ndarray, scores: np.ndarray) -> float:
    return round(float(np.mean((np.asarray(scores) >= 0).astype(int) == y)), 4)


def run_fold(frame: pd.DataFrame, cat: str, args: argparse.Namespace, timings: dict[str, float]) -> dict[str, float]:
    """One held-out category: the e5 sample (``--test-per-cat``, embedded) and the large TF-IDF-only sample."""
    from bizpilot.ml.text.sentiment import SentimentClassifier, default_sentiment_model
    from bizpilot.ml.text.sentiment_adapt import self_train

    held = frame[frame["cat"] == cat]
    small = held.sample(min(len(held), args.test_per_cat), random_state=0)
    large = held.drop(index=small.index)
    large = large.sample(min(len(large), args.large_per_cat), random_state=1)
    rest = frame[frame["cat"] != cat]
    train = rest.groupby("cat", group_keys=False)[["label", "review"]].apply(
        lambda g: g.sample(min(len(g), args.per_cat_train), random_state=0))
    tr_texts, tr_y = train["review"].tolist(), train["label"].tolist()
    out: dict[str, float] = {"n_train": len(tr_texts), "n_test": len(small), "n_large": len(large)}
    peer = SentimentClassifier(embedder="none", lexicon=False, nb_weighting=False, blend_default=0.0)
    peer.fit(tr_texts, tr_y)
    started = time.perf_counter()
    model = SentimentClassifier().fit(tr_texts, tr_y)  # what `eval sentiment --train` fits
    timings["fit_seconds"] = max(timings.get("fit_seconds", 0.0), time.perf_counter() - started)
    texts, y = small["review"].tolist(), small["label"].to_numpy()
    base = model.score(texts)
    out["tfidf_lr"], out["model"] = _acc(y, peer.score(texts)), _acc(y, base)
    out["model+adapt"] = _acc(y, self_train(texts, base).scores)
    default = default_sentiment_model().score(texts)
    out["default"], out["default+adapt"] = _acc(y, default), _acc(y, self_train(texts, default).scores)
    if len(large):
        texts, y = large["review"].tolist(), large["label"].to_numpy()
        model.blend_default_ = 0.0  # TF-IDF part alone: no e5 embedding of thousands of texts
        own = model.score(texts)
        started = time.perf_counter()
        adapted = self_train(texts, own)
        timings["adapt_seconds"] = max(timings.get("adapt_seconds", 0.0), time.perf_counter() - started)
        out["L:tfidf_lr"], out["L:nbsvm"], out["L:nbsvm+adapt"] = (_acc(y, peer.score(texts)), _acc(y, own),
                                                                  _acc(y, adapted.scores))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--per-cat-train", type=int, default=1000, help="training rows per category (sampled)")
    parser.add_argument("--test-per-cat", type=int, default=400, help="held-out rows scored by every model "
                        "(embedded with e5)")
    parser.add_argument("--large-per-cat", type=int, default=3000, help="further held-out rows scored by the "
                        "TF-IDF models alone, with and without self-training (0: none)")
    parser.add_argument("--cats", nargs="*", help="only these held-out categories")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    frame = load(args.data)
    cats = args.cats or sorted(frame["cat"].unique())
    timings: dict[str, float] = {}
    rows = {}
    for cat in cats:
        rows[cat] = run_fold(frame, cat, args, timings)
        print(cat, json.dumps({k: round(v, 3) for k, v in rows[cat].items()}), flush=True)
    table = pd.DataFrame(rows).T
    methods = [c for c in table.columns if not c.startswith("n_")]
    print("\naccuracy per held-out category (train: the other nine)")
    print(table[["n_train", "n_test", *methods]].round(3).to_string())
    others = table.drop(index=HOTEL, errors="ignore")
    print("\nmean of the non-hotel categories:", {m: round(float(others[m].mean()), 3) for m in methods})
    if HOTEL in table.index:
        print("hotel (酒店) held out:", {m: round(float(table.loc[HOTEL, m]), 3) for m in methods})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nlongest SentimentClassifier fit {timings['fit_seconds']:.1f} s, longest self-training "
          f"{timings.get('adapt_seconds', 0.0):.1f} s, peak RSS {peak:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps({"per_category": rows, "timings": timings, "peak_rss_mib": peak},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
