"""`bizpilot eval <task>`: measure a model on labelled data the same way every time.

Each task is one command of ``eval_app`` (``generate`` today; recommend, intent, churn... later), built from the
same pieces: a reader per data format that names the line of any bad row, a model fitted on ``--train`` where
given, metric functions from `bizpilot.ml.evaluation`, and `_emit`, which prints exactly one JSON object on stdout
with ``--json`` (a table on stderr otherwise). Progress and logs go to stderr.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from bizpilot.cli._common import err_console, handle_errors, print_json
from bizpilot.errors import NotFoundError, RowError, UnsupportedFormat, ValidationFailed

eval_app = typer.Typer(help="Evaluate models on labelled data; --json prints exactly one JSON object on stdout.",
                       no_args_is_help=True)

MAX_REPORTED_ERRORS = 50


# ---------------------------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------------------------


def read_text_file(path: Path) -> str:
    """The UTF-8 text of a data file (BOM dropped); a missing file, a folder or undecodable bytes raise errors
    naming the file and line."""
    if not path.exists():
        raise NotFoundError(f"data file not found: {path}")
    if not path.is_file():
        raise ValidationFailed(f"not a file: {path}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ValidationFailed(f"{path}: line {line} is not UTF-8 text",
                               details=[RowError(row=line, field="(line)", reason="not UTF-8").to_dict()]) from None


def read_json_records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-empty line of a JSON Lines file (a file holding one JSON array is
    read as its elements, numbered from 1). Missing file, undecodable text and bad JSON raise errors naming the
    file and line."""
    text = read_text_file(path)
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})",
                                   details=[RowError(row=exc.lineno, field="(line)", reason=exc.msg).to_dict()]
                                   ) from None
        yield from enumerate(items, start=1)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path}: line {lineno} is not valid JSON ({exc.msg} at column {exc.colno})",
                                   details=[RowError(row=lineno, field="(line)", reason=exc.msg).to_dict()]
                                   ) from None


def _raise_row_errors(path: Path, errors: list[RowError]) -> None:
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{path}: {len(errors)} bad row(s); first: line {first.row}, field "
                               f"{first.field!r}: {first.reason}",
                               details=[e.to_dict() for e in errors[:MAX_REPORTED_ERRORS]])


def read_advertisegen(path: Path) -> list[dict[str, Any]]:
    """AdvertiseGen JSON Lines: ``{"content": "类型#裙*颜色#红色*...", "summary": "..."}`` per line. Returns rows
    with ``line``, ``content``, ``attributes`` (parsed pairs) and ``summary``."""
    from bizpilot.ml.text.attributes import parse_attributes

    rows: list[dict[str, Any]] = []
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
    _raise_row_errors(path, errors)
    if not rows:
        raise ValidationFailed(f"{path}: no rows to evaluate")
    return rows


READERS: dict[str, dict[str, Callable[[Path], list[dict[str, Any]]]]] = {
    "generate": {"advertisegen": read_advertisegen},
}


def _reader(task: str, fmt: str) -> Callable[[Path], list[dict[str, Any]]]:
    readers = READERS[task]
    if fmt.lower() not in readers:
        raise UnsupportedFormat(f"unsupported --format {fmt!r} for eval {task}; one of: {', '.join(readers)}")
    return readers[fmt.lower()]


def emit_result(result: dict[str, Any], as_json: bool, title: str) -> None:
    """One JSON object on stdout, or a two-column table on stderr."""
    if as_json:
        print_json(result)
        return
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}.{sub}", _fmt(v))
        else:
            table.add_row(key, _fmt(value))
    err_console.print(table)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def eval_progress(enabled: bool, label: str, total: int) -> Any:
    """A transient progress bar on stderr when it is a terminal; a no-op otherwise."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled or not err_console.is_terminal:
        return nullcontext(lambda done: None)

    class _Bar:
        def __enter__(self) -> Callable[[int], None]:
            self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=err_console, transient=True)
            self.progress.__enter__()
            task = self.progress.add_task(label, total=total)
            return lambda done: self.progress.update(task, completed=done)

        def __exit__(self, *exc: Any) -> None:
            self.progress.__exit__(*exc)

    return _Bar()


# ---------------------------------------------------------------------------------------------------------------
# eval generate
# ---------------------------------------------------------------------------------------------------------------


def evaluate_generation(rows: list[dict[str, Any]], train: list[dict[str, Any]] | None = None,
                        model: Any = None, on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fit a copywriter on ``train`` (the template fallback without it, or the given ``model``), generate copy for
    every row and score it against the rows' summaries; also returns the generated texts under ``outputs``."""
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


@eval_app.command("generate")
@handle_errors
def generate(
    data: Annotated[Path, typer.Option("--data", help="Rows to evaluate (JSON Lines: attributes and reference copy)")],
    fmt: Annotated[str, typer.Option("--format", help="Data format: advertisegen")] = "advertisegen",
    train: Annotated[Path | None, typer.Option("--train", help="Examples to learn from (same format); without it "
                                               "the copy is a template realisation of the attributes")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")] = False,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write the generated copy here "
                                                     "(JSON Lines: line, content, summary, generated)")] = None,
) -> None:
    """Attribute-to-copy generation: BLEU-4 (characters), ROUGE-1/2/L (jieba words), attribute coverage,
    contradiction rate and seconds per item, as the ChatGLM-6B AdvertiseGen example computes them."""
    reader = _reader("generate", fmt)
    rows = reader(data)
    train_rows = reader(train) if train is not None else None
    err_console.print(f"eval generate: {len(rows)} rows from {data}"
                      + (f", learning from {len(train_rows)} rows of {train}" if train_rows else
                         " (template realisation: no --train)"), highlight=False)
    with eval_progress(True, "generating", len(rows)) as update:
        result = evaluate_generation(rows, train_rows, on_progress=update)
    outputs = result.pop("outputs")
    if result["rows_also_in_train"]:
        err_console.print(f"[yellow]warning[/]: {result['rows_also_in_train']} evaluated row(s) also appear in "
                          "--train; their scores are not a held-out measurement", highlight=False)
    if predictions is not None:
        with predictions.open("w", encoding="utf-8") as fh:
            for row, out in zip(rows, outputs, strict=True):
                fh.write(json.dumps({"line": row["line"], "content": row["content"], "summary": row["summary"],
                                     "generated": out}, ensure_ascii=False) + "\n")
    result = {"format": fmt.lower(), **result}
    emit_result(result, as_json, title=f"eval generate ({result['model']}, {result['n']} rows)")


# ---------------------------------------------------------------------------------------------------------------
# Tasks in their own modules: each ``bizpilot/cli/eval_<task>.py`` decorates its command with
# ``@eval_app.command("<task>")`` and reuses ``emit_result``/``eval_progress``; importing it here registers it.
# ---------------------------------------------------------------------------------------------------------------
from bizpilot.cli import eval_intel, eval_recommend, eval_retrieval, eval_signals  # noqa: E402,F401
