"""The bad-input corpus against the real importer: every case ends with every good value exactly right or with a
clear error naming the row, field or file problem, and a failed import leaves the database as it was."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bizpilot.config import reset_settings
from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.errors import ImportRejected, UnsupportedFormat, ValidationFailed
from bizpilot.ingest.pipeline import import_file
from tests.ingest.bad_inputs import (
    ENCODINGS,
    FORMULAS,
    PNG,
    RAGGED,
    encoded_file,
    titled_workbook,
    zip_bomb,
)
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV, counts, write, write_rows

pytestmark = pytest.mark.storage


def accounts(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        return {r.name: (r.industry, r.country) for r in conn.execute(select(Account))}


def rejects_of(path: str | None) -> dict[int, dict[str, str]]:
    assert path is not None
    with open(path, newline="", encoding="utf-8") as fh:
        return {int(r["_row"]): r for r in csv.DictReader(fh)}


def test_ragged_rows_are_rejected_by_row_and_the_others_keep_their_values(engine: Engine, tmp_path: Path) -> None:
    report = import_file("accounts", write(tmp_path, "ragged.csv", RAGGED), engine=engine)
    assert accounts(engine) == {"Beta Ltd": ("retail", "GB"), "Delta AG": ("chemicals", "CH")}
    assert report.rows_read == 4 and report.rejected == 2
    bad = rejects_of(report.rejects_path)
    assert set(bad) == {2, 4}
    assert bad[2]["_field"] == "(row)" and "4 fields where the header has 3" in bad[2]["_reason"]
    assert bad[2]["_value"] == "Alpha GmbH,manufacturing,DE,extra" and bad[2]["name"] == "Alpha GmbH"
    assert "2 field(s) where the header has 3" in bad[4]["_reason"] and bad[4]["name"] == "Gamma SA"


def test_ragged_rows_in_strict_mode_write_nothing(engine: Engine, tmp_path: Path) -> None:
    before = counts(engine)
    with pytest.raises(ImportRejected) as exc:
        import_file("accounts", write(tmp_path, "ragged.csv", RAGGED), strict=True, engine=engine)
    assert [d["row"] for d in exc.value.details] == [2, 4]
    assert counts(engine) == before


def test_trailing_empty_fields_are_not_ragged(engine: Engine, tmp_path: Path) -> None:
    report = import_file("accounts", write(tmp_path, "t.csv", "name,industry,\nAcme,Food,\nBeta,Retail,,\n"),
                         engine=engine)
    assert report.rejected == 0 and accounts(engine) == {"Acme": ("Food", None), "Beta": ("Retail", None)}


@pytest.mark.parametrize("case", ENCODINGS)
def test_encodings_are_detected_and_chinese_headers_map(engine: Engine, tmp_path: Path, case: str) -> None:
    path, expected, encoding = encoded_file(tmp_path, case)
    report = import_file("accounts", path, engine=engine)
    assert report.encoding == encoding
    assert (f"read as {encoding}" in report.notes) is (case != "utf-8")  # plain UTF-8 needs no note
    assert report.mapping == {"name": "客户名称", "industry": "行业", "country": "国家"}
    assert report.rejected == 0 and accounts(engine) == expected


def test_encoding_override_and_wrong_or_unknown_encodings(engine: Engine, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,country\nSøren Ørsted ApS,Danmark\nCafé Crème SARL,France\n".encode("latin-1"))
    report = import_file("accounts", latin, encoding="latin-1", engine=engine)
    assert report.encoding == "iso8859-1 (given)"
    assert set(accounts(engine)) == {"Søren Ørsted ApS", "Café Crème SARL"}

    before = counts(engine)
    gbk, _, _ = encoded_file(tmp_path, "gbk")
    with pytest.raises(ValidationFailed, match=r"line 1 has bytes that are not valid utf-8 \(given\)"):
        import_file("accounts", gbk, encoding="utf-8", engine=engine)
    with pytest.raises(ValidationFailed, match="unknown encoding 'klingon'"):
        import_file("accounts", gbk, encoding="klingon", engine=engine)
    assert counts(engine) == before


def test_mixed_encodings_stop_at_the_line_and_write_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = ["苏州恒达,制造业,中国", *(f"Company {i},Retail,DE" for i in range(60_000))]  # > 1 MB of UTF-8 first
    path = tmp_path / "mixed.csv"
    path.write_bytes(("name,industry,country\n" + "\n".join(rows) + "\n").encode("utf-8")
                     + "北京华联,零售,中国\n".encode("gbk"))
    with pytest.raises(ValidationFailed, match="line 60003 has bytes that are not valid utf-8 \\(detected\\)"):
        import_file("accounts", path, engine=engine)
    assert counts(engine)["accounts"] == 0


def test_quoted_separators_and_newlines_keep_values_and_row_numbers(engine: Engine, tmp_path: Path) -> None:
    text = ('sku,name,price,description\n'
            'Q-1,"Pump, 2HP",10,"Line one\nLine two, with a comma"\n'
            'Q-2,"He said ""hi""",abc,x\n'
            'Q-3,Semicolon; kept,3,"tab\there"\n')
    report = import_file("products", write(tmp_path, "q.csv", text), engine=engine)
    with engine.connect() as conn:
        got = {r.sku: (r.name, r.description) for r in conn.execute(select(Product))}
    assert got == {"Q-1": ("Pump, 2HP", "Line one\nLine two, with a comma"), "Q-3": ("Semicolon; kept", "tab\there")}
    assert set(rejects_of(report.rejects_path)) == {3}  # the spreadsheet row, not the file line (4)


def test_unclosed_quote_is_a_clear_row_error(engine: Engine, tmp_path: Path) -> None:
    text = 'name,industry,country\nAcme,Food,DE\n"Broken,Retail,GB\nCarry,Retail,FR\n'
    report = import_file("accounts", write(tmp_path, "u.csv", text), engine=engine)
    assert accounts(engine) == {"Acme": ("Food", "DE")}
    bad = rejects_of(report.rejects_path)
    assert list(bad) == [3] and "lines 3-4 of the file" in bad[3]["_reason"] and "closing quote" in bad[3]["_reason"]


@pytest.mark.parametrize("text", ["", "\n\n  \n", ",,\n,,\n"])
def test_empty_files_are_a_clear_error(engine: Engine, tmp_path: Path, text: str) -> None:
    with pytest.raises(ValidationFailed, match="empty.csv is empty"):
        import_file("accounts", write(tmp_path, "empty.csv", text), engine=engine)


def test_header_only_file_imports_nothing_and_says_so(engine: Engine, tmp_path: Path) -> None:
    report = import_file("accounts", write(tmp_path, "h.csv", "name,industry,country\n"), engine=engine)
    assert report.rows_read == 0 and report.rejected == 0 and report.tables["accounts"]["inserted"] == 0
    assert "h.csv has a header but no data rows: nothing to import" in report.notes
    assert counts(engine)["accounts"] == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("image.csv", PNG, "image.csv: the file is a PNG image, not a text table"),
    ("blob.csv", b"name\x00\x01\x02\x00\xff\xfe\x00binary" * 20, "binary data"),
    ("book.csv", b"PK\x03\x04" + b"\x00" * 40, "zip archive (an Excel .xlsx workbook is one"),
    ("image.json", PNG, "the file is a PNG image"),
    ("image.xlsx", PNG, "image.xlsx is not an Excel .xlsx workbook"),
    ("image.parquet", PNG, "cannot read image.parquet as parquet"),
    ("image.csv.gz", PNG, "cannot read image.csv.gz"),
])
def test_binary_files_are_refused_by_name(engine: Engine, tmp_path: Path, name: str, content: bytes,
                                          message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UnsupportedFormat) as exc:
        import_file("accounts", tmp_path / name, engine=engine)
    assert message in exc.value.message
    assert counts(engine)["accounts"] == 0


def test_huge_cell_rejects_its_row_only(engine: Engine, tmp_path: Path) -> None:
    huge = "x" * (1 << 20)
    path = write_rows(tmp_path, "huge.csv", "name,industry,description", "Acme,Food,fine",
                      f"Bloat Ltd,Retail,{huge}", "Carry,Retail,ok")
    report = import_file("accounts", path, engine=engine)
    assert set(accounts(engine)) == {"Acme", "Carry"}
    bad = rejects_of(report.rejects_path)
    assert bad[3]["_field"] == "description"
    assert "1,048,576 characters; at most 100,000 are imported" in bad[3]["_reason"]
    assert Path(report.rejects_path).stat().st_size < 150_000  # the reason, not another megabyte


def test_cell_limit_is_a_setting(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_IMPORT_MAX_CELL_CHARS", "100")
    reset_settings()
    report = import_file("accounts", write_rows(tmp_path, "c.csv", "name,description", "A," + "y" * 101, "B,z"),
                         engine=engine)
    assert set(accounts(engine)) == {"B"}
    assert "at most 100 are imported" in rejects_of(report.rejects_path)[2]["_reason"]


def test_zip_bombs_are_refused_before_opening(engine: Engine, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationFailed, match=r"refused as a zip bomb"):
        import_file("products", zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=60), engine=engine)
    monkeypatch.setenv("BIZPILOT_IMPORT_MAX_UNZIPPED_MB", "2")
    reset_settings()
    with pytest.raises(ValidationFailed, match=r"would unpack to 3 MB, more than the 2 MB an import unpacks"):
        import_file("products", zip_bomb(tmp_path / "big.xlsx", unpacked_mb=3), engine=engine)
    assert counts(engine)["products"] == 0


def test_formula_cells_are_stored_as_text_and_escaped_in_rejects(engine: Engine, tmp_path: Path) -> None:
    rows = [f'"{f}",Retail' for f in FORMULAS]
    rows.append('"=HYPERLINK(""http://x"")",' + "i" * 101)  # rejected: industry too long
    report = import_file("accounts", write_rows(tmp_path, "f.csv", "name,industry", *rows), engine=engine)
    assert set(accounts(engine)) == set(FORMULAS)
    with open(report.rejects_path, newline="", encoding="utf-8") as fh:
        cells = list(csv.reader(fh))[1]
    assert cells[0] == "6" and cells[4] == "'=HYPERLINK(\"http://x\")"
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_wrong_types_absurd_numbers_and_dates_name_the_field(engine: Engine, tmp_path: Path) -> None:
    import_file("accounts", write(tmp_path, "a.csv", ACCOUNTS_CSV), engine=engine)
    import_file("products", write(tmp_path, "p.csv", PRODUCTS_CSV), engine=engine)
    lines = ["order_id,customer_id,date,sku,qty,unit_price",
             "W-1,A1,2024-05-01,P-100,2,1250",  # 2
             "W-2,A1,2024-05-01,P-100,-3,1250",  # 3: a return, fine
             "W-3,A1,2024-05-01,P-100,1e12,1250",  # 4
             "W-4,A1,2024-05-01,P-100,-1000000000000,1250",  # 5
             "W-5,A1,1700-01-01,P-100,1,1250",  # 6
             "W-6,A1,9999-12-31,P-100,1,1250",  # 7
             "W-7,A1,2024-05-01,P-100,many,1250",  # 8
             "W-8,A1,not a date,P-100,1,1250",  # 9
             "W-9,A1,2024-05-01,P-100,inf,1250",  # 10
             "W-10,A1,2024-05-01,P-100,1,1e15"]  # 11
    report = import_file("orders", write_rows(tmp_path, "o.csv", *lines), engine=engine)
    bad = rejects_of(report.rejects_path)
    assert set(bad) == {4, 5, 6, 7, 8, 9, 10, 11}
    assert bad[4]["_field"] == "quantity (column 'qty')" and "1e+12 is beyond ±1e+09" in bad[4]["_reason"]
    assert "beyond ±1e+09" in bad[5]["_reason"]
    assert bad[6]["_field"] == "ordered_at (column 'date')"
    assert "the year 1700 is outside 1900-2100" in bad[6]["_reason"]
    assert "the year 9999" in bad[7]["_reason"]
    assert "valid number" in bad[8]["_reason"] and bad[9]["_field"] == "ordered_at (column 'date')"
    assert "not finite" in bad[10]["_reason"] and bad[11]["_field"] == "unit_price"
    with engine.connect() as conn:
        got = {r.external_id: r.quantity for r in conn.execute(
            select(Order.external_id, OrderLine.quantity).join(OrderLine, OrderLine.order_id == Order.id))}
    assert got == {"W-1": 2.0, "W-2": -3.0}


def test_duplicate_keys_in_a_file_are_reported(engine: Engine, tmp_path: Path) -> None:
    report = import_file("products", write_rows(tmp_path, "d.csv", "sku,name,price", "D-1,First,1", "D-1,Second,2",
                                                "D-2,Other,3"), engine=engine)
    assert "duplicate key 'D-1'; superseded by row 3" in rejects_of(report.rejects_path)[2]["_reason"]
    with engine.connect() as conn:
        assert dict(conn.execute(select(Product.sku, Product.name)).all()) == {"D-1": "Second", "D-2": "Other"}


def test_duplicate_and_blank_headers_are_named(engine: Engine, tmp_path: Path) -> None:
    report = import_file("accounts", write_rows(tmp_path, "h.csv", "name,industry,,name", "Acme,Food,x,Other"),
                         engine=engine)
    assert accounts(engine) == {"Acme": ("Food", None)}
    assert report.unused_columns == ["column 3", "name (2)"]
    assert "the header names 'name' 2 times; column 4 was read as 'name (2)'" in report.notes


def test_excel_title_rows_typed_cells_and_errors(engine: Engine, tmp_path: Path) -> None:
    report = import_file("products", titled_workbook(tmp_path / "products.xlsx"), engine=engine)
    assert "the header is on row 3; the 2 row(s) above it were skipped" in report.notes
    with engine.connect() as conn:
        got = {r.sku: (r.name, r.price, r.category) for r in conn.execute(select(Product))}
    assert got == {"X-1": ("Pump", 1250.5, "Pumps"), "X-2": ("Valve", 89.0, "Valves"),
                   "X-4": ("Gloves", 12.5, "Safety"), "X-5": ("=cmd|' /C calc'!A0", 3.0, None)}
    bad = rejects_of(report.rejects_path)
    assert list(bad) == [7] and bad[7]["_field"] == "price (column 'Unit Price')"  # Excel's own row number
    assert report.rows_read == 5 and report.encoding is None


def test_excel_error_in_a_text_cell_is_named(engine: Engine, tmp_path: Path) -> None:
    report = import_file("accounts", write_rows(tmp_path, "e.csv", "name,industry", "Acme,#REF!", "Beta,Food"),
                         engine=engine)
    assert set(accounts(engine)) == {"Beta"}
    assert "the cell shows the Excel error #REF!" in rejects_of(report.rejects_path)[2]["_reason"]


def test_a_failing_read_leaves_the_database_as_it_was(engine: Engine, tmp_path: Path) -> None:
    import_file("accounts", write(tmp_path, "a.csv", ACCOUNTS_CSV), engine=engine)
    before = counts(engine)
    (tmp_path / "bad.csv").write_bytes(b"name,industry\nZed,Food\n" + PNG)
    with pytest.raises(ValidationFailed):
        import_file("accounts", tmp_path / "bad.csv", engine=engine)
    assert counts(engine) == before
