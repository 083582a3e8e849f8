"""Read CSV/TSV/Excel/Parquet/JSON Lines into a table of raw values, remembering each row's number.

Text files are decoded with the encoding they were saved in (``textfiles.py``) and parsed with the csv module, so a
row with more or fewer fields than the header is set aside with its row number instead of shifting columns;
worksheets are checked for zip bombs and may have title rows above the header (``tables.py``, ``sheets.py``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from bizpilot.config import get_settings
from bizpilot.errors import BizpilotError, UnsupportedFormat, ValidationFailed
from bizpilot.ingest.sheets import check_workbook_zip, iter_xls_rows, iter_xlsx_rows
from bizpilot.ingest.tables import SOURCE_ROW, SourceTable, build_table, reject_oversize
from bizpilot.ingest.textfiles import SAMPLE_BYTES, Encoding, detect_encoding, not_text_reason

NA_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "—"}
DELIMITERS = (",", "\t", ";", "|")
CSV_FIELD_LIMIT = 1 << 26  # the csv module's own cap; cells over the import limit are rejected row by row

FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}

__all__ = ["SOURCE_ROW", "SourceTable", "detect_format", "read_source", "read_table", "preflight", "is_missing"]


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        raise UnsupportedFormat(
            f"cannot tell the format of '{path.name}': use one of {', '.join(sorted(FORMATS))} (optionally .gz)")
    return FORMATS[suffixes[-1]]


def _open(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")  # type: ignore[return-value]


def _sample(path: Path) -> bytes:
    try:
        with _open(path) as fh:
            return fh.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:  # a damaged or fake .gz
        raise UnsupportedFormat(f"cannot read {path.name}: {exc}",
                                details=[{"field": "file", "reason": "unreadable"}]) from None


def _choose_delimiter(text: str) -> str:
    """The separator that gives the header more than one field and the most rows of the header's width."""
    lines = text.splitlines(keepends=True)[:50]
    if lines and not text.endswith(("\n", "\r")):
        lines = lines[:-1] or lines  # the sample may end in the middle of a line
    best, score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(lines, delimiter=delimiter) if r][:20]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        candidate = (sum(1 for r in records if len(r) == len(records[0])), len(records[0]))
        if candidate > score:
            best, score = delimiter, candidate
    return best


def _first_bad_line(path: Path, enc: Encoding) -> int | None:
    """The 1-based line holding the first undecodable byte (ASCII-compatible encodings: a line break byte is never
    part of a multi-byte character there); None for UTF-16/32."""
    if enc.codec.startswith(("utf-16", "utf-32")):
        return None
    decoder = codecs.getincrementaldecoder(enc.codec)(errors="strict")
    with _open(path) as raw:
        for number, line in enumerate(raw, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number
    return None


def _undecodable(name: str, enc: Encoding, line: int) -> ValidationFailed:
    return ValidationFailed(
        f"{name}: line {line} has bytes that are not valid {enc.label} ({enc.how}); the file mixes encodings or is "
        "not text. Save it in one encoding (CSV UTF-8 in Excel) or name the right one (--encoding / the encoding "
        "field); nothing was imported",
        details=[{"field": "encoding", "reason": f"line {line} is not {enc.label}", "value": enc.label}])


def _csv_records(path: Path, *, delimiter: str, enc: Encoding, name: str) -> Iterator[tuple[int, list[str], str]]:
    """``(row number, fields, where)``: rows as a spreadsheet numbers them (a quoted field may span lines; then
    ``where`` names the file lines). Decoded through one C text stream (``newline=''`` as the csv module wants); a
    byte the encoding cannot decode stops the read with the exact line it is on (found by a second look)."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    number = 0
    end = 0
    with _open(path) as raw, io.TextIOWrapper(raw, encoding=enc.codec, errors="strict", newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for fields in reader:
                number += 1
                start, end = end + 1, reader.line_num
                if start == end == number:
                    yield number, fields, ""
                else:
                    yield number, fields, (f" (line {start} of the file)" if start == end
                                           else f" (lines {start}-{end} of the file)")
        except UnicodeDecodeError:
            raise _undecodable(name, enc, _first_bad_line(path, enc) or end + 1) from None
        except csv.Error as exc:
            raise ValidationFailed(f"{name}: row {number + 1} (line {end + 1}) cannot be read: {exc}; an unclosed "
                                   "quote?", details=[{"field": "(row)", "reason": str(exc), "value": number + 1}]
                                   ) from None


def preflight(path: Path, *, encoding: str | None = None) -> None:
    """Cheap checks before a file is accepted for a background import: empty, not text, unknown encoding, zip
    bombs. Raises what reading would raise, so an upload gets its 4xx answer at once."""
    fmt = detect_format(path)
    name = path.name
    if path.stat().st_size == 0:
        raise ValidationFailed(f"{name} is empty", details=[{"field": "file", "reason": "empty"}])
    if fmt == "excel":
        if path.suffix.lower() != ".xls":
            check_workbook_zip(path, max_unzipped_mb=get_settings().import_max_unzipped_mb)
        return
    if fmt in ("csv", "tsv", "json", "jsonl"):
        sample = _sample(path)
        reason = not_text_reason(sample)
        if reason:
            raise UnsupportedFormat(f"{name}: {reason}", details=[{"field": "file", "reason": "not text"}])
        enc = detect_encoding(sample, given=encoding, name=name)
        if enc.how == "given":  # the user's choice must fit the start of the file at least
            try:
                codecs.getincrementaldecoder(enc.codec)(errors="strict").decode(sample, final=False)
            except UnicodeDecodeError as exc:
                raise _undecodable(name, enc, sample[:exc.start].count(b"\n") + 1) from None


def read_source(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None) -> SourceTable:
    """Read the file as a :class:`SourceTable`: good rows in ``frame`` (``__source_row__`` is the row number a
    person sees: the spreadsheet/CSV row, header row included; the line in JSON Lines), rows set aside in
    ``rejects``. ``encoding`` overrides detection for text files."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}", details=[{"field": "file", "reason": "not found"}])
    preflight(path, encoding=encoding)
    fmt = detect_format(path)
    settings = get_settings()
    max_cell = settings.import_max_cell_chars
    name = path.name
    if fmt in ("csv", "tsv"):
        sample = _sample(path)
        enc = detect_encoding(sample, given=encoding, name=name)
        head = codecs.getincrementaldecoder(enc.codec)(errors="replace").decode(sample, final=False)
        delimiter = "\t" if fmt == "tsv" else _choose_delimiter(head)
        return build_table(_csv_records(path, delimiter=delimiter, enc=enc, name=name), name=name,
                           max_cell=max_cell, ragged=True, encoding=enc)
    if fmt == "excel":
        rows = (iter_xls_rows(path, sheet=sheet) if path.suffix.lower() == ".xls" else
                iter_xlsx_rows(path, sheet=sheet, max_unzipped_mb=settings.import_max_unzipped_mb))
        return build_table(rows, name=name, max_cell=max_cell, ragged=False)
    enc = None
    try:
        if fmt == "parquet":
            df = pd.read_parquet(path)
            first = 2
        else:
            with _open(path) as fh:
                data = fh.read()
            enc = detect_encoding(data[:SAMPLE_BYTES], given=encoding, name=name)
            try:
                text = data.decode(enc.codec)
            except UnicodeDecodeError as exc:
                line = data[:exc.start].count(b"\n") + 1
                raise _undecodable(name, enc, line) from None
            df = pd.read_json(io.StringIO(text), lines=fmt == "jsonl", dtype=False)
            first = 1 if fmt == "jsonl" else 2
    except BizpilotError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow/pandas raise many types for a bad file; one clear message
        raise UnsupportedFormat(f"cannot read {name} as {fmt}: {exc}",
                                details=[{"field": "file", "reason": f"not valid {fmt}"}]) from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.reset_index(drop=True)
    df[SOURCE_ROW] = range(first, first + len(df))
    return reject_oversize(SourceTable(frame=df, encoding=enc), max_cell=max_cell)


def read_table(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None) -> pd.DataFrame:
    """The good rows of :func:`read_source` as a DataFrame, for readers that take a file whole (evaluation data):
    a row the reader had to set aside is an error here, never a silent gap."""
    table = read_source(path, sheet=sheet, encoding=encoding)
    if table.rejects:
        first = table.rejects[:5]
        raise ValidationFailed(f"{Path(path).name}: {len(table.rejects)} row(s) cannot be read: "
                               + "; ".join(f"row {r.row}: {r.reason}" for r in first),
                               details=[r.to_dict() for r in first])
    return table.frame


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
