"""Read CSV/TSV/Excel/Parquet/JSON Lines into a DataFrame of raw values, remembering each row's source line."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pandas as pd

from bizpilot.errors import UnsupportedFormat, ValidationFailed

SOURCE_ROW = "__source_row__"
NA_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "—"}

FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        raise UnsupportedFormat(
            f"cannot tell the format of '{path.name}': use one of {', '.join(sorted(FORMATS))} (optionally .gz)")
    return FORMATS[suffixes[-1]]


def _sniff_delimiter(path: Path) -> str:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as fh:  # type: ignore[operator]
        sample = fh.read(64_000)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Return the file as a DataFrame of strings/objects plus ``__source_row__`` (the row number a person sees:
    the spreadsheet/CSV line, header being line 1; the line number in JSON Lines)."""
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(f"file not found: {path}")
    fmt = detect_format(path)
    header_offset = 2
    try:
        if fmt in ("csv", "tsv"):
            sep = "\t" if fmt == "tsv" else _sniff_delimiter(path)
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                             skip_blank_lines=True)
        elif fmt == "excel":
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        elif fmt == "jsonl":
            df = pd.read_json(path, lines=True, dtype=False)
            header_offset = 1
        else:
            df = pd.read_json(path, dtype=False)
            header_offset = 1
    except (ValueError, UnicodeDecodeError, OSError, csv.Error) as exc:
        raise ValidationFailed(f"cannot read {path.name} as {fmt}: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    df[SOURCE_ROW] = range(header_offset, header_offset + len(df))
    return df.reset_index(drop=True)


def read_text_table(text: str, *, sep: str = ",") -> pd.DataFrame:
    """Same as :func:`read_table` for CSV text already in memory (uploads, tests)."""
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    df[SOURCE_ROW] = range(2, 2 + len(df))
    return df


def is_missing(value: object) -> bool:
    """Blank cells, NaN/None and the usual textual NA tokens all mean "no value"."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip().lower() in NA_TOKENS
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
