"""UCI Online Retail adapter: semantics on a small file, and the whole real file (slow)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.errors import ImportRejected, ValidationFailed
from bizpilot.ingest.online_retail import import_online_retail
from tests.conftest import shared_data
from tests.ingest.helpers import counts, write

pytestmark = pytest.mark.storage

SAMPLE = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom
536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,12,2010-12-02 09:00:00,2.55,17850,France
536367,85123A,CREAM HANGING HEART T-LIGHT HOLDER,2,2010-12-03 10:00:00,2.95,17850,United Kingdom
536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,2010-12-03 10:00:00,2.55,17850,United Kingdom
C536379,71053,WHITE METAL LANTERN,-1,2010-12-04 09:41:00,3.39,17850,United Kingdom
536380,71053,,-20,2010-12-04 11:00:00,0,,United Kingdom
536381,POST,POSTAGE,1,2010-12-05 12:00:00,18,12583,France
536381,POST,POSTAGE,1,2010-12-05 12:00:00,18,12583,France
A563186,B,Adjust bad debt,1,2011-08-12 14:51:00,-11062.06,,United Kingdom
536382,22633,HAND WARMER UNION JACK,6,2010-12-06 13:00:00,1.85,,United Kingdom
"""


def test_semantics_of_the_export(engine: Engine, tmp_path: Path) -> None:
    report = import_online_retail(write(tmp_path, "retail.csv", SAMPLE), engine=engine)
    assert report.rejected == 0
    assert report.tables["order_lines"]["inserted"] == 11  # exact repeats are kept: they are distinct lines
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Order.external_id, Order.kind)).all())
        assert kinds["C536379"] == "cancellation" and kinds["A563186"] == "adjustment" and kinds["536365"] == "sale"
        status = conn.execute(select(Order.status).where(Order.external_id == "C536379")).scalar_one()
        assert status == "cancelled"
        guest = conn.execute(select(Order.is_guest, Order.account_id).where(Order.external_id == "536382")).one()
        assert guest == (True, None)
        account = conn.execute(select(Account).where(Account.external_id == "17850")).one()
        assert account.country == "United Kingdom" and account.name == "Customer 17850"  # most frequent country
        france = conn.execute(select(Order.country).where(Order.external_id == "536366")).scalar_one()
        assert france == "France"
        heart = conn.execute(select(Product).where(Product.sku == "85123A")).one()
        assert heart.name == "WHITE HANGING HEART T-LIGHT HOLDER" and heart.currency == "GBP"
        post = conn.execute(select(Product.category, Product.attributes).where(Product.sku == "POST")).one()
        assert post == ("non-merchandise", {"service": "postage"})
        types = dict(conn.execute(select(Order.external_id, OrderLine.line_type).join(Order)
                                  .where(Order.external_id.in_(["C536379", "536380"]))).all())
        assert types == {"C536379": "cancellation", "536380": "return"}
        no_name = conn.execute(select(Product.name).where(Product.sku == "71053")).scalar_one()
        assert no_name == "WHITE METAL LANTERN"


def test_reimport_is_a_no_op_and_bad_rows_are_reported(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "retail.csv", SAMPLE)
    import_online_retail(path, engine=engine)
    before = counts(engine)
    again = import_online_retail(path, engine=engine)
    assert all(t["inserted"] == 0 and t["updated"] == 0 for t in again.tables.values())
    assert counts(engine) == before
    bad = SAMPLE + "536390,22633,HAND WARMER,six,2010-12-07 10:00:00,1.85,12583,France\n" \
                   "536391,22633,HAND WARMER,1,not a date,1.85,12583,France\n"
    bad_path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(ImportRejected):
        import_online_retail(bad_path, strict=True, engine=engine)
    assert counts(engine) == before
    report = import_online_retail(bad_path, engine=engine)
    assert report.rejected == 2
    with open(report.rejects_path, encoding="utf-8") as fh:
        rows = {int(r["_row"]): r for r in csv.DictReader(fh)}
    assert rows[13]["_field"] == "Quantity" and rows[14]["_field"] == "InvoiceDate"


def test_wrong_file_is_refused_clearly(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="missing column"):
        import_online_retail(write(tmp_path, "x.csv", "a,b\n1,2\n"), engine=engine)


@pytest.mark.slow
def test_whole_real_file(engine: Engine) -> None:
    path = shared_data("online-retail-uci", "online_retail.parquet")
    started = time.perf_counter()
    report = import_online_retail(path, engine=engine)
    seconds = time.perf_counter() - started
    assert report.rows_read == 541_909 and report.rejected == 0
    got = counts(engine)
    assert (got["order_lines"], got["orders"], got["products"], got["accounts"]) == (541_909, 25_900, 4_070, 4_372)
    with engine.connect() as conn:
        cancel_lines = conn.execute(select(func.count()).select_from(OrderLine)
                                    .where(OrderLine.line_type == "cancellation")).scalar_one()
        guests = conn.execute(select(func.count()).select_from(Order).where(Order.is_guest)).scalar_one()
        qty = conn.execute(select(func.sum(OrderLine.quantity))).scalar_one()
    assert cancel_lines == 9_288  # the published count of lines on 'C' invoices
    assert guests == 3_710
    assert qty == pytest.approx(5_176_450)  # sum of Quantity over the file
    print(f"\nonline retail import: {seconds:.1f} s ({engine.dialect.name})")
    # the same data again from the CSV conversion: nothing changes
    again = import_online_retail(shared_data("online-retail-uci", "online_retail.csv.gz"), engine=engine)
    assert all(t["inserted"] == 0 and t["updated"] == 0 for t in again.tables.values())
