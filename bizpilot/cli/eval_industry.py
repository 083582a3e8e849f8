"""`bizpilot eval industry`: industry (sector, segment) classification of company descriptions, measured on files.

    bizpilot eval industry --train TRAIN.csv --test TEST.csv --text-col Description --label-col Sector --json
    bizpilot eval industry --test TEST.csv --label-col Sector --json          # zero-shot: no training labels

Files are CSV/TSV with a header, UTF-8 with or without a BOM; rows without a description are skipped and counted.
The TF-IDF + linear SVM baseline is fitted on the same training rows in the same run (``baseline_accuracy``);
``--learning-curve`` adds the scores at 10, 25, 50 and 100 % of the training labels. The reading and measuring are
`bizpilot.services.evaluation.industry`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress
from bizpilot.errors import InvalidParameter


def industry(
    test: Annotated[Path, typer.Option("--test", help="Labelled descriptions to score (CSV/TSV with a header)")],
    train: Annotated[Path | None, typer.Option("--train", help="Labelled descriptions to learn from; without it "
                                               "the labels of --test are predicted zero-shot")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column of the company description")] = "Description",
    label_col: Annotated[str, typer.Option("--label-col", help="Column of the label (Sector, Industry...)")
                         ] = "Sector",
    head: Annotated[str, typer.Option("--head", help="ensemble (sentence features + TF-IDF), embedding or "
                                      "tfidf")] = "ensemble",
    embedder: Annotated[str, typer.Option("--embedder", help="Sentence embedder of the embedding service "
                                          "(e5: multilingual)")] = "e5",
    learning_curve: Annotated[bool, typer.Option("--learning-curve", help="Also score at 10, 25, 50 and 100 % "
                                                 "of the training labels")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Industry classification: accuracy, macro F1, top-3 accuracy and fit time, with the TF-IDF + SVM baseline."""
    from bizpilot.services.evaluation.industry import evaluate_industry, read_descriptions

    if learning_curve and train is None:
        raise InvalidParameter("--learning-curve needs --train (a zero-shot run learns from no labels)",
                               details=[{"field": "--learning-curve", "reason": "needs --train"}])
    test_set = read_descriptions(test, text_col=text_col, label_col=label_col)
    train_set = read_descriptions(train, text_col=text_col, label_col=label_col) if train is not None else None
    skipped = test_set.skipped_no_text + (train_set.skipped_no_text if train_set else 0)
    err_console.print(f"eval industry ({label_col}): test {len(test_set.texts)} rows from {test}"
                      + (f", train {len(train_set.texts)} rows ({len(set(train_set.labels))} labels) from {train}"
                         if train_set else " (zero-shot among the test labels)")
                      + (f"; {skipped} row(s) without a description skipped" if skipped else ""), highlight=False)
    with eval_progress(train_set is not None, "embedding train", len(train_set.texts) if train_set else 0) as update:
        result = evaluate_industry(test=test_set, train=train_set, params={"head": head, "embedder": embedder},
                                   learning_curve=learning_curve, on_progress=update)
    emit_result(result, as_json, title=f"eval industry: {label_col} ({result['n']} rows)")


__all__ = ["industry"]
