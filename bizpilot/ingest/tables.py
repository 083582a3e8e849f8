"""Rows of cells (from CSV text or a worksheet) to a table: find the header under any title rows, name every column,
and set aside the rows that cannot be read cell for cell (too many or too few fields, a huge cell) with their row
number, so every other row keeps its exact values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import pandas as pd

from bizpilot.errors import RowError, ValidationFailed
from bizpilot.ingest.textfiles import Encoding

SOURCE_ROW = "__source_row__"
HEADER_SCAN = 30  # rows looked at to find the header under title rows
ROW = "(row)"  # the field of a reject about the whole row


@dataclass
class SourceTable:
    """A file as read: the good rows (``frame``, with ``__source_row__``), the rows the reader set aside
    (``rejects`` with their ``originals`` for the rejects file), how text was decoded, and notes for the report."""

    frame: pd.DataFrame
    encoding: Encoding | None = None
    rejects: list[RowError] = field(default_factory=list)
    originals: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    header_row: int = 1


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _filled(cells: list[Any]) -> int:
    return sum(1 for c in cells if not blank(c))


def find_header(rows: list[tuple[int, list[Any]]]) -> int:
    """Index of the header among the first rows: the first row that fills at least half the table's usual width
    with text. Title rows ("Customer list, March 2024") fill one or two cells; numbers or dates are data."""
    counts = [_filled(cells) for _, cells in rows]
    widths = [c for c in counts if c > 0]
    if not widths:
        return 0
    usual = max(Counter(widths).most_common(), key=lambda kv: (kv[1], kv[0]))[0]
    need = max(2, math.ceil(usual / 2)) if usual >= 2 else 1
    for i, (_, cells) in enumerate(rows):
        filled = [c for c in cells if not blank(c)]
        if len(filled) >= need and all(isinstance(c, str) for c in filled):
            return i
    return next(i for i, c in enumerate(counts) if c > 0)


def column_names(cells: list[Any]) -> tuple[list[str], list[str]]:
    """Header cells to unique column names (a blank one is "column N", a repeated one "name (2)"), with notes."""
    names: list[str] = []
    notes: list[str] = []
    seen: Counter[str] = Counter()
    for i, cell in enumerate(cells, 1):
        name = "" if blank(cell) else str(cell).strip()
        if not name:
            name = f"column {i}"
        seen[name] += 1
        if seen[name] > 1:
            notes.append(f"the header names '{name}' {seen[name]} times; column {i} was read as '{name} "
                         f"({seen[name]})'")
            name = f"{name} ({seen[name]})"
        names.append(name)
    return names, notes


def _short(value: Any, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def build_table(records: Iterable[tuple[int, list[Any], str]], *, name: str, max_cell: int,
                ragged: bool, encoding: Encoding | None = None) -> SourceTable:
    """Assemble a table from ``(row number, cells, where)`` records (``where`` says more than the row number,
    such as the file line a multi-line record ends on). ``ragged`` (text files): a row with more or fewer fields
    than the header is rejected; in a worksheet, values beyond the last header column are ignored with a note."""
    it: Iterator[tuple[int, list[Any], str]] = iter(records)
    head: list[tuple[int, list[Any], str]] = []
    for rec in it:
        head.append(rec)
        if len(head) >= HEADER_SCAN:
            break
    if not any(_filled(cells) for _, cells, _ in head):
        raise ValidationFailed(f"{name} is empty: no header row and no data",
                               details=[{"field": "file", "reason": "empty"}])
    at = find_header([(r, cells) for r, cells, _ in head])
    header_row, header_cells, _ = head[at]
    if not ragged:  # a worksheet is as wide as its widest row: the header ends at its last filled cell
        last = max(i for i, c in enumerate(header_cells) if not blank(c))
        header_cells = header_cells[:last + 1]
    columns, notes = column_names(header_cells)
    table = SourceTable(frame=pd.DataFrame(), encoding=encoding, notes=notes, header_row=header_row)
    if header_row > 1:
        table.notes.append(f"the header is on row {header_row}; the {header_row - 1} row(s) above it were skipped")
    width = len(columns)
    data: list[list[Any]] = []
    rows: list[int] = []
    ignored: list[int] = []

    def set_aside(row: int, cells: list[Any], reason: RowError) -> None:
        table.rejects.append(reason)
        table.originals[row] = {c: _short(v, max_cell) for c, v in zip(columns, cells, strict=False)}

    for row, cells, where in chain(head[at + 1:], it):
        try:  # text rows (all str) take the fast path: one join tells blank rows and rules out huge cells
            joined = "".join(cells)
            if not joined or joined.isspace():
                continue
            may_be_huge = len(joined) > max_cell
        except TypeError:  # worksheet rows hold numbers and dates
            if not _filled(cells):
                continue
            may_be_huge = True
        if len(cells) > width and any(not blank(c) for c in cells[width:]):
            if ragged:
                set_aside(row, cells, RowError(row, ROW, f"{len(cells)} fields where the header has {width}{where}; "
                                               "a separator inside an unquoted value? Quote the value or remove the "
                                               "extra field", _short(",".join("" if c is None else str(c)
                                                                              for c in cells))))
                continue
            ignored.append(row)
        cells = cells[:width]
        if len(cells) < width:
            if ragged:
                set_aside(row, cells, RowError(row, ROW, f"{len(cells)} field(s) where the header has {width}"
                                               f"{where}; is a separator or a closing quote missing?",
                                               _short(",".join("" if c is None else str(c) for c in cells))))
                continue
            cells = [*cells, *([None] * (width - len(cells)))]
        huge = next((i for i, c in enumerate(cells) if isinstance(c, str) and len(c) > max_cell),
                    None) if may_be_huge else None
        if huge is not None:
            set_aside(row, cells, RowError(row, columns[huge], f"the value has {len(cells[huge]):,} characters; "
                                           f"at most {max_cell:,} are imported (BIZPILOT_IMPORT_MAX_CELL_CHARS); the "
                                           "rejects file keeps the start of it", _short(cells[huge])))
            continue
        data.append(cells)
        rows.append(row)
    if ignored:
        shown = ", ".join(str(r) for r in ignored[:10]) + (" …" if len(ignored) > 10 else "")
        table.notes.append(f"values beyond the last header column were ignored on {len(ignored)} row(s): {shown}")
    frame = pd.DataFrame(data, columns=columns, dtype=object) if data else pd.DataFrame(columns=columns,
                                                                                         dtype=object)
    frame[SOURCE_ROW] = rows
    table.frame = frame
    return table


def reject_oversize(table: SourceTable, *, max_cell: int) -> SourceTable:
    """For tables read whole by pandas (Parquet, JSON): set aside rows with a text cell over ``max_cell``."""
    frame = table.frame
    bad = pd.Series(False, index=frame.index)
    columns = [c for c in frame.columns if c != SOURCE_ROW and frame[c].dtype == object]
    for col in columns:
        long = frame[col].map(lambda v: isinstance(v, str) and len(v) > max_cell)
        for idx in frame.index[long & ~bad]:
            row = int(frame.at[idx, SOURCE_ROW])
            value = frame.at[idx, col]
            table.rejects.append(RowError(row, col, f"the value has {len(value):,} characters; at most "
                                          f"{max_cell:,} are imported (BIZPILOT_IMPORT_MAX_CELL_CHARS)", _short(value)))
            table.originals[row] = {c: _short(frame.at[idx, c], max_cell) for c in frame.columns if c != SOURCE_ROW}
        bad |= long
    if bad.any():
        table.frame = frame[~bad].reset_index(drop=True)
    return table
