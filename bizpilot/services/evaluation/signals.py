"""Message classification measured on labelled files: intent (`bizpilot eval intent`) and sentiment polarity
(`bizpilot eval sentiment`, zh and en). Read the files with ``files.read_labelled``; sentiment labels in any of
the usual spellings (0/1, stars, negative/positive) are normalised by ``sentiment_labels``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.errors import RowError, ValidationFailed
from bizpilot.services.evaluation.files import MAX_REPORTED_ERRORS

Labelled = tuple[list[str], list[str]]  # (texts, labels)


def sentiment_labels(*, path: Path, labels: list[str], lines: list[int]) -> list[str]:
    """``labels`` as negative/neutral/positive; every value that is no sentiment label is an error naming its
    line in ``path``."""
    from bizpilot.ml.text.sentiment import normalise_label

    out, errors = [], []
    for value, line in zip(labels, lines, strict=True):
        try:
            out.append(normalise_label(value))
        except ValueError as exc:
            errors.append(RowError(row=line, field="label", reason=str(exc), value=value))
    if errors:
        raise ValidationFailed(f"{path}: {len(errors)} unknown label(s); first: line {errors[0].row}: "
                               f"{errors[0].reason}", details=[e.to_dict() for e in errors[:MAX_REPORTED_ERRORS]])
    return out


def _oos_label(*label_sets: list[str]) -> str | None:
    """The out-of-scope label the files use (``oos``, ``out_of_scope`` or ``other``), None when they have none."""
    from bizpilot.ml.text.intent_baseline import OOS_LABELS

    present = set().union(*map(set, label_sets))
    return next((label for label in OOS_LABELS if label in present), None)


def draw_per_label(labels: Sequence[str], shots: int, seed: int) -> tuple[list[int], list[int]]:
    """(drawn, rest) row indices: ``shots`` rows of every label, seeded (every row of a label that has fewer)."""
    rng = np.random.default_rng(seed)
    values = np.asarray([str(v) for v in labels])
    drawn: list[int] = []
    for label in sorted(set(values)):
        rows = np.flatnonzero(values == label)
        drawn.extend(rows.tolist() if rows.size <= shots else sorted(rng.choice(rows, shots, replace=False).tolist()))
    chosen = set(drawn)
    return sorted(drawn), [i for i in range(values.size) if i not in chosen]


def few_shot_split(*, train: Labelled, test: Labelled | None, shots: int | None, seed: int = 0,
                   oos_intents: int = 0, oos_label: str = "oos") -> tuple[Labelled, Labelled, dict[str, Any]]:
    """The (train, test) pair a few-shot run scores, and what was done to get it.

    ``shots``: that many examples per label drawn from ``train`` (seeded); ``test=None`` scores the rows of
    ``train`` that were not drawn. ``oos_intents`` > 0 holds that many intents out (seeded) as out of scope: their
    drawn rows train the ``oos_label`` class and their other rows are out-of-scope test rows."""
    if shots is not None and shots < 1:
        raise ValidationFailed(f"shots must be at least 1; got {shots}")
    info: dict[str, Any] = {"shots": shots, "seed": seed}
    rest: Labelled = ([], [])
    if shots is not None:
        drawn, others = draw_per_label(train[1], shots, seed)
        rest = ([train[0][i] for i in others], [train[1][i] for i in others])
        train = ([train[0][i] for i in drawn], [train[1][i] for i in drawn])
    elif test is None:
        raise ValidationFailed("scoring the rows not drawn needs --shots")
    test = rest if test is None else test
    if oos_intents > 0:
        intents = sorted(set(train[1]) - {oos_label})
        if oos_intents >= len(intents) - 1:
            raise ValidationFailed(f"{oos_intents} intents held out of {len(intents)}: at least two must stay")
        rng = np.random.default_rng(seed + 1_000_003)
        held = sorted(rng.choice(intents, oos_intents, replace=False).tolist())
        info["oos_intents"] = held
        train = (train[0], [oos_label if y in held else y for y in train[1]])
        test = (test[0], [oos_label if y in held else y for y in test[1]])
    return train, test, info


def evaluate_intent(*, train: Labelled, test: Labelled, embedder: str = "auto", baseline: bool = True,
                    on_progress: Callable[[int], None] | None = None,
                    method: str = "auto") -> dict[str, Any]:
    """Fit an ``IntentClassifier`` on ``train``, score it on ``test``: accuracy, macro F1, fit and prediction
    time. When the files have an out-of-scope label (``oos``, ``out_of_scope`` or ``other``) the model learns it as
    its out-of-scope class, a message it flags out of scope counts as that label, and ``in_scope_accuracy``,
    ``oos_recall`` and ``oos_precision`` are added. ``baseline_accuracy`` (and its out-of-scope figures) come
    from a TF-IDF + linear SVM with a confidence threshold tuned by cross-validation on ``train``, on the same
    split. ``on_progress`` gets the number of training texts embedded so far."""
    from bizpilot.ml.evaluation import label_metrics, oos_metrics
    from bizpilot.ml.text.intent import OUT_OF_SCOPE, IntentClassifier
    from bizpilot.ml.text.intent_baseline import ThresholdedSvmBaseline

    oos = _oos_label(train[1], test[1])
    train_labels = [OUT_OF_SCOPE if y == oos else y for y in train[1]] if oos else train[1]
    started = time.perf_counter()
    model = IntentClassifier(embedder=embedder, method=method).fit(train[0], train_labels, on_progress=on_progress)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if oos:
        predicted = [oos if r["out_of_scope"] else r["intent"] for r in model.analyse(test[0])]
    else:
        predicted = model.predict(test[0])
    predict_seconds = time.perf_counter() - started
    metrics = label_metrics(test[1], predicted)
    unseen = sorted(set(test[1]) - {oos if c == OUT_OF_SCOPE else c for c in model.classes_})
    result: dict[str, Any] = {
        "task": "intent", "model": "IntentClassifier", "method": model.method_, "embedder": model.embedder_,
        "n_train": len(train[0]),
        "n": metrics["n"], "n_intents": len([c for c in model.classes_ if c != OUT_OF_SCOPE]),
        "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "fit_seconds": round(fit_seconds, 3),
        "predict_ms_per_item": round(1000 * predict_seconds / max(len(test[0]), 1), 3),
        "test_labels_not_in_train": unseen, "oos_label": oos}
    if oos:
        result.update({k: v for k, v in oos_metrics(test[1], predicted, oos_label=oos).items()})
    if baseline:
        started = time.perf_counter()
        peer = ThresholdedSvmBaseline(oos_label=oos or "oos").fit(train[0], train[1])
        peer_pred = peer.predict(test[0])
        result["baseline"] = "TF-IDF + LinearSVC, CV-tuned threshold"
        result["baseline_accuracy"] = label_metrics(test[1], peer_pred)["accuracy"]
        result["baseline_threshold"] = peer.threshold_ if oos else None
        if oos:
            result.update({f"baseline_{k}": v for k, v in oos_metrics(test[1], peer_pred, oos_label=oos).items()
                           if k != "n_oos"})
        result["baseline_fit_seconds"] = round(time.perf_counter() - started, 3)
    result["peak_memory_mb"] = _peak_memory_mb()
    return result


def _peak_memory_mb() -> float | None:
    """This process's peak resident memory so far (MiB; None where the platform does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def evaluate_sentiment(*, test: Labelled, train: Labelled | None = None, embedder: str = "auto",
                       blend_default: float | None = None, adapt: bool = False,
                       on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Score the shipped default (no ``train``) or a ``SentimentClassifier`` fitted on ``train``. On a binary
    test set the default's neutral band is ignored (the sign of the score decides) and, with ``adapt``, the
    scores are self-trained on the test texts without their labels (transductive domain adaptation, as the
    product can adapt to a workspace's own messages: ``bizpilot.ml.text.sentiment_adapt``); ``transductive``
    says whether that happened and ``accuracy_unadapted`` gives the figure without it. Off by default: it lifts
    the TF-IDF model alone (``--blend-default 0``) but not its blend with the shipped default
    (``bench/sentiment_domains.py``). ``on_progress`` gets the number of training texts embedded so far."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.sentiment import SentimentClassifier, default_sentiment_model
    from bizpilot.ml.text.sentiment_adapt import self_train

    started = time.perf_counter()
    if train is None:
        model: Any = default_sentiment_model()
        name = f"default ({type(model).__name__})"
    else:
        model = SentimentClassifier(embedder=embedder, blend_default=blend_default).fit(
            train[0], train[1], on_progress=on_progress)
        name = "SentimentClassifier"
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    adapted, unadapted, n_pseudo = False, None, []
    if set(test[1]) <= {"negative", "positive"}:
        scores = model.score(test[0])
        if adapt:
            result = self_train(test[0], scores)
            adapted, n_pseudo = result.adapted, result.n_pseudo
            unadapted = label_metrics(test[1], ["positive" if s >= 0 else "negative" for s in scores])["accuracy"]
            scores = result.scores
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
            "per_label_f1": metrics["per_label_f1"], "transductive": adapted,
            "accuracy_unadapted": unadapted if adapted else metrics["accuracy"], "n_pseudo_labelled": n_pseudo}


__all__ = ["draw_per_label", "evaluate_intent", "few_shot_split", "evaluate_sentiment", "sentiment_labels"]
