"""Import runs: every import is logged (finished, rejected, failed); uploads run in the background with progress
and their rejected rows can be read back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bizpilot.domain import ImportRun
from bizpilot.errors import ImportRejected, NotFoundError, ValidationFailed
from bizpilot.services.imports import (
    import_status,
    read_rejects,
    run_import,
    start_upload_import,
)
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV, write

pytestmark = pytest.mark.storage


def _runs(engine: Engine) -> list[ImportRun]:
    with engine.connect() as conn:
        return list(conn.execute(select(ImportRun).order_by(ImportRun.id)).all())


def test_runs_are_logged_with_outcome(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine=engine, entity="accounts", path=write(tmp_path, "a.csv", ACCOUNTS_CSV))
    bad = PRODUCTS_CSV + "P-9,Broken,Tools,-1,EUR,,\n"
    with pytest.raises(ImportRejected):
        run_import(engine=engine, entity="products", path=write(tmp_path, "p.csv", bad), strict=True)
    with pytest.raises(ValidationFailed):
        run_import(engine=engine, entity="products", path=tmp_path / "missing.csv")
    runs = _runs(engine)
    assert [r.status for r in runs] == ["finished", "rejected", "failed"]
    assert runs[0].id == report.run_id and runs[0].counts["tables"]["accounts"]["inserted"] == 3
    assert runs[1].rejects_path and "strict mode wrote nothing" in runs[1].message
    assert "file not found" in runs[2].message


def test_upload_runs_in_background_and_rejects_are_readable(engine: Engine) -> None:
    content = (PRODUCTS_CSV + "P-9,Broken,Tools,-1,EUR,,\n").encode("utf-8")
    run_id = start_upload_import(engine=engine, entity="products", filename="../../etc/products.csv",
                                 content=content)
    deadline = time.monotonic() + 30
    status = _status(engine, run_id)
    while status["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _status(engine, run_id)
    assert status["status"] == "finished"
    assert status["source"] == "products.csv"  # the client's path never reaches the file system
    assert status["counts"]["tables"]["products"]["inserted"] == 3 and status["has_rejects"]
    rejects = _rejects(engine, run_id)
    assert rejects["total"] == 1
    assert rejects["rows"][0] == {"row": 5, "field": "price (column 'Unit Price')",
                                  "reason": "Input should be greater than or equal to 0",
                                  "value": "-1"}


def test_upload_validation(engine: Engine) -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        start_upload_import(engine=engine, entity="products", filename="p.csv", content=b"")
    with pytest.raises(ValidationFailed, match="cannot import an upload"):
        start_upload_import(engine=engine, entity="widgets", filename="p.csv", content=b"a\n")
    with pytest.raises(ValidationFailed, match="cannot tell the format"):
        start_upload_import(engine=engine, entity="products", filename="p.exe", content=b"MZ")
    with pytest.raises(NotFoundError):
        _status(engine, 999)


def _status(engine, run_id):  # noqa: ANN001, ANN202 - the service in its own unit of work, as an edge runs it
    from bizpilot.db.engine import session_scope

    with session_scope(engine) as session:
        return import_status(session=session, run_id=run_id)


def _rejects(engine, run_id):  # noqa: ANN001, ANN202
    from bizpilot.db.engine import session_scope

    with session_scope(engine) as session:
        return read_rejects(session=session, run_id=run_id)
