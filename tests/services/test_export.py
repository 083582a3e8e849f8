"""Exports as spreadsheets read them: CSV with a BOM and CRLF for Excel, XLSX read back with openpyxl; formula
characters escaped in text (OWASP CSV injection) in both formats, numbers (negative ones too) kept as numbers, dates
as dates."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from bizpilot.errors import ValidationFailed
from bizpilot.services.export import Column, collect, escape_text, file_name, render, to_csv, to_xlsx

DANGEROUS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
COLUMNS = [Column("name", "名称"), Column("amount", "Amount"), Column("when", "Date"),
           Column("due", "Due", kind="date"), Column("tags", "Tags"), Column("ok", "OK")]


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [{"name": text, "amount": i} for i, text in enumerate(DANGEROUS)]
    rows.append({"name": "北京贸易有限公司", "amount": -12.5, "when": datetime(2024, 5, 1, 9, 30),
                 "due": "2024-06-30", "tags": ["=cmd", "vip"], "ok": True})
    rows.append({"name": "aware", "amount": float("nan"), "when": datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
                 "due": "not a date", "ok": False})
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese correctly
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "").replace("\r", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_escape_text_prefixes_formula_characters_only() -> None:
    assert [escape_text(t) for t in DANGEROUS] == ["'" + t for t in DANGEROUS]
    assert escape_text("plain") == "plain" and escape_text("a=b") == "a=b" and escape_text("") == ""
    assert escape_text("'=already quoted") == "'=already quoted"


def test_csv_is_excel_friendly_and_escapes_formulas() -> None:
    table = _read_csv(to_csv(_rows(), COLUMNS))
    assert table[0] == ["名称", "Amount", "Date", "Due", "Tags", "OK"]
    assert [r[0] for r in table[1:7]] == ["'" + t for t in DANGEROUS]
    assert [r[1] for r in table[1:7]] == ["0", "1", "2", "3", "4", "5"]
    chinese = table[7]
    assert chinese == ["北京贸易有限公司", "-12.5", "2024-05-01 09:30:00", "2024-06-30", "'=cmd; vip", "TRUE"]
    assert table[8] == ["aware", "", "2024-05-01 09:30:00", "not a date", "", "FALSE"]


def test_xlsx_keeps_types_and_escapes_formulas() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(_rows(), COLUMNS, sheet="Accounts: [all]")))
    sheet = book.active
    assert sheet.title == "Accounts   all"  # characters Excel forbids in sheet names are replaced
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["名称", "Amount", "Date", "Due", "Tags", "OK"]
    assert rows[0][0].font.bold and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F9"
    names = [r[0] for r in rows[1:7]]
    # (XML reads a carriage return back as a line feed)
    assert [c.value for c in names] == ["'" + t.replace("\r", "\n") for t in DANGEROUS]
    assert all(c.data_type == "s" for c in names)  # text, never formulas
    assert all(c.data_type != "f" for r in rows for c in r)
    chinese = rows[7]
    assert chinese[1].value == -12.5 and chinese[1].data_type == "n"  # a negative number is not text
    assert chinese[2].is_date and chinese[2].value == datetime(2024, 5, 1, 9, 30)
    assert chinese[3].is_date and chinese[3].value.date() == date(2024, 6, 30)
    assert chinese[4].value == "'=cmd; vip" and chinese[5].value is True
    aware = rows[8]
    assert aware[1].value is None and aware[2].value == datetime(2024, 5, 1, 9, 30)  # UTC, naive
    assert aware[3].value == "not a date" and aware[3].data_type == "s"


def test_control_characters_that_excel_refuses_are_dropped() -> None:
    data = to_xlsx([{"name": "bad\x01char\x1f"}], [Column("name", "Name")])
    assert load_workbook(io.BytesIO(data)).active["A2"].value == "badchar"


def test_columns_read_computed_values_and_objects() -> None:
    class Row:
        name = "=object"
        amount = 3

    columns = [Column("name", "Name"), Column("double", "Double", value=lambda r: r.amount * 2)]
    assert _read_csv(render([Row()], columns, format="csv"))[1] == ["'=object", "6"]


def test_unknown_format_and_no_columns_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="csv, xlsx"):
        render([], [Column("a", "A")], format="pdf")
    with pytest.raises(ValidationFailed):
        to_csv([], [])


def test_file_name_is_safe_ascii_with_the_date() -> None:
    assert file_name("at-risk accounts/../x", "xlsx", today=date(2024, 5, 1)) == "at-risk-accounts-..-x-2024-05-01.xlsx"
    assert file_name("客户", "csv", today=date(2024, 5, 1)) == "export-2024-05-01.csv"


def test_collect_reads_every_page_up_to_the_cap() -> None:
    data = list(range(1234))
    calls: list[tuple[int, int]] = []

    def fetch(limit: int, offset: int) -> list[int]:
        calls.append((limit, offset))
        return data[offset:offset + limit]

    assert collect(fetch, page_size=500) == data
    assert calls == [(500, 0), (500, 500), (500, 1000)]
    assert collect(fetch, page_size=500, offset=1000) == data[1000:]
    assert collect(fetch, page_size=100, cap=250) == data[:250]
    calls.clear()
    assert collect(fetch, page_size=500, total=1000) == data[:1000] and len(calls) == 2
