"""Importing invoices: headers as a billing export names them, references to accounts and orders, the rules of an
invoice reported by row and field, and a strict import that fails leaves the database as it was."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Invoice, Order
from bizpilot.errors import ImportRejected
from bizpilot.ingest.pipeline import import_file
from tests.ingest.helpers import ACCOUNTS_CSV, ORDERS_CSV, PRODUCTS_CSV, counts, write, write_rows

pytestmark = pytest.mark.storage
HEADER = "Invoice No,Customer ID,Order Number,Invoice Date,Due Date,Amount,Currency,Paid,Status,How to pay"
GOOD = ('INV-1,A1,SO-1,2024-01-05,2024-02-04,"3,273.50",EUR,3273.50,paid,',
        "INV-2,A2,SO-2,2024-02-11,2024-03-12,2250.00,EUR,500,open,bank transfer quoting the invoice number")


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    import_file("accounts", write(tmp_path, "accounts.csv", ACCOUNTS_CSV), engine=engine)
    import_file("products", write(tmp_path, "products.csv", PRODUCTS_CSV), engine=engine)
    import_file("orders", write(tmp_path, "orders.csv", ORDERS_CSV), engine=engine)
    return engine


def test_good_rows_are_written_and_the_bad_row_is_named(loaded: Engine, tmp_path: Path) -> None:
    path = write_rows(tmp_path, "invoices.csv", HEADER, *GOOD, "INV-3,A3,,2024-03-01,2024-02-01,100,EUR,0,open,")
    report = import_file("invoices", path, engine=loaded)
    assert report.tables["invoices"]["inserted"] == 2 and report.rejected == 1
    with open(report.rejects_path, newline="", encoding="utf-8") as fh:
        (bad,) = list(csv.DictReader(fh))
    assert (bad["_row"], bad["_field"]) == ("4", "due_at (column 'Due Date')")
    assert "before the issue date" in bad["_reason"]
    with Session(loaded) as s:
        rows = {i.number: i for i in s.scalars(select(Invoice))}
        so2 = s.scalar(select(Order.id).where(Order.external_id == "SO-2"))
    assert rows["INV-2"].order_id == so2 and rows["INV-2"].amount_paid == pytest.approx(500.0)
    assert rows["INV-1"].amount == pytest.approx(3273.5) and rows["INV-1"].due_at == date(2024, 2, 4)
    assert rows["INV-2"].payment_instructions == "bank transfer quoting the invoice number"
    again = import_file("invoices", path, engine=loaded)  # the derived natural key finds the same rows
    assert again.tables["invoices"]["inserted"] == 0 and again.tables["invoices"]["unchanged"] == 2


BAD_ROWS = [  # (row, the field its error names, words of the reason)
    ("INV-3,A3,,2024-03-01,2024-02-01,100,EUR,0,open,", "due_at (column 'Due Date')", "before the issue date"),
    ("INV-3,A3,,2024-03-01,2024-03-31,100,EUR,120,open,", "amount_paid (column 'Paid')", "more than the invoice"),
    ("INV-3,A3,,2024-03-01,2024-03-31,-100,EUR,0,open,", "amount (column 'Amount')", "greater than or equal to 0"),
    ("INV-3,A9,,2024-03-01,2024-03-31,100,EUR,0,open,", "account_external_id", "unknown account 'A9'"),
    ("INV-3,A3,SO-9,2024-03-01,2024-03-31,100,EUR,0,open,", "order_external_id", "unknown order 'SO-9'"),
]


def test_a_strict_import_with_a_bad_row_writes_nothing(loaded: Engine, tmp_path: Path) -> None:
    before = counts(loaded)
    assert before["invoices"] == 0
    for n, (bad_row, field, words) in enumerate(BAD_ROWS):
        path = write_rows(tmp_path, f"invoices-{n}.csv", HEADER, *GOOD, bad_row)
        with pytest.raises(ImportRejected) as exc:
            import_file("invoices", path, strict=True, engine=loaded)
        (detail,) = exc.value.details
        assert (detail["row"], detail["field"]) == (4, field) and words in detail["reason"], bad_row
        assert counts(loaded) == before
