"""What an import did, and the rejects/outliers files a person reads (and can fix and re-import)."""

from __future__ import annotations

import csv
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, Any]:
        return {"rows_read": self.rows_read, "rejected": self.rejected,
                "duplicates_in_file": self.duplicates_in_file, "outliers_flagged": self.outliers_flagged,
                "tables": self.tables, "seconds": round(self.seconds, 3)}


def write_issue_file(path: Path, issues: list[RowError], frame: pd.DataFrame | None) -> Path:
    """One line per row: the row number, the fields and reasons, then the row's original cells, so the file can
    be corrected and imported again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    by_row: dict[int, list[RowError]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(issue)
    originals: dict[int, dict[str, Any]] = {}
    columns: list[str] = []
    if frame is not None and SOURCE_ROW in frame.columns:
        columns = [c for c in frame.columns if c != SOURCE_ROW]
        wanted = frame[frame[SOURCE_ROW].isin(list(by_row))]
        for rec in wanted.to_dict("records"):
            originals[int(rec[SOURCE_ROW])] = rec
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["_row", "_field", "_reason", "_value", *columns])
        for row in sorted(by_row):
            items = by_row[row]
            original = originals.get(row, {})
            writer.writerow([
                row,
                "; ".join(i.field for i in items),
                "; ".join(i.reason for i in items),
                "; ".join("" if i.value is None else str(i.value) for i in items),
                *("" if original.get(c) is None else original.get(c) for c in columns),
            ])
    return path
