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
    shots: Annotated[int | None, typer.Option("--shots", min=1, max=100_000, help="Learn from this many examples "
                     "per intent drawn from --train (seeded; all of an intent with fewer). When --test is the same "
                     "file, the rows not drawn are scored")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the --shots draw and --oos-intents")] = 0,
    oos_intents: Annotated[int, typer.Option("--oos-intents", min=0, help="Hold this many intents out as out of "
                           "scope (seeded): their drawn rows teach 'oos', their other rows test it")] = 0,
    method: Annotated[str, typer.Option("--method", help="auto, svm (TF-IDF + embedding SVM) or fewshot "
                                        "(contrastive adapter over MiniLM + e5)")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Intent classification: accuracy, macro F1 and fit time of the intent classifier beside a TF-IDF + SVM."""
    from bizpilot.services.evaluation.files import read_labelled
    from bizpilot.services.evaluation.signals import evaluate_intent, few_shot_split

    tr_texts, tr_labels, _ = read_labelled(train, text_col, label_col)
    same_file = shots is not None and test.resolve() == train.resolve()
    te_pair = None if same_file else read_labelled(test, text_col, label_col)[:2]
    train_pair, test_pair, info = few_shot_split(train=(tr_texts, tr_labels), test=te_pair, shots=shots, seed=seed,
                                                 oos_intents=oos_intents)
    err_console.print(f"eval intent: train {len(train_pair[0])} rows ({len(set(train_pair[1]))} intents) from "
                      f"{train}{f' ({shots} per intent, seed {seed})' if shots else ''}, test {len(test_pair[0])} "
                      f"rows from {'the rows not drawn' if same_file else test}", highlight=False)
    with eval_progress(True, "embedding train", len(train_pair[0])) as update:
        result = evaluate_intent(train=train_pair, test=test_pair, embedder=embedder, on_progress=update,
                                 method=method)
    result.update(info)
    result["test_is_train_rest"] = same_file
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
    adapt: Annotated[bool, typer.Option("--adapt/--no-adapt", help="Self-train on the test texts without their "
                                        "labels (transductive domain adaptation; JSON: transductive, "
                                        "accuracy_unadapted)")] = False,
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
                                    blend_default=blend_default, adapt=adapt, on_progress=update)
    emit_result(result, as_json, title=f"eval sentiment ({result['n']} rows)")
