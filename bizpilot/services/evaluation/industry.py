"""Industry classification measured on labelled company descriptions (`bizpilot eval industry`, `bench/industry.py`).

A file is CSV (or TSV) with a header, read as UTF-8 with or without a BOM; rows without a description are skipped
and counted, a row with a description but no label is an error naming its line. Labels are resolved against the
shipped taxonomy (``Banks—Regional`` and ``banks - regional`` are one label there) only to find each label's
description: they are scored exactly as the file writes them.

``evaluate_industry`` fits on a training file (or, without one, classifies zero-shot among the test file's labels)
and scores a test file, with the TF-IDF + linear SVM baseline fitted on the same rows in the same run and, when
asked, learning curves (10, 25, 50, 100 % of the training labels). ``cross_validate_industry`` does the same over
stratified folds of one file (the benchmark).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.errors import RowError, ValidationFailed
from bizpilot.services.evaluation.files import find_column, raise_row_errors, read_text_file

FRACTIONS = (0.1, 0.25, 0.5, 1.0)
TEXT_COLUMNS = ("description", "text", "business_summary", "summary", "about")
LABEL_COLUMNS = ("industry", "sector", "label", "segment", "category")


@dataclass(frozen=True)
class LabelledDescriptions:
    """Descriptions and labels of one file, with the line numbers and how many rows had no description."""

    path: Path
    texts: list[str]
    labels: list[str]
    lines: list[int]
    skipped_no_text: int


def read_descriptions(path: Path, *, text_col: str | None = "Description",
                      label_col: str | None = "Sector") -> LabelledDescriptions:
    """The labelled descriptions of ``path`` (see the module docstring for what is skipped and what is an
    error)."""
    content = read_text_file(path)
    first = content.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(content), delimiter="\t" if "\t" in first else ",")
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise ValidationFailed(f"{path} is empty") from None
    text_name = find_column(path, header, text_col, TEXT_COLUMNS, "--text-col")
    label_name = find_column(path, header, label_col, LABEL_COLUMNS, "--label-col")
    ti, li = header.index(text_name), header.index(label_name)
    texts: list[str] = []
    labels: list[str] = []
    lines: list[int] = []
    errors: list[RowError] = []
    skipped = 0
    for row in reader:
        lineno = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        text = row[ti].strip() if len(row) > ti else ""
        label = row[li].strip() if len(row) > li else ""
        if not text:
            skipped += 1
            continue
        if not label:
            errors.append(RowError(row=lineno, field=label_name, reason="empty label"))
            continue
        texts.append(text)
        labels.append(label)
        lines.append(lineno)
    raise_row_errors(path, errors, what="column")
    if not texts:
        raise ValidationFailed(f"{path}: no row has both a description ({text_name}) and a label ({label_name})")
    return LabelledDescriptions(path, texts, labels, lines, skipped)


def label_texts_for(labels: Sequence[str]) -> dict[str, list[str]]:
    """What each label means, from the shipped taxonomy: a leaf's name and description; a sector's own
    description plus those of its industries (zero-shot matches a company with the closest of them). Labels
    the taxonomy does not know get no entry (the classifier then reads the name)."""
    from bizpilot.domain.industry import default_taxonomy
    from bizpilot.services.industry.taxonomy import LabelIndex

    index = LabelIndex(default_taxonomy())
    out: dict[str, list[str]] = {}
    for label in dict.fromkeys(labels):
        leaf = index.leaf(label)
        sector = index.sector_of(label)
        if leaf is not None:
            out[label] = [leaf.text("en")]
        elif sector is not None:
            out[label] = [index.sector_text(sector.key)] + [x.text("en") for x in index.leaves
                                                           if x.sector_key == sector.key]
    return out


def baseline_svm(train_texts: Sequence[str], train_labels: Sequence[str], test_texts: Sequence[str]) -> list[str]:
    """The peer: TF-IDF (scikit-learn defaults) + a linear SVM (C = 1), fitted and applied in the same run."""
    classes, scores = baseline_scores(train_texts, train_labels, test_texts)
    return [classes[i] for i in scores.argmax(axis=1)]


def baseline_scores(train_texts: Sequence[str], train_labels: Sequence[str],
                    test_texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The peer's classes and decision scores per test text (ranked for its top-3 accuracy)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    classes = sorted(set(train_labels))
    if len(classes) < 2:
        return classes, np.ones((len(test_texts), 1))
    vectorizer = TfidfVectorizer()
    X = vectorizer.fit_transform(list(train_texts))
    svm = LinearSVC().fit(X, list(train_labels))
    scores = svm.decision_function(vectorizer.transform(list(test_texts)))
    if len(classes) == 2:
        scores = np.column_stack([-scores, scores])
    return [str(c) for c in svm.classes_], np.asarray(scores)


def subsample(labels: Sequence[str], fraction: float, *, seed: int = 0) -> list[int]:
    """Row indices keeping about ``fraction`` of each label's rows (random, fixed seed; a rare label may drop out
    at small fractions, as in a team that has labelled a few accounts)."""
    if fraction >= 1.0:
        return list(range(len(labels)))
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    by_label: dict[str, list[int]] = {}
    for i, y in enumerate(labels):
        by_label.setdefault(y, []).append(i)
    for label in sorted(by_label):
        rows = by_label[label]
        share = fraction * len(rows)
        k = int(share) + int(rng.random() < share - int(share))
        keep.extend(rng.choice(rows, size=k, replace=False).tolist() if k else [])
    return sorted(keep)


def _scores(model: Any, texts: Sequence[str], truth: Sequence[str]) -> dict[str, float]:
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.industry import top_k_accuracy

    probs = model.predict_proba(texts)
    predicted = [model.classes_[i] for i in probs.argmax(axis=1)]
    metrics = label_metrics(list(truth), predicted)
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "top3_accuracy": top_k_accuracy(probs, model.classes_, truth, k=3)}


def fit_and_score(train: tuple[Sequence[str], Sequence[str]] | None, test: tuple[Sequence[str], Sequence[str]], *,
                  params: dict[str, Any] | None = None, baseline: bool = True, label_set: Sequence[str] = (),
                  on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """One fit (zero-shot when ``train`` is None or empty: the labels are the test set's) and its scores, with the
    baseline fitted on the same training rows. ``label_set``: labels the team knows beyond those in ``train``
    (a learning curve's subsample keeps knowing the whole file's labels, as a team knows its taxonomy)."""
    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.industry import IndustryClassifier

    if train is not None and not train[0]:
        train = None if not label_set else train
    known = list(dict.fromkeys([*label_set, *(train[1] if train is not None else [])]))
    label_texts = label_texts_for(known or list(test[1]))
    started = time.perf_counter()
    model = IndustryClassifier(**(params or {}))
    if train is None:
        model.fit([], [], label_texts={y: label_texts.get(y, [y]) for y in dict.fromkeys(test[1])})
    elif not train[0]:
        model.fit([], [], label_texts={y: label_texts.get(y, [y]) for y in known})
    else:
        model.fit(list(train[0]), list(train[1]), label_texts={y: label_texts.get(y, [y]) for y in known},
                  on_progress=on_progress)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result: dict[str, Any] = {**_scores(model, test[0], test[1]), "mode": model.mode_,
                              "n_labels": len(model.classes_), "fit_seconds": round(fit_seconds, 3),
                              "predict_seconds": round(time.perf_counter() - started, 3)}
    if baseline and train is not None and train[0]:
        from bizpilot.ml.text.industry import top_k_accuracy

        classes, scores = baseline_scores(train[0], train[1], test[0])
        base = label_metrics(list(test[1]), [classes[i] for i in scores.argmax(axis=1)])
        result.update(baseline_accuracy=base["accuracy"], baseline_macro_f1=base["macro_f1"],
                      baseline_top3_accuracy=top_k_accuracy(scores, classes, test[1], k=3))
    return result


def evaluate_industry(*, test: LabelledDescriptions, train: LabelledDescriptions | None = None,
                      params: dict[str, Any] | None = None, learning_curve: bool = False, seed: int = 0,
                      on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """What `bizpilot eval industry` prints: accuracy, macro F1, top-3 accuracy, n, n_labels, fit seconds and
    the baseline from the same run; with ``learning_curve`` the same at 10/25/50/100 % of the training rows."""
    pair = (train.texts, train.labels) if train is not None else None
    result = fit_and_score(pair, (test.texts, test.labels), params=params, on_progress=on_progress)
    out: dict[str, Any] = {
        "task": "industry", "model": "IndustryClassifier", "mode": result["mode"],
        "head": (params or {}).get("head", "ensemble") if train is not None else "zero-shot",
        "n": len(test.texts), "n_train": len(train.texts) if train is not None else 0,
        "n_labels": result["n_labels"], "n_test_labels": len(set(test.labels)),
        "accuracy": result["accuracy"], "macro_f1": result["macro_f1"], "top3_accuracy": result["top3_accuracy"],
        "fit_seconds": result["fit_seconds"], "predict_seconds": result["predict_seconds"],
        "baseline": "tfidf + linear svm (scikit-learn defaults)" if train is not None else None,
        "baseline_accuracy": result.get("baseline_accuracy"), "baseline_macro_f1": result.get("baseline_macro_f1"),
        "baseline_top3_accuracy": result.get("baseline_top3_accuracy"),
        "skipped_no_description": {"test": test.skipped_no_text,
                                   **({"train": train.skipped_no_text} if train is not None else {})},
        "labels_described": len(label_texts_for(train.labels if train is not None else test.labels)),
        "test_labels_not_in_train": sorted(set(test.labels) - set(train.labels)) if train is not None else [],
    }
    if learning_curve and train is not None:
        curve = []
        for fraction in FRACTIONS:
            rows = subsample(train.labels, fraction, seed=seed)
            part = fit_and_score(([train.texts[i] for i in rows], [train.labels[i] for i in rows]),
                                 (test.texts, test.labels), params=params, label_set=train.labels)
            curve.append({"fraction": fraction, "n_train": len(rows), "accuracy": part["accuracy"],
                          "macro_f1": part["macro_f1"], "top3_accuracy": part["top3_accuracy"],
                          "baseline_accuracy": part.get("baseline_accuracy"),
                          "baseline_macro_f1": part.get("baseline_macro_f1")})
        out["learning_curve"] = curve
    return out


def cross_validate_industry(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0,
                            params: dict[str, Any] | None = None, fractions: Sequence[float] = (1.0,),
                            zero_shot: bool = False,
                            on_fold: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Stratified ``folds``-fold cross-validation (fixed ``seed``) of the classifier and the baseline on the same
    folds, at each training ``fraction`` (subsampled inside the training folds), and zero-shot on each test fold
    when asked. Means over folds, with each fold's accuracy."""
    import warnings

    from sklearn.model_selection import StratifiedKFold

    texts, labels = list(texts), list(labels)
    runs: dict[str, list[dict[str, Any]]] = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels))
    for k, (train_idx, test_idx) in enumerate(splits):
        test = ([texts[i] for i in test_idx], [labels[i] for i in test_idx])
        train_labels = [labels[i] for i in train_idx]
        for fraction in fractions:
            rows = [train_idx[i] for i in subsample(train_labels, fraction, seed=seed + k)]
            result = fit_and_score(([texts[i] for i in rows], [labels[i] for i in rows]), test, params=params,
                                   label_set=train_labels)
            runs.setdefault(str(fraction), []).append({**result, "n_train": len(rows)})
        if zero_shot:
            runs.setdefault("zero-shot", []).append(fit_and_score(None, test, params=params, baseline=False))
        if on_fold is not None:
            on_fold(k + 1)
    summary: dict[str, Any] = {}
    for key, results in runs.items():
        names = ("accuracy", "macro_f1", "top3_accuracy", "baseline_accuracy", "baseline_macro_f1",
                 "baseline_top3_accuracy", "n_train", "fit_seconds")
        summary[key] = {name: round(float(np.mean([r[name] for r in results])), 4)
                        for name in names if all(r.get(name) is not None for r in results)}
        summary[key]["folds"] = [round(r["accuracy"], 4) for r in results]
    return {"n": len(texts), "n_labels": len(set(labels)), "folds": folds, "seed": seed, "results": summary}


__all__ = ["FRACTIONS", "LabelledDescriptions", "baseline_scores", "baseline_svm", "cross_validate_industry",
           "evaluate_industry",
           "fit_and_score", "label_texts_for", "read_descriptions", "subsample"]
