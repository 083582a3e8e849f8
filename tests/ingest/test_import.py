"""Generic import: good, bad, duplicate and re-imported files; strict mode; mapping; file formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.errors import ImportRejected, ValidationFailed
from bizpilot.ingest.pipeline import import_file
from tests.ingest.helpers import ACCOUNTS_CSV, ORDERS_CSV, PRODUCTS_CSV, counts, write, write_rows

pytestmark = pytest.mark.storage


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    import_file("accounts", write(tmp_path, "accounts.csv", ACCOUNTS_CSV), engine=engine)
    import_file("products", write(tmp_path, "products.csv", PRODUCTS_CSV), engine=engine)
    return engine


def test_good_files_import_with_detected_columns(loaded: Engine, tmp_path: Path) -> None:
    report = import_file("orders", write(tmp_path, "orders.csv", ORDERS_CSV), engine=loaded)
    assert report.rejected == 0
    assert report.tables == {"orders": {"inserted": 3, "updated": 0, "unchanged": 0},
                             "order_lines": {"inserted": 4, "updated": 0, "unchanged": 0}}
    with loaded.connect() as conn:
        acme = conn.execute(select(Account).where(Account.external_id == "A1")).one()
        assert acme.name == "Acme Industrial GmbH" and acme.tier == "key"
        zh = conn.execute(select(Account.name).where(Account.external_id == "A2")).scalar_one()
        assert zh == "苏州恒达精密机械有限公司"
        pump = conn.execute(select(Product).where(Product.sku == "P-100")).one()
        assert pump.price == pytest.approx(1250.0)
        assert pump.attributes == {"material": "cast iron", "voltage": "230V"}
        guest = conn.execute(select(Order).where(Order.external_id == "SO-3")).one()
        assert guest.account_id is None and guest.is_guest
        lines = conn.execute(select(OrderLine.line_no, OrderLine.quantity, OrderLine.discount, OrderLine.line_type)
                             .join(Order).where(Order.external_id == "SO-1").order_by(OrderLine.line_no)).all()
        assert [tuple(r) for r in lines] == [(1, 2, 0.05, "sale"), (2, 10, 0.0, "sale")]
    assert report.mapping["quantity"] == "Qty" and report.mapping["account_external_id"] == "Customer ID"


def test_reimport_changes_nothing(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "orders.csv", ORDERS_CSV)
    import_file("orders", path, engine=loaded)
    before = counts(loaded)
    again = import_file("orders", path, engine=loaded)
    assert again.tables["orders"] == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert again.tables["order_lines"] == {"inserted": 0, "updated": 0, "unchanged": 4}
    products = import_file("products", write(tmp_path, "p.csv", PRODUCTS_CSV), engine=loaded)
    assert products.tables["products"] == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert counts(loaded) == before


def test_changed_values_update_in_place(loaded: Engine, tmp_path: Path) -> None:
    changed = PRODUCTS_CSV.replace("89.9,EUR", "95.0,EUR")
    report = import_file("products", write(tmp_path, "p2.csv", changed), engine=loaded)
    assert report.tables["products"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    with loaded.connect() as conn:
        assert conn.execute(select(Product.price).where(Product.sku == "P-200")).scalar_one() == 95.0


def test_bad_rows_go_to_rejects_with_row_field_reason(loaded: Engine, tmp_path: Path) -> None:
    bad = write_rows(tmp_path, "bad.csv", "sku,name,price,currency", "X-1,Good thing,3.5,EUR", "X-2,Negative,-4,EUR",
                     "X-3,,2,EUR", "X-4,Not a price,abc,EUR", "X-5,Bad currency,1,EURO")
    report = import_file("products", bad, engine=loaded)
    assert report.rejected == 4
    assert report.tables["products"]["inserted"] == 1
    with open(report.rejects_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_row = {int(r["_row"]): r for r in rows}
    assert set(by_row) == {3, 4, 5, 6}
    assert by_row[3]["_field"] == "price" and "greater than or equal to 0" in by_row[3]["_reason"]
    assert by_row[4]["_reason"] == "required value is missing" and by_row[4]["_field"] == "name"
    assert "valid number" in by_row[5]["_reason"]
    assert by_row[6]["_field"] == "currency"
    assert by_row[5]["sku"] == "X-4"  # the original cells travel with the reason, so the file can be fixed


def test_strict_mode_writes_nothing(loaded: Engine, tmp_path: Path) -> None:
    before = counts(loaded)
    text = "sku,name,price\nY-1,Fine,1\nY-2,Broken,minus one\n"
    with pytest.raises(ImportRejected) as exc:
        import_file("products", write(tmp_path, "strict.csv", text), strict=True, engine=loaded)
    assert exc.value.details[0]["row"] == 3 and exc.value.details[0]["field"] == "price"
    assert counts(loaded) == before
    assert exc.value.report.status == "rejected" and exc.value.report.rejects_path


def test_duplicates_in_file_are_merged_or_reported(loaded: Engine, tmp_path: Path) -> None:
    dups = write_rows(tmp_path, "dups.csv", "id,name,industry", "D1,Delta Foods,Food", "D1,Delta Foods,Food",
                      "D2,Echo Ltd,Retail", "D2,Echo Limited,Retail")
    report = import_file("accounts", dups, engine=loaded)
    assert report.duplicates_in_file == 1
    assert report.tables["accounts"]["inserted"] == 2
    assert report.rejected == 1  # the superseded conflicting row is reported, not silently dropped
    with open(report.rejects_path, encoding="utf-8") as fh:
        assert "superseded by row 5" in fh.read()
    with loaded.connect() as conn:
        assert conn.execute(select(Account.name).where(Account.external_id == "D2")).scalar_one() == "Echo Limited"


def test_unknown_reference_rejects_whole_order(loaded: Engine, tmp_path: Path) -> None:
    orders = write_rows(tmp_path, "o.csv", "order_id,customer_id,date,sku,qty,unit_price",
                        "SO-9,A1,2024-05-01,P-100,1,1250", "SO-9,A1,2024-05-01,NOPE,1,3",
                        "SO-10,ZZZ,2024-05-02,P-100,1,1250")
    report = import_file("orders", orders, engine=loaded)
    assert report.tables["orders"]["inserted"] == 0
    with open(report.rejects_path, encoding="utf-8") as fh:
        text_out = fh.read()
    assert "unknown product 'NOPE'" in text_out and "unknown account 'ZZZ'" in text_out
    assert "whole order skipped" in text_out


def test_missing_required_column_is_named(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as exc:
        import_file("products", write(tmp_path, "p.csv", "code_x,label\n1,a\n"), engine=engine)
    assert "sku" in exc.value.message and "name" in exc.value.message and "code_x" in exc.value.message


def test_mapping_file_names_odd_columns(engine: Engine, tmp_path: Path) -> None:
    data = write(tmp_path, "odd.csv", "Kundennummer,Firma,Branche,Notiz\nK1,Müller AG,Handel,x\n")
    mapping = write(tmp_path, "map.json", json.dumps(
        {"columns": {"Kundennummer": "external_id", "Firma": "name", "Branche": "industry", "Notiz": None}}))
    report = import_file("accounts", data, mapping_file=mapping, engine=engine)
    assert report.tables["accounts"]["inserted"] == 1 and report.unused_columns == []
    yaml_map = write(tmp_path, "map.yaml", "Kundennummer: external_id\nFirma: nom\n")
    with pytest.raises(ValidationFailed, match="unknown field 'nom'"):
        import_file("accounts", data, mapping_file=yaml_map, engine=engine)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet", "jsonl", "tsv", "csv.gz"])
def test_every_file_format(engine: Engine, tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"sku": ["F-1", "F-2"], "name": ["Fan", "扇子"], "price": [10.0, -1.0],
                          "category": ["Electrical", "Electrical"]})
    path = tmp_path / f"products.{fmt}"
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "tsv":
        frame.to_csv(path, sep="\t", index=False)
    else:
        frame.to_csv(path, index=False, compression="gzip")
    report = import_file("products", path, engine=engine)
    assert report.tables["products"]["inserted"] == 1
    assert report.rejected == 1
    with open(report.rejects_path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["_row"] == ("2" if fmt == "jsonl" else "3")  # JSON Lines: line number; tables: header = 1


def test_unknown_format_and_entity(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot tell the format"):
        import_file("products", write(tmp_path, "x.docx", "nope"), engine=engine)
    with pytest.raises(ValidationFailed, match="unknown entity"):
        import_file("widgets", write(tmp_path, "x.csv", "a\n1\n"), engine=engine)


def test_other_entities_resolve_references(loaded: Engine, tmp_path: Path) -> None:
    contacts = write(tmp_path, "c.csv", "account_id,name,email,phone\nA1,Anna Schmidt,anna@acme.example,+49 1\n"
                                        "A2,王芳,wang.fang@hengda.example,13800000000\n")
    assert import_file("contacts", contacts, engine=loaded).tables["contacts"]["inserted"] == 2
    import_file("orders", write(tmp_path, "o.csv", ORDERS_CSV), engine=loaded)
    ix = write(tmp_path, "i.csv", "channel,date,customer_id,sku,order_id,text,rating\n"
                                  "review,2024-02-20,A2,P-300,SO-2,手套质量很好，发货也快。,5\n"
                                  "ticket,2024-01-09,A1,P-100,SO-1,The pump leaks after two days.,\n"
                                  "fax,2024-01-09,A1,,,bad channel,\n")
    report = import_file("interactions", ix, engine=loaded)
    assert report.tables["interactions"]["inserted"] == 2 and report.rejected == 1
    assert import_file("interactions", ix, engine=loaded).tables["interactions"]["unchanged"] == 2
    opp = write(tmp_path, "opp.csv", "account_id,name,stage,amount,created,close_date,outcome\n"
                                     "A1,Pump retrofit,closed,52000,2024-01-10,2024-03-01,won\n")
    assert import_file("opportunities", opp, engine=loaded).tables["opportunities"]["inserted"] == 1
    kb = write(tmp_path, "kb.csv", "question,answer,tags,language\n"
                                   "What are your payment terms?,Net 30 from invoice date.,payment;terms,en\n"
                                   "退货期限是多久？,收货后30天内可退货。,退货、售后,zh\n")
    report = import_file("knowledge", kb, engine=loaded)
    assert report.tables["knowledge_articles"]["inserted"] == 2


def test_outliers_are_flagged_but_imported(loaded: Engine, tmp_path: Path) -> None:
    lines = ["order_id,customer_id,date,sku,qty,unit_price"]
    lines += [f"B-{i},A1,2024-06-{1 + i % 28:02d},P-300,{3 + i % 5},12.5" for i in range(40)]
    lines.append("B-99,A1,2024-06-30,P-300,80995,12.5")
    report = import_file("orders", write_rows(tmp_path, "big.csv", *lines), engine=loaded)
    assert report.rejected == 0 and report.outliers_flagged == 1
    with loaded.connect() as conn:
        flags = conn.execute(select(OrderLine.flags).join(Order).where(Order.external_id == "B-99")).scalar_one()
        normal = conn.execute(select(OrderLine.flags).join(Order).where(Order.external_id == "B-1")).scalar_one()
    assert flags == {"outlier": ["quantity"]} and normal is None
