"""Imports leave the same trail as edits: a version bump and one audit row (channel ``import``) per changed record of
the tables people edit, written with the import in its one transaction; an unchanged re-import writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Product
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, ImportRejected
from bizpilot.ingest.pipeline import import_file
from bizpilot.ingest.writer import acting_as
from bizpilot.services.auth import SYSTEM
from bizpilot.services.records import history, update_record
from tests.ingest.helpers import ACCOUNTS_CSV, ORDERS_CSV, PRODUCTS_CSV, write, write_rows

pytestmark = pytest.mark.storage

CHANGED_ACCOUNTS = """Customer ID,Company Name,Industry,Country,Tier,Description
A1,Acme Industrial GmbH,Machinery,Germany,strategic,Makes pumps and valves.
A2,苏州恒达精密机械有限公司,Manufacturing,China,strategic,精密零部件制造商。
A3,Bright Hotels Ltd,Hospitality,Ireland,standard,Boutique hotels.
"""


def trail(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.record_id, AuditEntry.id)))


def versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Account.external_id, Account.version)).all())


@pytest.fixture
def accounts(engine: Engine, tmp_path: Path) -> Path:
    import_file("accounts", write(tmp_path, "accounts.csv", ACCOUNTS_CSV), engine=engine)
    return tmp_path


def test_unchanged_reimport_writes_no_audit_rows_and_bumps_nothing(engine: Engine, accounts: Path) -> None:
    report = import_file("accounts", write(accounts, "again.csv", ACCOUNTS_CSV), engine=engine)
    assert report.tables["accounts"] == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert trail(engine) == []
    assert versions(engine) == {"A1": 1, "A2": 1, "A3": 1}


def test_changed_reimport_bumps_versions_and_audits_each_changed_record(engine: Engine, accounts: Path) -> None:
    with engine.connect() as conn:
        before = dict(conn.execute(select(Account.external_id, Account.updated_at)).all())
    report = import_file("accounts", write(accounts, "changed.csv", CHANGED_ACCOUNTS), engine=engine)
    assert report.tables["accounts"] == {"inserted": 0, "updated": 2, "unchanged": 1}
    assert versions(engine) == {"A1": 2, "A2": 1, "A3": 2}
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Account.external_id, Account.id)).all())
        after = dict(conn.execute(select(Account.external_id, Account.updated_at)).all())
    assert after["A1"] > before["A1"] and after["A2"] == before["A2"]
    rows = trail(engine)
    assert [(r.entity, r.record_id, r.action, r.channel, r.user_id, r.actor) for r in rows] == [
        ("accounts", ids["A1"], "update", "import", None, "system"),
        ("accounts", ids["A3"], "update", "import", None, "system")]
    assert rows[0].changes == {"industry": ["Manufacturing", "Machinery"], "tier": ["key", "strategic"]}
    assert rows[1].changes == {"country": ["United Kingdom", "Ireland"], "description": [None, "Boutique hotels."]}


def test_the_import_user_is_the_author_when_known(engine: Engine, accounts: Path) -> None:
    with Session(engine) as session:
        user = User(name="ida", email="ida@example.com", role="manager")
        session.add(user)
        session.commit()
        user_id = user.id
    with acting_as(user_id, "ida"):
        import_file("accounts", write(accounts, "changed.csv", CHANGED_ACCOUNTS), engine=engine)
    assert {(r.user_id, r.actor, r.channel) for r in trail(engine)} == {(user_id, "ida", "import")}
    import_file("accounts", write(accounts, "orig.csv", ACCOUNTS_CSV), engine=engine)  # outside: the system again
    assert [(r.user_id, r.actor) for r in trail(engine)][-1] == (None, "system")


def test_numbers_and_json_in_the_trail_are_as_stored(engine: Engine, tmp_path: Path) -> None:
    import_file("products", write(tmp_path, "p.csv", PRODUCTS_CSV), engine=engine)
    path = write(tmp_path, "p2.csv", PRODUCTS_CSV.replace('"1,250.00"', '"1,299.50"').replace("230V", "400V"))
    report = import_file("products", path, engine=engine)
    assert report.tables["products"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    [row] = trail(engine)
    assert row.entity == "products" and row.changes == {
        "price": [1250.0, 1299.5],
        "attributes": [{"material": "cast iron", "voltage": "230V"}, {"material": "cast iron", "voltage": "400V"}]}


def test_an_edit_opened_before_an_import_cannot_save_over_it(engine: Engine, accounts: Path) -> None:
    with Session(engine) as session:
        account = session.scalar(select(Account).where(Account.external_id == "A1"))
        assert account.version == 1
        import_file("accounts", write(accounts, "changed.csv", CHANGED_ACCOUNTS), engine=engine)
        with pytest.raises(ConflictError, match="changed by someone else meanwhile"):
            update_record(session=session, entity="accounts", record_id=account.id, data={"tier": "small"},
                          principal=SYSTEM, channel="page")
        session.rollback()
        assert [e.channel for e in history(session=session, entity="accounts", record_id=account.id)] == ["import"]


def test_a_rejected_strict_import_leaves_no_trail(engine: Engine, accounts: Path) -> None:
    bad = write_rows(accounts, "bad.csv", "Customer ID,Company Name,Industry", "A1,Acme Industrial GmbH,Machinery",
                     "A9,,Retail")
    with pytest.raises(ImportRejected):
        import_file("accounts", bad, strict=True, engine=engine)
    assert trail(engine) == [] and versions(engine)["A1"] == 1


def test_orders_are_not_audited_and_large_files_audit_every_changed_row(engine: Engine, accounts: Path) -> None:
    import_file("products", write(accounts, "p.csv", PRODUCTS_CSV), engine=engine)
    orders = write(accounts, "o.csv", ORDERS_CSV)
    import_file("orders", orders, engine=engine)
    import_file("orders", write(accounts, "o2.csv", ORDERS_CSV.replace(",2,1250,", ",3,1250,")), engine=engine)
    assert trail(engine) == []
    rows = ["SKU,Product Name,Unit Price"] + [f"S-{i},Item {i},{i}" for i in range(3000)]
    import_file("products", write_rows(accounts, "many.csv", *rows), engine=engine)
    rows = ["SKU,Product Name,Unit Price"] + [f"S-{i},Item {i},{i + (i % 2)}" for i in range(3000)]
    report = import_file("products", write_rows(accounts, "many2.csv", *rows), engine=engine)
    assert report.tables["products"]["updated"] == 1500
    with Session(engine) as session:
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "products")) == 1500
        assert session.scalar(select(func.count(Product.id)).where(Product.version == 2)) == 1500
        one = session.scalar(select(AuditEntry).join(Product, Product.id == AuditEntry.record_id)
                             .where(Product.sku == "S-7"))
        assert one.changes == {"price": [7.0, 8.0]}


def test_an_upload_names_its_user_in_the_trail(engine: Engine, accounts: Path) -> None:
    from bizpilot.services.imports import import_status, start_upload_import

    with Session(engine) as session:
        user = User(name="uma", email="uma@example.com", role="sales")
        session.add(user)
        session.commit()
        user_id = user.id
    run_id = start_upload_import(engine=engine, entity="accounts", filename="changed.csv",
                                 content=CHANGED_ACCOUNTS.encode("utf-8"), wait=True, actor=(user_id, "uma"))
    with Session(engine) as session:
        assert import_status(session=session, run_id=run_id)["status"] == "finished"
    assert {(r.user_id, r.actor, r.channel) for r in trail(engine)} == {(user_id, "uma", "import")}
