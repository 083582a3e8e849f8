"""The Imports page's upload over the bad-input corpus: 413 over the size limit and 422 for unreadable files, each
with the form and a clear message, the encoding choice, and the page still serving afterwards."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.config import reset_settings
from bizpilot.domain import Account
from tests.ingest.bad_inputs import CHINESE, PNG
from tests.web.conftest import csrf_token
from tests.web.test_imports_page import finished, started_run, upload

pytestmark = pytest.mark.storage


def test_oversized_upload_gets_413_with_the_form(browser_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_IMPORT_MAX_UPLOAD_MB", "1")
    reset_settings()
    token = csrf_token(browser_client, "/imports")
    resp = upload(browser_client, entity="accounts", name="big.csv", content=b"name\n" + b"x" * (1024 * 1024 + 10),
                  token=token)
    assert resp.status_code == 413
    assert "the file is larger than 1 MB." in html.unescape(resp.text) and 'id="upload-form"' in resp.text
    huge = upload(browser_client, entity="accounts", name="huge.csv", content=b"name\n" + b"x" * (3 * 1024 * 1024),
                  token=token)
    assert huge.status_code == 413  # refused from Content-Length, before the body is parsed
    assert browser_client.get("/imports").status_code == 200


def test_png_renamed_to_csv_gets_422_naming_the_problem(browser_client: TestClient) -> None:
    resp = upload(browser_client, entity="accounts", name="photo.csv", content=PNG,
                  token=csrf_token(browser_client, "/imports"))
    assert resp.status_code == 422
    assert "photo.csv: the file is a PNG image, not a text table" in html.unescape(resp.text)
    assert browser_client.get("/imports").status_code == 200


def test_encoding_choice_reaches_the_import(browser_client: TestClient, engine: Engine) -> None:
    page = browser_client.get("/imports").text
    assert '<select name="encoding" id="encoding">' in page and '<option value="gb18030">' in page
    token = csrf_token(browser_client, "/imports")
    data = {"entity": "accounts", "encoding": "gb18030", "csrf_token": token}
    resp = browser_client.post("/imports", data=data, files={"file": ("客户.csv", CHINESE.encode("gbk"), "text/csv")},
                               follow_redirects=False)
    run = finished(engine, started_run(resp))
    assert run["status"] == "finished" and run["counts"]["encoding"] == "gb18030 (given)"
    with engine.connect() as conn:
        assert len(set(conn.scalars(select(Account.name)))) == 2
    wrong = upload(browser_client, entity="accounts", name="x.csv", content=CHINESE.encode("gbk"), token=token)
    assert wrong.status_code == 303  # detected without a choice
