"""POST /api/v1/imports over the bad-input corpus: 413 over the size limit, 422 for files that cannot be read (never
500), runs that report their encoding and rejected rows, formula cells escaped in exports, and the server still
serving after each."""

from __future__ import annotations

import csv
import io
import time

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.config import reset_settings
from bizpilot.domain import Account, ImportRun
from tests.ingest.bad_inputs import CHINESE, FORMULAS, PNG, RAGGED

pytestmark = pytest.mark.storage


def post(client: TestClient, name: str, content: bytes, *, entity: str = "accounts",
         encoding: str | None = None):
    data = {"entity": entity, **({"encoding": encoding} if encoding else {})}
    return client.post("/api/v1/imports", data=data, files={"file": (name, content, "text/csv")})


def finished(client: TestClient, run_id: int) -> dict:
    deadline = time.monotonic() + 30
    while True:
        status = client.get(f"/api/v1/imports/{run_id}").json()
        if status["status"] != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def still_serving(client: TestClient) -> None:
    assert client.get("/api/v1/accounts").status_code == 200


def test_oversized_upload_answers_413_with_the_limit(write_client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_IMPORT_MAX_UPLOAD_MB", "1")
    reset_settings()
    big = b"name,industry\n" + b"Acme,Food\n" * 150_000  # 1.5 MB
    resp = post(write_client, "big.csv", big)
    assert resp.status_code == 413
    error = resp.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "larger than the 1 MB limit (BIZPILOT_IMPORT_MAX_UPLOAD_MB)" in error["message"]
    just_over = b"name\n" + b"x" * (1024 * 1024)  # the body fits the slack; the file itself is over the limit
    resp = post(write_client, "over.csv", just_over)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    still_serving(write_client)
    spec = write_client.get("/api/v1/openapi.json").json()
    assert "413" in spec["paths"]["/api/v1/imports"]["post"]["responses"]


@pytest.mark.parametrize(("name", "content", "encoding", "code", "needle"), [
    ("image.csv", PNG, None, "unsupported_format", "the file is a PNG image"),
    ("image.xlsx", PNG, None, "unsupported_format", "is not an Excel .xlsx workbook"),
    ("empty.csv", b"", None, "validation_error", "empty"),
    ("a.csv", b"name\nAcme\n", "klingon", "validation_error", "unknown encoding 'klingon'"),
    ("gbk.csv", CHINESE.encode("gbk"), "utf-8", "validation_error", "not valid utf-8 (given)"),
])
def test_unreadable_uploads_answer_422_at_once(write_client: TestClient, engine: Engine, name: str, content: bytes,
                                               encoding: str | None, code: str, needle: str) -> None:
    resp = post(write_client, name, content, encoding=encoding)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == code and needle in error["message"]
    still_serving(write_client)


def test_zip_bomb_upload_answers_422(write_client: TestClient, tmp_path) -> None:
    from tests.ingest.bad_inputs import zip_bomb

    resp = post(write_client, "bomb.xlsx", zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=60).read_bytes(),
                entity="products")
    assert resp.status_code == 422 and "zip bomb" in resp.json()["error"]["message"]
    still_serving(write_client)


def test_gbk_upload_reports_its_encoding_and_override_works(write_client: TestClient, engine: Engine) -> None:
    resp = post(write_client, "客户.csv", CHINESE.encode("gbk"))
    assert resp.status_code == 202, resp.text
    run = finished(write_client, resp.json()["id"])
    assert run["status"] == "finished" and run["counts"]["encoding"] == "gb18030 (detected)"
    assert "read as gb18030 (detected)" in run["message"]
    with engine.connect() as conn:
        assert set(conn.scalars(select(Account.name))) == {"苏州恒达精密机械有限公司", "北京华联商贸有限公司"}
    resp = post(write_client, "latin.csv", "name\nSøren ApS\n".encode("latin-1"), encoding="latin-1")
    run = finished(write_client, resp.json()["id"])
    assert run["status"] == "finished" and run["counts"]["encoding"] == "iso8859-1 (given)"


def test_ragged_upload_lists_the_rows_in_its_rejects(write_client: TestClient, engine: Engine) -> None:
    resp = post(write_client, "ragged.csv", RAGGED.encode())
    run = finished(write_client, resp.json()["id"])
    assert run["status"] == "finished" and run["counts"]["rejected"] == 2 and run["has_rejects"]
    rejects = write_client.get(f"/api/v1/imports/{run['id']}/rejects").json()
    assert [(r["row"], r["field"]) for r in rejects["rows"]] == [(2, "(row)"), (4, "(row)")]
    assert rejects["rows"][0]["value"] == "Alpha GmbH,manufacturing,DE,extra"
    with engine.connect() as conn:
        assert set(conn.scalars(select(Account.name))) == {"Beta Ltd", "Delta AG"}


def test_formula_cells_import_as_text_and_exports_escape_them(write_client: TestClient, engine: Engine) -> None:
    text = "name,industry\n" + "".join(f'"{f}",Retail\n' for f in FORMULAS) + '"=1+1",' + "i" * 101 + "\n"
    run = finished(write_client, post(write_client, "f.csv", text.encode()).json()["id"])
    assert run["status"] == "finished" and run["counts"]["rejected"] == 1
    rejects = write_client.get(f"/api/v1/imports/{run['id']}/rejects").json()["rows"]
    assert rejects[0]["row"] == 6 and rejects[0]["field"] == "industry"
    with engine.connect() as conn:
        assert set(conn.scalars(select(Account.name))) == set(FORMULAS)
    exported = write_client.get("/api/v1/accounts", params={"format": "csv"})
    assert exported.status_code == 200
    cells = {c for row in csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))) for c in row}
    assert {"'" + f for f in FORMULAS} <= cells and not any(c.startswith(("=", "+", "@")) for c in cells)
    book = openpyxl.load_workbook(io.BytesIO(write_client.get("/api/v1/accounts", params={"format": "xlsx"}).content))
    cells = {c.value for row in book.active.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"'" + f for f in FORMULAS} <= cells and not any(c.startswith("=") for c in cells)


def test_rejected_formula_value_is_guarded_in_the_file_and_plain_in_the_api(write_client: TestClient,
                                                                           engine: Engine) -> None:
    run = finished(write_client, post(write_client, "p.csv", b"sku,name,price\nP-1,Pump,=1+1\n",
                                      entity="products").json()["id"])
    rows = write_client.get(f"/api/v1/imports/{run['id']}/rejects").json()["rows"]
    assert [(r["row"], r["field"], r["value"]) for r in rows] == [(2, "price", "=1+1")]
    with engine.connect() as conn:
        path = conn.scalar(select(ImportRun.rejects_path).where(ImportRun.id == run["id"]))
    with open(path, encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1][3] == "'=1+1"
