"""The data of ``bench/transfer.py``: each task's train pools and test sets, drawn seeded and stratified (see that
script's docstring for the settings and why the Chinese reviews are one cached fifth of the file)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class Split:
    """One train pool and one test set; ``pool_size`` (when set) is drawn from the pool per seed."""

    name: str
    pool: tuple[list[str], list[str]]
    test: tuple[list[str], list[str]]
    pool_size: int | None = None





def draw(labels: Sequence[str], n: int, seed: int) -> list[int]:
    """About ``n`` rows, stratified by label, seeded (all rows when ``n`` covers them)."""
    from bizpilot.services.evaluation.industry import subsample

    return list(range(len(labels))) if n >= len(labels) else subsample(labels, n / len(labels), seed=seed)


def pick(rows: Sequence[int], texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    return [texts[i] for i in rows], [labels[i] for i in rows]


def zh_splits(args: argparse.Namespace) -> list[Split]:
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    frame = pd.read_csv(args.data / "chinese-review-sentiment" / "online_shopping_10_cats.csv")
    frame = frame.dropna(subset=["review"])
    frame["review"] = frame["review"].astype(str).str.lstrip("\ufeff")
    _, fold = next(StratifiedKFold(5, shuffle=True, random_state=0).split(frame, frame["label"]))
    frame = frame.iloc[fold]
    texts = frame["review"].tolist()
    labels = ["positive" if int(v) == 1 else "negative" for v in frame["label"]]
    cats = frame["cat"].tolist()
    splits = []
    for held in [c for c in args.zh_holdout.split(",") if c]:
        inside = [i for i, c in enumerate(cats) if c == held]
        test = [inside[i] for i in draw([labels[i] for i in inside], args.zh_test, 0)]
        pool = [i for i, c in enumerate(cats) if c != held]
        splits.append(Split(f"cross-domain: 9 categories -> {held}", pick(pool, texts, labels),
                            pick(test, texts, labels), args.zh_pool))
    strata = [f"{c}|{y}" for c, y in zip(cats, labels, strict=True)]
    test = set(draw(strata, args.zh_test, 0))
    pool = [i for i in range(len(texts)) if i not in test]
    splits.append(Split("in-domain: all 10 categories", pick(pool, texts, labels),
                        pick(sorted(test), texts, labels), args.zh_pool))
    return splits


def _uci(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        sentence, _, score = line.rpartition("\t")
        if sentence.strip() and score.strip() in ("0", "1"):
            texts.append(sentence.strip())
            labels.append("positive" if score.strip() == "1" else "negative")
    return texts, labels


def en_splits(args: argparse.Namespace) -> tuple[list[Split], list[Split]]:
    from sklearn.model_selection import StratifiedKFold

    amazon = _uci(args.data / "english-review-sentiment" / "uci_amazon_cells_labelled.txt")
    yelp = _uci(args.data / "english-review-sentiment" / "uci_yelp_labelled.txt")
    if args.quick:
        amazon, yelp = (pick(draw(d[1], 400, 0), *d) for d in (amazon, yelp))
    cross = [Split("cross-domain: Amazon -> Yelp", amazon, yelp), Split("cross-domain: Yelp -> Amazon", yelp, amazon)]
    texts, labels = amazon[0] + yelp[0], amazon[1] + yelp[1]
    folds = StratifiedKFold(3 if args.quick else 5, shuffle=True, random_state=0).split(texts, labels)
    cv = [Split(f"in-domain fold {k}", pick(tr, texts, labels), pick(te, texts, labels))
          for k, (tr, te) in enumerate(folds)]
    return cross, cv


def intent_split(args: argparse.Namespace) -> Split:
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(args.data / "banking77" / "train.csv")
    train, test = train_test_split(frame, test_size=0.2, stratify=frame["category"], random_state=0)
    if args.quick:
        test = test.groupby("category").head(4)
    return Split("banking77 train.csv 80/20", (train["text"].tolist(), train["category"].tolist()),
                 (test["text"].tolist(), test["category"].tolist()), 1500 if args.quick else None)


def industry_splits(args: argparse.Namespace, column: str) -> list[Split]:
    import warnings

    from sklearn.model_selection import StratifiedKFold

    from bizpilot.services.evaluation.industry import read_descriptions

    data = read_descriptions(args.data / "company-industry-russell3000" / "russell_desc_yahoo_df.csv",
                             text_col="Description", label_col=column)
    texts, labels = data.texts, data.labels
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        folds = list(StratifiedKFold(args.industry_folds, shuffle=True, random_state=0).split(texts, labels))
    return [Split(f"fold {k}", pick(tr, texts, labels), pick(te, texts, labels)) for k, (tr, te) in enumerate(folds)]


DATA_NOTES = [
    "sentiment-zh: `chinese-review-sentiment/online_shopping_10_cats.csv`, one seeded stratified 20 % of it (fold 0 "
    "of 5, seed 0; 12,555 reviews with cached e5 vectors); cross-domain tests on the held-out category's reviews "
    "in it (up to `--zh-test`), in-domain on a stratified (category x label) sample; `--zh-pool` reviews drawn per "
    "seed from the rest are \"100 %\".",
    "sentiment-en: `english-review-sentiment` UCI Amazon and Yelp (1,000 each): one file trains, the other tests; "
    "in-domain is CV over both.",
    "intent: `banking77/train.csv`, stratified 80/20 (seed 0); the official test split is kept aside.",
    "industry: `company-industry-russell3000/russell_desc_yahoo_df.csv` (rows with a description), stratified "
    "k-fold CV (seed 0) per label column; a fold's training rows are subsampled per label.",
]
