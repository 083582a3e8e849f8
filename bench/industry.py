"""Industry classification beside its peer, in one process: cross-validated accuracy on the Russell 3000 company
descriptions (Yahoo sectors and industries), ours vs TF-IDF + linear SVM on the same folds.

    BIZPILOT_HOME=/path/kept/between/runs python bench/industry.py [--data ../shared/data] [--folds 5] [--seed 0]
        [--labels Sector,Industry] [--fractions 0.1,0.25,0.5,1.0] [--no-zero-shot] [--head ensemble] [--json OUT]

* stratified ``--folds``-fold cross-validation with a fixed ``--seed``, for each label column;
* learning curves: each training fold subsampled to 10, 25, 50 and 100 % of its labels (same subsample for both);
* zero-shot Sector (no training labels, the shipped taxonomy's descriptions) on every test fold.

Embedding ~2,000 descriptions with e5 takes minutes on two cores the first time; the vectors are cached in the
workspace (``BIZPILOT_HOME``), so keep it fixed between runs. Tune with this cross-validation only, never on one
split.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILE = ("company-industry-russell3000", "russell_desc_yahoo_df.csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labels", default="Sector,Industry")
    parser.add_argument("--fractions", default="0.1,0.25,0.5,1.0")
    parser.add_argument("--no-zero-shot", action="store_true")
    parser.add_argument("--head", default="ensemble")
    parser.add_argument("--json", type=Path, help="Also write the results here")
    args = parser.parse_args(argv)

    from bizpilot.ml.text.industry import embed_texts
    from bizpilot.services.evaluation.industry import cross_validate_industry, read_descriptions

    path = args.data.joinpath(*FILE)
    if not path.is_file():
        print(f"dataset not found: {path}", file=sys.stderr)
        return 2
    fractions = [float(f) for f in args.fractions.split(",")]
    results: dict[str, object] = {"file": str(path), "folds": args.folds, "seed": args.seed, "head": args.head}
    for column in args.labels.split(","):
        data = read_descriptions(path, text_col="Description", label_col=column)
        if column == args.labels.split(",")[0]:
            started = time.perf_counter()
            embed_texts(data.texts, "e5", max_chars=4000, on_progress=lambda n: print(f"  embedded {n}",
                                                                                      file=sys.stderr))
            print(f"{len(data.texts)} descriptions ({data.skipped_no_text} without one skipped), embeddings ready "
                  f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        started = time.perf_counter()
        out = cross_validate_industry(data.texts, data.labels, folds=args.folds, seed=args.seed,
                                      params={"head": args.head}, fractions=fractions,
                                      zero_shot=column == "Sector" and not args.no_zero_shot,
                                      on_fold=lambda k, c=column: print(f"  {c}: fold {k} done", file=sys.stderr))
        out["seconds"] = round(time.perf_counter() - started, 1)
        results[column] = out
        print(f"\n{column}: {out['n']} rows, {out['n_labels']} labels, {args.folds}-fold CV (seed {args.seed})")
        print(f"  {'train share':>12} {'n_train':>8} {'ours':>7} {'macroF1':>8} {'top3':>6} {'tfidf+svm':>10}")
        for key, row in out["results"].items():
            base = row.get("baseline_accuracy")
            print(f"  {key:>12} {row.get('n_train', 0):>8.0f} {row['accuracy']:>7.4f} {row['macro_f1']:>8.4f} "
                  f"{row['top3_accuracy']:>6.4f} {'' if base is None else f'{base:.4f}':>10}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
