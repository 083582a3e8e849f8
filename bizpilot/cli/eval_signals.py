"""`bizpilot eval intent` and `bizpilot eval sentiment`: message classification measured on labelled files.

Input is CSV with a header (``text,category`` for intents; ``label,review`` for reviews) or TSV ``sentence\\tscore``
(the UCI sentence files), detected from the first line. Columns are found by name (``--text-col``/``--label-col``
or common names); a missing column or an empty/unknown label is an error naming the file, line and column. The
readers and measurements are `bizpilot.services.evaluation.files` and `.signals`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress

TextCol = Annotated[str | None, typer.Option("--text-col", help="Text column (default: text/review/sentence...)")]
LabelCol = Annotated[str | None, typer.Option("--label-col", help="Label column (default: category/label/score...)")]
EmbedOpt = Annotated[str, typer.Option("--embedder", help="auto (by language), minilm, e5 or none")]


def intent(
    train: Annotated[Path, typer.Option("--train", help="Labelled messages to learn from (CSV)")],
    test: Annotated[Path, typer.Option("--test", help="Labelled messages to score (CSV)")],
    text_col: TextCol = None,
    label_col: LabelCol = None,
    embedder: EmbedOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Intent classification: accuracy, macro F1 and fit time of the TF-IDF + embedding classifier."""
    from bizpilot.services.evaluation.files import read_labelled
    from bizpilot.services.evaluation.signals import evaluate_intent

    tr_texts, tr_labels, _ = read_labelled(train, text_col, label_col)
    te_texts, te_labels, _ = read_labelled(test, text_col, label_col)
    err_console.print(f"eval intent: train {len(tr_texts)} rows ({len(set(tr_labels))} intents) from {train}, "
                      f"test {len(te_texts)} rows from {test}", highlight=False)
    with eval_progress(True, "embedding train", len(tr_texts)) as update:
        result = evaluate_intent(train=(tr_texts, tr_labels), test=(te_texts, te_labels), embedder=embedder,
                                 on_progress=update)
    emit_result(result, as_json, title=f"eval intent ({result['n']} rows)")


def sentiment(
    test: Annotated[Path, typer.Option("--test", help="Labelled reviews to score (CSV label,review or TSV "
                                       "sentence<TAB>score)")],
    train: Annotated[Path | None, typer.Option("--train", help="Labelled reviews to learn from (same formats); "
                                               "without it the shipped default model is scored")] = None,
    text_col: TextCol = None,
    label_col: LabelCol = None,
    embedder: EmbedOpt = "auto",
    blend_default: Annotated[float | None, typer.Option("--blend-default", min=0.0, max=1.0, help="Weight of the "
                             "shipped model averaged into a --train model (default: 0.5 for Chinese training "
                             "data, which costs an e5 embedding per test text; 0 for English)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sentiment polarity: accuracy and macro F1 (zh and en)."""
    from bizpilot.services.evaluation.files import read_labelled
    from bizpilot.services.evaluation.signals import evaluate_sentiment, sentiment_labels

    te_texts, te_raw, te_lines = read_labelled(test, text_col, label_col)
    te_labels = sentiment_labels(path=test, labels=te_raw, lines=te_lines)
    train_pair = None
    if train is not None:
        tr_texts, tr_raw, tr_lines = read_labelled(train, text_col, label_col)
        train_pair = (tr_texts, sentiment_labels(path=train, labels=tr_raw, lines=tr_lines))
    err_console.print(f"eval sentiment: {len(te_texts)} rows from {test}"
                      + (f", learning from {len(train_pair[0])} rows of {train}" if train_pair else
                         " (shipped default model: no --train)"), highlight=False)
    with eval_progress(train_pair is not None, "embedding train", len(train_pair[0]) if train_pair else 0) as update:
        result = evaluate_sentiment(test=(te_texts, te_labels), train=train_pair, embedder=embedder,
                                    blend_default=blend_default, on_progress=update)
    emit_result(result, as_json, title=f"eval sentiment ({result['n']} rows)")
