"""The bad-input corpus: small files made in the test run (nothing binary committed), shared by the importer, CLI,
API and upload-page tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
RAGGED = ("name,industry,country\n"
          "Alpha GmbH,manufacturing,DE,extra\n"
          "Beta Ltd,retail,GB\n"
          "Gamma SA,logistics\n"
          "Delta AG,chemicals,CH\n")
CHINESE = "客户名称,行业,国家\n苏州恒达精密机械有限公司,制造业,中国\n北京华联商贸有限公司,零售,中国\n"
CHINESE_NAMES = {"苏州恒达精密机械有限公司": ("制造业", "中国"), "北京华联商贸有限公司": ("零售", "中国")}
# GB18030 only (not in GBK): a character outside the BMP.
GB18030_ONLY = "客户名称,行业,国家\n𠮷野家贸易有限公司,餐饮,中国\n"
FORMULAS = ("=cmd|' /C calc'!A0", "+1+2", "-SUM(A1:A2)", "@SUM(A1)")


def encoded_file(tmp_path: Path, case: str) -> tuple[Path, dict[str, tuple[str, str]], str]:
    """A Chinese accounts file as Excel and other tools save it: (path, {name: (industry, country)}, the encoding
    the report should name)."""
    path = tmp_path / f"accounts-{case}.csv"
    if case == "gbk":
        path.write_bytes(CHINESE.encode("gbk"))
        return path, CHINESE_NAMES, "gb18030 (detected)"  # GB18030 is the superset of GBK: same characters
    if case == "gb18030":
        path.write_bytes(GB18030_ONLY.encode("gb18030"))
        return path, {"𠮷野家贸易有限公司": ("餐饮", "中国")}, "gb18030 (detected)"
    if case == "utf-16":  # Excel "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF
        path = tmp_path / "accounts-unicode.txt"
        path.write_bytes(CHINESE.replace(",", "\t").replace("\n", "\r\n").encode("utf-16"))
        return path, CHINESE_NAMES, "utf-16 with BOM (byte-order mark)"
    if case == "utf-8-sig":
        path.write_bytes(CHINESE.encode("utf-8-sig"))
        return path, CHINESE_NAMES, "utf-8 with BOM (byte-order mark)"
    path.write_bytes(CHINESE.encode("utf-8"))
    return path, CHINESE_NAMES, "utf-8 (detected)"


ENCODINGS = ("gbk", "gb18030", "utf-16", "utf-8-sig", "utf-8")


def zip_bomb(path: Path, *, unpacked_mb: int) -> Path:
    """An .xlsx-shaped zip whose one sheet is ``unpacked_mb`` MB of one repeated byte (packs about 1000:1)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            block = b" " * (1024 * 1024)
            for _ in range(unpacked_mb):
                fh.write(block)
    return path


def titled_workbook(path: Path) -> Path:
    """An Excel export with a title and a blank row above the header (row 3), typed cells, a blank row, an Excel
    error and a formula-like text cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Product list — March 2024"
    ws.append([])
    ws.append(["SKU", "Product Name", "Unit Price", "Category"])  # row 3
    ws.append(["X-1", "Pump", 1250.5, "Pumps"])  # row 4
    ws.append(["X-2", "Valve", 89, "Valves"])  # row 5
    ws.append([])  # row 6
    ws.append(["X-3", "Broken price", "#N/A", "Valves"])  # row 7
    ws.append(["X-4", "Gloves", 12.5, "Safety"])  # row 8
    formula_like = ws.cell(row=9, column=2, value="=cmd|' /C calc'!A0")
    formula_like.data_type = "s"  # text that looks like a formula, as Excel stores a cell typed with a leading '
    ws.cell(row=9, column=1, value="X-5")
    ws.cell(row=9, column=3, value=3)
    wb.save(path)
    return path
