"""Lists as files people open in a spreadsheet: CSV and Excel (XLSX), the same rows and columns in both.

CSV is UTF-8 with a byte-order mark and CRLF line ends, so Excel and WPS in China open Chinese text correctly by
double-click (without the BOM they read it as GBK). XLSX keeps numbers as numbers and dates as dates. Text that a
spreadsheet would run as a formula - a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return -
is prefixed with ``'`` in both formats (OWASP "CSV injection"); numbers, negative ones included, are not text and
stay numbers. Column titles are given in the reader's language by the caller.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bizpilot.errors import ValidationFailed

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "xlsx")
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 100_000  # one download at most; a list longer than this is paged with limit/offset
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit on the text of one cell
_BOM = "\ufeff"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class Column:
    """One column of an export: the row's ``key``, its ``title`` (in the reader's language), how to read the
    value when it is not simply ``row[key]`` (``value``), and ``kind="date"`` for ISO date text that should be a
    date cell in Excel."""

    key: str
    title: str
    value: Callable[[Any], Any] | None = None
    kind: Literal["date"] | None = None

    def read(self, row: Any) -> Any:
        if self.value is not None:
            return self.value(row)
        if isinstance(row, Mapping):
            return row.get(self.key)
        return getattr(row, self.key, None)


def escape_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: a leading formula character gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _naive(value: datetime) -> datetime:
    """Spreadsheets have no time zones: aware times are written in UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _parse_date(text: str) -> date | datetime | str:
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        if _ISO_DATETIME.match(text):
            return _naive(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    return text


def plain(value: Any) -> Any:
    """A cell value: None, bool, int, float, date, datetime or text (lists joined with "; ", mappings as JSON)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return _naive(value)
    if isinstance(value, date):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(str(text) for text in (_as_text(plain(v)) for v in value) if text != "")
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return plain(item())
    return str(value)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(row: Any, column: Column) -> Any:
    value = plain(column.read(row))
    if column.kind == "date" and isinstance(value, str):
        value = _parse_date(value.strip())
    if isinstance(value, str):
        value = escape_text(ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT])
    return value


def _check(columns: Sequence[Column]) -> None:
    if not columns:
        raise ValidationFailed("an export needs at least one column")


def to_csv(rows: Iterable[Any], columns: Sequence[Column]) -> bytes:
    """UTF-8 CSV with a BOM and CRLF line ends (what Excel expects), a header of the column titles."""
    _check(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_text(c.title) for c in columns])
    for row in rows:
        writer.writerow([_as_text(_cell(row, c)) for c in columns])
    return (_BOM + buffer.getvalue()).encode("utf-8")


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Export"
    return cleaned[:31]


def to_xlsx(rows: Iterable[Any], columns: Sequence[Column], *, sheet: str = "Export") -> bytes:
    """One sheet: a bold, frozen header row with a filter, numbers as numbers and dates as dates."""
    _check(columns)
    book = Workbook(write_only=True)
    ws = book.create_sheet(_sheet_title(sheet))
    ws.freeze_panes = "A2"
    widths = [max(10, min(48, len(c.title) * 2 + 2)) for c in columns]
    body: list[list[Any]] = []
    for row in rows:
        values = [_cell(row, c) for c in columns]
        for i, value in enumerate(values):
            if isinstance(value, str):
                widths[i] = max(widths[i], min(48, len(value) + 2))
        body.append(values)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=escape_text(c.title))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for values in body:
        ws.append([_xlsx_cell(ws, v) for v in values])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(body) + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(ws: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, never a formula, whatever it looks like
        return cell
    return value


def render(rows: Iterable[Any], columns: Sequence[Column], *, format: str, sheet: str = "Export") -> bytes:
    """The file of ``rows`` in ``format`` (csv or xlsx)."""
    if format == "csv":
        return to_csv(rows, columns)
    if format == "xlsx":
        return to_xlsx(rows, columns, sheet=sheet)
    raise ValidationFailed(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}",
                           details=[{"field": "format", "reason": "csv or xlsx", "value": format}])


def file_name(base: str, format: str, *, today: date | None = None) -> str:
    """``<base>-<YYYY-MM-DD>.<format>`` with only safe ASCII characters (for ``Content-Disposition``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.") or "export"
    return f"{slug[:80]}-{(today or date.today()).isoformat()}.{format}"


def collect(fetch: Callable[[int, int], Sequence[Any]], *, page_size: int, total: int | None = None,
            offset: int = 0, cap: int = MAX_ROWS) -> list[Any]:
    """Every row of a paged list from ``offset`` (``fetch(limit, offset)`` returns one page), up to ``cap``; so
    an export of a list holds all its matching rows, not one screen of them."""
    rows: list[Any] = []
    while len(rows) < cap:
        page = list(fetch(min(page_size, cap - len(rows)), offset + len(rows)))
        rows.extend(page)
        if len(page) < page_size or (total is not None and offset + len(rows) >= total):
            break
    return rows[:cap]


__all__ = ["FORMATS", "FORMULA_PREFIXES", "MAX_ROWS", "MEDIA_TYPES", "Column", "ExportFormat", "collect",
           "escape_text", "file_name", "plain", "render", "to_csv", "to_xlsx"]
