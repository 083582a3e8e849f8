"""Data and embedding cache of ``bench/topics.py``: the datasets, their seeded stratified samples (the same draw as
``bizpilot eval topics --sample N --seed S``) and the sentence vectors of the product's embedding path
(:func:`bizpilot.ml.text.topics.embed_texts`: the first ``EMBED_CHARS`` characters, query side, base model), kept
under ``../evaldata/emb/topics_<set>_<embedder>.npy`` (with ``.rows.npy``: the file rows they belong to) and
extended, never recomputed, when a new sample needs more rows.

    OMP_NUM_THREADS=1 BIZPILOT_EMBED_THREADS=1 nice -n 5 python bench/topics_data.py [--sets zh,en] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EMB = ROOT.parent / "evaldata" / "emb"


@dataclass(frozen=True)
class DataSet:
    """A labelled file, the columns read and the sample size drawn per seed (``None``: every row)."""

    key: str
    path: tuple[str, str]
    text_col: str
    label_col: str
    sample: int | None
    embedders: tuple[str, ...]


SETS = {
    "zh": DataSet("zh", ("chinese-review-sentiment", "online_shopping_10_cats.csv"), "review", "cat", 5000, ("e5",)),
    # 4,514 requests in all: a seeded 3,000 per sample so the samples differ
    "en": DataSet("en", ("bitext-customer-support", "bitext_customer_support_4514.csv"), "instruction", "category",
                  3000, ("minilm", "e5")),
}


def load(ds: DataSet, data: Path = DATA) -> tuple[list[str], list[str]]:
    """(texts, labels) read as `eval topics` reads the file."""
    from bizpilot.services.evaluation.topics import read_topic_file

    return read_topic_file(data.joinpath(*ds.path), text_col=ds.text_col, label_col=ds.label_col)


def sample_rows(ds: DataSet, labels: list[str], seed: int) -> list[int]:
    """The rows `eval topics --sample N --seed S` measures."""
    from bizpilot.services.evaluation.topics import stratified_sample

    return stratified_sample(labels, ds.sample or len(labels), seed=seed)


def cache_path(ds: DataSet, embedder: str) -> Path:
    return EMB / f"topics_{ds.key}_{embedder}.npy"


def vectors(ds: DataSet, embedder: str, texts: list[str], rows: list[int], *, quiet: bool = False) -> np.ndarray:
    """The product's sentence vectors of ``texts[rows]`` (cached; missing rows embedded and added)."""
    from bizpilot.ml.text.topics import embed_texts

    path = cache_path(ds, embedder)
    rows_path = path.with_suffix(".rows.npy")
    have_rows = np.load(rows_path) if rows_path.is_file() else np.zeros(0, dtype=np.int64)
    have = np.load(path) if path.is_file() else np.zeros((0, 0), dtype=np.float32)
    index = {int(r): i for i, r in enumerate(have_rows)}
    missing = sorted({r for r in rows if r not in index})
    if missing:
        started = time.perf_counter()
        new = embed_texts([texts[r] for r in missing], embedder,
                          on_progress=None if quiet else lambda n: print(f"  {ds.key}/{embedder}: {n}",
                                                                         file=sys.stderr))
        seconds = time.perf_counter() - started
        print(f"{ds.key}/{embedder}: embedded {len(missing)} texts in {seconds:.0f} s "
              f"({1000 * seconds / len(missing):.0f} ms each)", file=sys.stderr)
        have = np.vstack([have, new.astype(np.float32)]) if len(have) else new.astype(np.float32)
        have_rows = np.concatenate([have_rows, np.asarray(missing, dtype=np.int64)])
        EMB.mkdir(parents=True, exist_ok=True)
        np.save(path, have)
        np.save(rows_path, have_rows)
        index = {int(r): i for i, r in enumerate(have_rows)}
    return np.asarray(have[[index[r] for r in rows]], dtype=np.float64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="en,zh")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    for key in args.sets.split(","):
        ds = SETS[key]
        texts, labels = load(ds)
        for embedder in ds.embedders:
            rows = sorted({r for s in args.seeds.split(",") for r in sample_rows(ds, labels, int(s))})
            vectors(ds, embedder, texts, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
