"""`bizpilot eval intent` and `bizpilot eval sentiment`: message classification measured on labelled files.

Input is CSV with a header (``text,category`` for intents; ``label,review`` for reviews) or TSV ``sentence\\tscore``
(the UCI sentence files), detected from the first line. Columns are found by name (``--text-col``/``--label-col``
or common names); a missing column or an empty/unknown label is an error naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from bizpilot.cli._common import err_console, handle_errors
from bizpilot.cli.eval import emit_result, eval_app, eval_progress, read_text_file
from bizpilot.errors import RowError, ValidationFailed

TEXT_COLUMNS = ("text", "review", "sentence", "content", "message", "comment", "query")
LABEL_COLUMNS = ("category", "label", "score", "sentiment", "intent", "polarity", "class")
MAX_ERRORS = 50


def read_labelled(path: Path, text_col: str | None = None, label_col: str | None = None
                  ) -> tuple[list[str], list[str], list[int]]:
    """(texts, labels, line numbers) from a CSV/TSV file with a header."""
    content = read_text_file(path)
    first = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise ValidationFailed(f"{path} is empty") from None
    text_name = _column(path, header, text_col, TEXT_COLUMNS, "--text-col")
    label_name = _column(path, header, label_col, LABEL_COLUMNS, "--label-col")
    ti, li = header.index(text_name), header.index(label_name)
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    errors: list[RowError] = []
    for lineno, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(ti, li):
            errors.append(RowError(row=lineno, field=label_name if len(row) <= li else text_name,
                                   reason=f"row has {len(row)} field(s), header has {len(header)}"))
            continue
        text, label = row[ti].strip().lstrip("\ufeff"), row[li].strip()
        if not label:
            errors.append(RowError(row=lineno, field=label_name, reason="empty label"))
            continue
        if not text:  # an empty review carries no signal; skipping it is what every baseline does
            continue
        texts.append(text)
        labels.append(label)
        lines.append(lineno)
    if errors:
        first_error = errors[0]
        raise ValidationFailed(f"{path}: {len(errors)} bad row(s); first: line {first_error.row}, column "
                               f"{first_error.field!r}: {first_error.reason}",
                               details=[e.to_dict() for e in errors[:MAX_ERRORS]])
    if not texts:
        raise ValidationFailed(f"{path}: no labelled rows")
    return texts, labels, lines


def _column(path: Path, header: list[str], wanted: str | None, candidates: tuple[str, ...], option: str) -> str:
    lowered = {h.lower(): h for h in header}
    if wanted:
        if wanted in header:
            return wanted
        if wanted.lower() in lowered:
            return lowered[wanted.lower()]
        raise ValidationFailed(f"{path}: no column {wanted!r} ({option}); columns: {', '.join(header)}",
                               details=[RowError(row=1, field=wanted, reason="column not found").to_dict()])
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise ValidationFailed(f"{path}: none of the columns {', '.join(header)} looks like {option[2:]}; name it "
                           f"with {option}", details=[RowError(row=1, field=option, reason="not found").to_dict()])


def _sentiment_labels(path: Path, labels: list[str], lines: list[int]) -> list[str]:
    from bizpilot.ml.text.sentiment import normalise_label

    out, errors = [], []
    for value, line in zip(labels, lines, strict=True):
        try:
            out.append(normalise_label(value))
        except ValueError as exc:
            errors.append(RowError(row=line, field="label", reason=str(exc), value=value))
    if errors:
        raise ValidationFailed(f"{path}: {len(errors)} unknown label(s); first: line {errors[0].row}: "
                               f"{errors[0].reason}", details=[e.to_dict() for e in errors[:MAX_ERRORS]])
    return out


def evaluate_intent(train: tuple[list[str], list[str]], test: tuple[list[str], list[str]], *,
                    embedder: str = "auto", progress: bool = True) -> dict[str, Any]:
    """Fit an ``IntentClassifier`` on ``train``, score it on ``test``."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.intent import IntentClassifier

    started = time.perf_counter()
    with eval_progress(progress, "embedding train", len(train[0])) as update:
        model = IntentClassifier(embedder=embedder).fit(train[0], train[1], on_progress=update)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(test[0])
    predict_seconds = time.perf_counter() - started
    metrics = label_metrics(test[1], predicted)
    unseen = sorted(set(test[1]) - set(model.classes_))
    return {"task": "intent", "model": "IntentClassifier", "embedder": model.embedder_, "n_train": len(train[0]),
            "n": metrics["n"], "n_intents": len(model.classes_), "accuracy": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"], "fit_seconds": round(fit_seconds, 3),
            "predict_ms_per_item": round(1000 * predict_seconds / max(len(test[0]), 1), 3),
            "test_labels_not_in_train": unseen}


def evaluate_sentiment(test: tuple[list[str], list[str]], train: tuple[list[str], list[str]] | None = None, *,
                       embedder: str = "auto", blend_default: float | None = None,
                       progress: bool = True) -> dict[str, Any]:
    """Score the shipped default (no ``train``) or a ``SentimentClassifier`` fitted on ``train``. On a binary
    test set the default's neutral band is ignored (the sign of the score decides)."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.sentiment import SentimentClassifier, default_sentiment_model

    started = time.perf_counter()
    if train is None:
        model: Any = default_sentiment_model()
        name = f"default ({type(model).__name__})"
    else:
        with eval_progress(progress, "embedding train", len(train[0])) as update:
            model = SentimentClassifier(embedder=embedder, blend_default=blend_default).fit(
                train[0], train[1], on_progress=update)
        name = "SentimentClassifier"
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if set(test[1]) <= {"negative", "positive"}:
        scores = model.score(test[0])
        predicted = ["positive" if s >= 0 else "negative" for s in scores]
    else:
        predicted = [label for label, _ in model.analyse(test[0])] if train is None else model.predict(test[0])
    predict_seconds = time.perf_counter() - started
    metrics = label_metrics(test[1], predicted)
    return {"task": "sentiment", "model": name, "n_train": len(train[0]) if train else 0, "n": metrics["n"],
            "blend_default": float(getattr(model, "blend_default_", 0.0)),
            "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "fit_seconds": round(fit_seconds, 3),
            "predict_ms_per_item": round(1000 * predict_seconds / max(len(test[0]), 1), 3),
            "per_label_f1": metrics["per_label_f1"]}


TextCol = Annotated[str | None, typer.Option("--text-col", help="Text column (default: text/review/sentence...)")]
LabelCol = Annotated[str | None, typer.Option("--label-col", help="Label column (default: category/label/score...)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]
EmbedOpt = Annotated[str, typer.Option("--embedder", help="auto (by language), minilm, e5 or none")]


@eval_app.command("intent")
@handle_errors
def intent(
    train: Annotated[Path, typer.Option("--train", help="Labelled messages to learn from (CSV)")],
    test: Annotated[Path, typer.Option("--test", help="Labelled messages to score (CSV)")],
    text_col: TextCol = None,
    label_col: LabelCol = None,
    embedder: EmbedOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Intent classification: accuracy, macro F1 and fit time of the TF-IDF + embedding classifier."""
    tr_texts, tr_labels, _ = read_labelled(train, text_col, label_col)
    te_texts, te_labels, _ = read_labelled(test, text_col, label_col)
    err_console.print(f"eval intent: train {len(tr_texts)} rows ({len(set(tr_labels))} intents) from {train}, "
                      f"test {len(te_texts)} rows from {test}", highlight=False)
    result = evaluate_intent((tr_texts, tr_labels), (te_texts, te_labels), embedder=embedder)
    emit_result(result, as_json, title=f"eval intent ({result['n']} rows)")


@eval_app.command("sentiment")
@handle_errors
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
    te_texts, te_raw, te_lines = read_labelled(test, text_col, label_col)
    te_labels = _sentiment_labels(test, te_raw, te_lines)
    train_pair = None
    if train is not None:
        tr_texts, tr_raw, tr_lines = read_labelled(train, text_col, label_col)
        train_pair = (tr_texts, _sentiment_labels(train, tr_raw, tr_lines))
    err_console.print(f"eval sentiment: {len(te_texts)} rows from {test}"
                      + (f", learning from {len(train_pair[0])} rows of {train}" if train_pair else
                         " (shipped default model: no --train)"), highlight=False)
    result = evaluate_sentiment((te_texts, te_labels), train_pair, embedder=embedder, blend_default=blend_default)
    emit_result(result, as_json, title=f"eval sentiment ({result['n']} rows)")
