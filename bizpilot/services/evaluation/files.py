"""Readers of evaluation data files shared by the tasks: UTF-8 text, JSON Lines and labelled CSV/TSV. Every
problem is an error naming the file, the line and the field, with one detail per bad row (the CLI prints them, the
API returns them)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bizpilot.errors import NotFoundError, RowError, ValidationFailed

MAX_REPORTED_ERRORS = 50
TEXT_COLUMNS = ("text", "review", "sentence", "content", "message", "comment", "query")
LABEL_COLUMNS = ("category", "label", "score", "sentiment", "intent", "polarity", "class")


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


def raise_row_errors(path: Path, errors: list[RowError], *, what: str = "field") -> None:
    """One error for all bad rows of a file: the count and the first in the message, every row (up to
    ``MAX_REPORTED_ERRORS``) in the details; nothing when ``errors`` is empty."""
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{path}: {len(errors)} bad row(s); first: line {first.row}, {what} "
                               f"{first.field!r}: {first.reason}",
                               details=[e.to_dict() for e in errors[:MAX_REPORTED_ERRORS]])


def read_labelled(path: Path, text_col: str | None = None, label_col: str | None = None
                  ) -> tuple[list[str], list[str], list[int]]:
    """(texts, labels, line numbers) from a CSV/TSV file with a header (TSV when the first line has a tab).
    Columns are found by name (``text_col``/``label_col`` or common names); a missing column or an empty label is
    an error naming the line and column; rows with an empty text are skipped (they carry no signal)."""
    content = read_text_file(path)
    first = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
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
    raise_row_errors(path, errors, what="column")
    if not texts:
        raise ValidationFailed(f"{path}: no labelled rows")
    return texts, labels, lines


def find_column(path: Path, header: list[str], wanted: str | None, candidates: tuple[str, ...], option: str) -> str:
    """The header name of ``wanted`` (case-insensitive), else the first of ``candidates`` present; ``option``
    names the setting to use in the error when neither is found."""
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


__all__ = ["LABEL_COLUMNS", "MAX_REPORTED_ERRORS", "TEXT_COLUMNS", "find_column", "raise_row_errors",
           "read_json_records", "read_labelled", "read_text_file"]
