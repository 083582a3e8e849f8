"""Adapter for the UCI "Online Retail" export (InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
UnitPrice, CustomerID, Country) - a UK gift-ware wholesaler, a typical B2B order-line export.

Semantics: an InvoiceNo starting with 'C' is a cancellation (credit note, negative quantities); 'A' is a
bad-debt adjustment; a negative quantity on a normal invoice is a return/write-off line; a missing CustomerID
is a guest order; StockCode/Description become products (the most frequent description names the product);
Country goes on the account (its most frequent country) and on each order. Vectorised end to end: the
541,909-line file imports in seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bizpilot.db.engine import get_engine
from bizpilot.domain import Account, Order, Product
from bizpilot.domain.product import NON_MERCHANDISE
from bizpilot.errors import RowError, ValidationFailed
from bizpilot.ingest.pipeline import default_report_path, rejected, write_order_lines
from bizpilot.ingest.quality import outlier_mask
from bizpilot.ingest.readers import SOURCE_ROW, read_source
from bizpilot.ingest.report import ImportReport, write_issue_file
from bizpilot.ingest.rows import MAX_NUMBER, MAX_QUANTITY, YEARS
from bizpilot.ingest.writer import Progress, TableWrite, key_to_id, upsert

COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")
CURRENCY = "GBP"
# Stock codes that are not merchandise (postage, fees, discounts, manual lines, bad debt, samples, gift vouchers).
SERVICE_CODES = {
    "POST": "postage", "DOT": "postage", "C2": "carriage", "M": "manual", "m": "manual", "D": "discount",
    "S": "samples", "BANK CHARGES": "fee", "AMAZONFEE": "fee", "CRUK": "commission", "B": "bad debt",
    "PADS": "packaging", "CRUK COMMISSION": "commission",
}


def _service_kind(code: str) -> str | None:
    if code in SERVICE_CODES:
        return SERVICE_CODES[code]
    if code.startswith("gift_"):
        return "gift voucher"
    if code.startswith("DCGS"):
        return "special"
    return None


def _text(series: pd.Series) -> pd.Series:
    """Strings with missing as <NA>; the parquet stores a missing description as the text 'nan'."""
    s = series.astype("string").str.strip()
    return s.mask(s.isna() | s.str.lower().isin(["", "nan", "none", "null"]))


def _customer_ids(series: pd.Series) -> pd.Series:
    """17850.0 / '17850' / 17850 -> '17850'; blanks -> <NA>."""
    num = pd.to_numeric(series, errors="coerce")
    out = num.astype("Int64").astype("string")
    bad = num.notna() & (num != np.floor(num))
    return out.mask(bad, _text(series))


def prepare(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RowError]]:
    """Validate and type the raw frame; return clean lines and the rejects (row, field, reason)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"not an Online Retail file: missing column(s) {', '.join(missing)}",
                               details=[{"field": c, "reason": "missing column"} for c in missing])
    df = pd.DataFrame({
        "row": frame[SOURCE_ROW].to_numpy(),
        "invoice": _text(frame["InvoiceNo"]),
        "sku": _text(frame["StockCode"]),
        "description": _text(frame["Description"]),
        "quantity": pd.to_numeric(frame["Quantity"], errors="coerce"),
        "ordered_at": pd.to_datetime(frame["InvoiceDate"], errors="coerce", format="mixed"),
        "unit_price": pd.to_numeric(frame["UnitPrice"], errors="coerce"),
        "customer": _customer_ids(frame["CustomerID"]),
        "country": _text(frame["Country"]),
    })
    checks = [
        ("InvoiceNo", df["invoice"].isna(), "required value is missing"),
        ("StockCode", df["sku"].isna(), "required value is missing"),
        ("Quantity", df["quantity"].isna(), "not a number"),
        ("InvoiceDate", df["ordered_at"].isna(), "not a date/time"),
        ("UnitPrice", df["unit_price"].isna(), "not a number"),
        ("UnitPrice", (df["unit_price"] < 0) & ~df["invoice"].fillna("").str.startswith("A"),
         "negative unit price outside a bad-debt adjustment"),
        ("Quantity", df["quantity"] == 0, "zero quantity"),
        ("Quantity", df["quantity"].abs() > MAX_QUANTITY, f"beyond ±{MAX_QUANTITY:g}: a typo or a unit mix-up?"),
        ("UnitPrice", df["unit_price"].abs() > MAX_NUMBER, f"beyond ±{MAX_NUMBER:g}: a typo or a unit mix-up?"),
        ("InvoiceDate", (df["ordered_at"].dt.year < YEARS[0]) | (df["ordered_at"].dt.year > YEARS[1]),
         f"the year is outside {YEARS[0]}-{YEARS[1]}"),
    ]
    bad = np.zeros(len(df), dtype=bool)
    rejects: list[RowError] = []
    raw_cols = {"InvoiceNo": "InvoiceNo", "StockCode": "StockCode", "Quantity": "Quantity",
                "InvoiceDate": "InvoiceDate", "UnitPrice": "UnitPrice"}
    for field, mask, reason in checks:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        for idx in np.flatnonzero(mask & ~bad):
            rejects.append(RowError(int(df["row"].iat[idx]), field, reason, frame[raw_cols[field]].iat[idx]))
        bad |= mask
    return df[~bad].reset_index(drop=True), rejects


def _products(lines: pd.DataFrame) -> pd.DataFrame:
    named = lines.dropna(subset=["description"])
    names = (named.groupby(["sku", "description"], sort=False).size().reset_index(name="n")
             .sort_values(["sku", "n", "description"], ascending=[True, False, True])
             .drop_duplicates("sku").set_index("sku")["description"])
    sold = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)]
    prices = sold.groupby("sku")["unit_price"].median()
    first_seen = lines.groupby("sku")["ordered_at"].min()
    products = pd.DataFrame({"sku": first_seen.index})
    products["name"] = products["sku"].map(names).fillna(products["sku"]).astype(object)
    kinds = products["sku"].map(_service_kind)
    products["category"] = np.where(kinds.notna(), NON_MERCHANDISE, None)
    products["attributes"] = [{"service": k} if isinstance(k, str) else {} for k in kinds]
    products["price"] = products["sku"].map(prices).round(4).astype(object)
    products["price"] = products["price"].where(products["price"].notna(), None)
    products["currency"] = CURRENCY
    products["created_at"] = products["sku"].map(first_seen)
    return products


def _accounts(lines: pd.DataFrame) -> pd.DataFrame:
    known = lines.dropna(subset=["customer"])
    country = (known.groupby(["customer", "country"]).size().reset_index(name="n")
               .sort_values(["customer", "n", "country"], ascending=[True, False, True])
               .drop_duplicates("customer").set_index("customer")["country"])
    first = known.groupby("customer")["ordered_at"].min()
    accounts = pd.DataFrame({"external_id": first.index.astype(object)})
    accounts["name"] = "Customer " + accounts["external_id"]
    accounts["country"] = accounts["external_id"].map(country).astype(object)
    accounts["language"] = "en"
    accounts["created_at"] = accounts["external_id"].map(first)
    return accounts


def _orders(lines: pd.DataFrame, account_ids: dict[str, int]) -> pd.DataFrame:
    head = lines.groupby("invoice", sort=False).agg(ordered_at=("ordered_at", "min"),
                                                     customer=("customer", "first"), country=("country", "first"))
    prefix = head.index.str[0]
    orders = pd.DataFrame({"external_id": head.index.astype(object)})
    orders["kind"] = np.select([prefix == "C", prefix == "A"], ["cancellation", "adjustment"], "sale")
    orders["status"] = np.where(orders["kind"] == "cancellation", "cancelled", "fulfilled")
    orders["ordered_at"] = head["ordered_at"].to_numpy()
    customer = head["customer"].astype(object).to_numpy()
    orders["account_id"] = [account_ids.get(c) if isinstance(c, str) else None for c in customer]
    orders["is_guest"] = [not isinstance(c, str) for c in customer]
    orders["currency"] = CURRENCY
    orders["country"] = head["country"].astype(object).to_numpy()
    orders["channel"] = "online"
    return orders


def _lines(lines: pd.DataFrame, product_ids: dict[str, int]) -> tuple[pd.DataFrame, list[RowError]]:
    prefix = lines["invoice"].str[0].to_numpy()
    qty = lines["quantity"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "order_external_id": lines["invoice"].astype(object).to_numpy(),
        "line_no": lines.groupby("invoice", sort=False).cumcount().to_numpy() + 1,
        "product_id": lines["sku"].astype(object).map(product_ids).to_numpy(),
        "line_type": np.select([prefix == "C", prefix == "A", qty < 0], ["cancellation", "adjustment", "return"],
                               "sale"),
        "quantity": qty,
        "unit_price": lines["unit_price"].to_numpy(dtype=float),
        "discount": 0.0,
    })
    flags: list[RowError] = []
    flag_values: list[dict | None] = [None] * len(out)
    for field in ("quantity", "unit_price"):
        for idx in np.flatnonzero(outlier_mask(out[field])):
            flags.append(RowError(int(lines["row"].iat[idx]), field, "unusual value (robust z > 6 on log scale); "
                                  "imported", float(out[field].iat[idx])))
            current = flag_values[idx] or {"outlier": []}
            current["outlier"].append(field)
            flag_values[idx] = current
    out["flags"] = flag_values
    return out, flags


def import_online_retail(path: str | Path, *, strict: bool = False, rejects_path: str | Path | None = None,
                         engine: Engine | None = None, progress: Progress | None = None,
                         encoding: str | None = None) -> ImportReport:
    """Import an Online Retail file (parquet, CSV(.gz) or the original xlsx) in one transaction. ``encoding``
    overrides the detected encoding of a CSV."""
    started = time.perf_counter()
    engine = engine or get_engine()
    path = Path(path)
    table = read_source(path, encoding=encoding)
    frame = table.frame
    report = ImportReport(entity="online-retail", source=str(path), strict=strict,
                          rows_read=len(frame) + len({r.row for r in table.rejects}))
    if table.encoding is not None:
        report.encoding = f"{table.encoding.label} ({table.encoding.how})"
        if not table.encoding.plain:  # plain UTF-8 goes without saying (it is in report.encoding)
            report.notes.append(table.encoding.describe())
    report.notes.extend(table.notes)
    lines, rejects = prepare(frame)
    rejects = [*table.rejects, *rejects]
    report.rejected = len({r.row for r in rejects})
    if rejects:
        target = Path(rejects_path) if rejects_path else default_report_path("online-retail", "rejects")
        report.rejects_path = str(write_issue_file(target, rejects, frame, table.originals))
    if strict and rejects:
        raise rejected(report, path.name, rejects, started)
    with engine.begin() as conn:
        report.tables["accounts"] = upsert(conn, TableWrite(Account, ("external_id",), _accounts(lines)),
                                           progress=progress).as_dict()
        report.tables["products"] = upsert(conn, TableWrite(Product, ("sku",), _products(lines), ("attributes",)),
                                           progress=progress).as_dict()
        orders = _orders(lines, key_to_id(conn, Account, "external_id"))
        report.tables["orders"] = upsert(conn, TableWrite(Order, ("external_id",), orders),
                                         progress=progress).as_dict()
        order_lines, flags = _lines(lines, key_to_id(conn, Product, "sku"))
        report.tables["order_lines"] = write_order_lines(conn, order_lines, progress)
    report.outliers_flagged = len(flags)
    if flags:
        report.outliers_path = str(write_issue_file(default_report_path("online-retail", "outliers"), flags, None))
    guests = int(orders["is_guest"].sum())
    report.notes.append(f"{guests} guest orders (no CustomerID)")
    report.seconds = time.perf_counter() - started
    return report
