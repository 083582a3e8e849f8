"""Excel workbooks: refuse zip bombs before openpyxl unpacks anything, then read one worksheet's rows as the
values a person sees (cached formula results, typed numbers and dates), with their spreadsheet row numbers."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bizpilot.errors import UnsupportedFormat, ValidationFailed

MB = 1024 * 1024
MAX_RATIO = 200  # uncompressed : compressed; worksheet XML packs ~10-50x, zip bombs 1000x and more
RATIO_FLOOR = 50 * MB  # small files may pack well without being a danger


def check_workbook_zip(path: Path, *, max_unzipped_mb: int) -> None:
    """An .xlsx is a zip archive: read its directory (no decompression) and refuse what would unpack too large."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsupportedFormat(f"{path.name} is not an Excel .xlsx workbook (it is not the zip archive an .xlsx "
                                f"is: {exc}); save it from Excel as .xlsx or CSV",
                                details=[{"field": "file", "reason": "not an xlsx workbook"}]) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise UnsupportedFormat(f"{path.name} is a zip archive but not an Excel workbook (no xl/workbook.xml)",
                                details=[{"field": "file", "reason": "not an xlsx workbook"}])
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > max_unzipped_mb * MB:
        raise ValidationFailed(f"{path.name} would unpack to {unpacked / MB:,.0f} MB, more than the "
                               f"{max_unzipped_mb:,} MB an import unpacks (BIZPILOT_IMPORT_MAX_UNZIPPED_MB): a zip "
                               "bomb, or a workbook to split or save as CSV",
                               details=[{"field": "file", "reason": "unpacks too large"}])
    if unpacked > RATIO_FLOOR and unpacked / packed > MAX_RATIO:
        raise ValidationFailed(f"{path.name} packs {unpacked / MB:,.0f} MB into {packed / MB:,.1f} MB "
                               f"({unpacked / packed:,.0f}:1), far more than a real workbook: refused as a zip bomb",
                               details=[{"field": "file", "reason": "zip bomb"}])


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date | time | str | int | float | bool) or value is None:
        return value
    return str(value)


def iter_xlsx_rows(path: Path, *, sheet: str | int | None, max_unzipped_mb: int
                   ) -> Iterator[tuple[int, list[Any], str]]:
    """``(row number, cells, "")`` for every row of the chosen sheet (the first by default), blank rows included
    so numbers match what Excel shows."""
    check_workbook_zip(path, max_unzipped_mb=max_unzipped_mb)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files; one clear message
        raise UnsupportedFormat(f"cannot open {path.name} as an Excel workbook: {exc}",
                                details=[{"field": "file", "reason": "damaged workbook"}]) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ValidationFailed(f"{path.name} has {len(names)} sheet(s); there is no sheet number {sheet}")
            ws = wb.worksheets[sheet]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise ValidationFailed(f"{path.name} has no sheet named '{sheet}'; its sheets are {', '.join(names)}")
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            yield number, [_cell(v) for v in values], ""
    finally:
        wb.close()


def iter_xls_rows(path: Path, *, sheet: str | int | None) -> Iterator[tuple[int, list[Any], str]]:
    """Old binary .xls through pandas, which needs the optional xlrd package."""
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=object)
    except ImportError:
        raise UnsupportedFormat(f"{path.name} is an old .xls workbook; reading those needs the xlrd package. Save it "
                                "as .xlsx or CSV in Excel", details=[{"field": "file", "reason": "xls"}]) from None
    except Exception as exc:  # noqa: BLE001 - one clear message for a damaged file
        raise UnsupportedFormat(f"cannot open {path.name} as an Excel .xls workbook: {exc}") from None
    for number, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        yield int(number) + 1, [None if v is None or v != v else _cell(v) for v in values], ""
