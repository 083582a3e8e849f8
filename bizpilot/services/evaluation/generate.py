"""Attribute-to-copy generation measured on AdvertiseGen-style files: BLEU-4 (characters), ROUGE-1/2/L (jieba
words), attribute coverage, contradiction rate and time per item, as the ChatGLM-6B AdvertiseGen example computes
them (`bizpilot eval generate`, bench/adgen.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bizpilot.errors import RowError, UnsupportedFormat, ValidationFailed
from bizpilot.services.evaluation.files import raise_row_errors, read_json_records

Rows = list[dict[str, Any]]


def read_advertisegen(path: Path) -> Rows:
    """AdvertiseGen JSON Lines: ``{"content": "类型#裙*颜色#红色*...", "summary": "..."}`` per line. Returns rows
    with ``line``, ``content``, ``attributes`` (parsed pairs) and ``summary``; every bad row is named by line and
    field."""
    from bizpilot.ml.text.attributes import parse_attributes

    rows: Rows = []
    errors: list[RowError] = []
    for lineno, obj in read_json_records(path):
        if not isinstance(obj, dict):
            errors.append(RowError(row=lineno, field="(line)", reason="expected a JSON object"))
            continue
        content, summary = obj.get("content"), obj.get("summary")
        if not isinstance(content, str) or not content.strip():
            errors.append(RowError(row=lineno, field="content", reason="missing or not a non-empty string",
                                   value=content))
            continue
        if not isinstance(summary, str) or not summary.strip():
            errors.append(RowError(row=lineno, field="summary", reason="missing or not a non-empty string",
                                   value=summary))
            continue
        try:
            attributes = parse_attributes(content)
        except ValueError as exc:
            errors.append(RowError(row=lineno, field="content", reason=str(exc), value=content))
            continue
        if not attributes:
            errors.append(RowError(row=lineno, field="content", reason="no key#value pairs", value=content))
            continue
        rows.append({"line": lineno, "content": content, "attributes": attributes, "summary": summary.strip()})
    raise_row_errors(path, errors)
    if not rows:
        raise ValidationFailed(f"{path}: no rows to evaluate")
    return rows


READERS: dict[str, Callable[[Path], Rows]] = {"advertisegen": read_advertisegen}


def generation_reader(*, fmt: str) -> Callable[[Path], Rows]:
    """The reader of a data format (case-insensitive); an unknown one is refused with the known ones listed."""
    if fmt.lower() not in READERS:
        raise UnsupportedFormat(f"unsupported --format {fmt!r} for eval generate; one of: {', '.join(READERS)}")
    return READERS[fmt.lower()]


def evaluate_generation(*, rows: Rows, train: Rows | None = None, model: Any = None,
                        on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fit a copywriter on ``train`` (the template fallback without it, or the given fitted ``model``), generate
    copy for every row and score it against the rows' summaries; the generated texts come back under
    ``outputs``. ``on_progress`` gets the number of rows generated so far."""
    from bizpilot.ml.evaluation import copy_check_metrics, corpus_text_metrics
    from bizpilot.ml.text.attributes import ValueLexicon
    from bizpilot.ml.text.copywriter import ExampleCopywriter, TemplateCopywriter

    started = time.perf_counter()
    if model is None:
        model = ExampleCopywriter() if train else TemplateCopywriter()
        model.fit([(r["attributes"], r["summary"]) for r in train or []])
    fit_seconds = time.perf_counter() - started
    outputs: list[str] = []
    gen_seconds = 0.0
    for i, row in enumerate(rows, start=1):
        t0 = time.perf_counter()
        outputs.append(model.generate(row["attributes"]))
        gen_seconds += time.perf_counter() - t0
        if on_progress:
            on_progress(i)
    refs = [r["summary"] for r in rows]
    attributes = [r["attributes"] for r in rows]
    lexicon = ValueLexicon().fit([r["attributes"] for r in train or []] + attributes)
    text = corpus_text_metrics(outputs, refs)
    checks = copy_check_metrics(outputs, attributes, lexicon)
    ref_checks = copy_check_metrics(refs, attributes, lexicon)
    seen = {(r["content"], r["summary"]) for r in train or []}
    return {
        "task": "generate",
        "model": type(model).__name__,
        "n": len(rows),
        "n_train": len(train or []),
        "bleu4": text["bleu4"],
        "rouge1": text["rouge1"],
        "rouge2": text["rouge2"],
        "rougeL": text["rougeL"],
        **checks,
        "seconds_per_item": gen_seconds / len(rows) if rows else 0.0,
        "fit_seconds": fit_seconds,
        "reference": {"attribute_coverage": ref_checks["attribute_coverage"],
                      "contradiction_rate": ref_checks["contradiction_rate"],
                      "unsupported_rate": ref_checks["unsupported_rate"]},
        "rows_also_in_train": sum((r["content"], r["summary"]) in seen for r in rows),
        "outputs": outputs,
    }


__all__ = ["READERS", "evaluate_generation", "generation_reader", "read_advertisegen"]
