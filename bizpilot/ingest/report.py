"""What an import did, and the rejects/outliers files a person reads (and can fix and re-import)."""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bizpilot.errors import RowError
from bizpilot.ingest.readers import SOURCE_ROW


@dataclass
class ImportReport:
    entity: str
    source: str
    rows_read: int = 0
    rejected: int = 0
    duplicates_in_file: int = 0
    outliers_flagged: int = 0
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    rejects_path: str | None = None
    outliers_path: str | None = None
    seconds: float = 0.0
    status: str = "finished"
    strict: bool = False
    unused_columns: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None
    encoding: str | None = None  # text files: the encoding the file was read with ("gb18030 (detected)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, Any]:
        return {"rows_read": self.rows_read, "rejected": self.rejected,
                "duplicates_in_file": self.duplicates_in_file, "outliers_flagged": self.outliers_flagged,
                "tables": self.tables, "seconds": round(self.seconds, 3),
                **({"encoding": self.encoding} if self.encoding else {})}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
VALUE_CHARS = 1000  # the _value column quotes the offending value, not a whole megabyte of it


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (``=cmd|' /C calc'!A0``, ``+``, ``-``, ``@``, tab, CR) gets a
    leading ``'``, as the exports do; plain numbers such as ``-4`` stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def write_issue_file(path: Path, issues: list[RowError], frame: pd.DataFrame | None,
                     originals: dict[int, dict[str, Any]] | None = None) -> Path:
    """One line per row: the row number, the fields and reasons, then the row's original cells, so the file can
    be corrected and imported again. ``originals`` has the cells of rows the reader set aside (not in ``frame``).
    Every cell is made safe to open in a spreadsheet (:func:`spreadsheet_safe`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    by_row: dict[int, list[RowError]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(issue)
    found: dict[int, dict[str, Any]] = {}
    columns: list[str] = []
    if frame is not None and SOURCE_ROW in frame.columns:
        columns = [c for c in frame.columns if c != SOURCE_ROW]
        wanted = frame[frame[SOURCE_ROW].isin(list(by_row))]
        for rec in wanted.to_dict("records"):
            found[int(rec[SOURCE_ROW])] = rec
    found.update(originals or {})
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["_row", "_field", "_reason", "_value", *columns])
        for row in sorted(by_row):
            items = by_row[row]
            original = found.get(row, {})
            value = "; ".join("" if i.value is None else str(i.value) for i in items)
            writer.writerow([spreadsheet_safe(cell) for cell in (
                row,
                "; ".join(i.field for i in items),
                "; ".join(i.reason for i in items),
                value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + "…",
                *("" if original.get(c) is None else original.get(c) for c in columns),
            )])
    return path
