"""The Imports page: upload with CSRF, the run page with counts and rejected rows, the rejects download, roles."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bizpilot.app import create_app
from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain import ImportRun
from bizpilot.services.auth import create_api_key
from bizpilot.services.imports import import_status
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV
from tests.web.conftest import csrf_token

BAD_PRODUCTS = PRODUCTS_CSV + "P-9,Broken,Tools,-1,EUR,,\n"


def run_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ImportRun)) or 0)


def upload(client: TestClient, *, entity: str, name: str, content: str | bytes, token: str | None,
           strict: bool = False, headers: dict[str, str] | None = None) -> httpx.Response:
    data = {"entity": entity, **({"strict": "true"} if strict else {}), **({"csrf_token": token} if token else {})}
    body = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/imports", data=data, files={"file": (name, body, "text/csv")}, headers=headers or {},
                       follow_redirects=False)


def finished(engine: Engine, run_id: int) -> dict:
    """Wait for the background import thread (the page itself polls; a test just asks the service)."""
    deadline = time.monotonic() + 30
    status = _status(engine, run_id)
    while status["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _status(engine, run_id)
    return status


def started_run(resp: httpx.Response) -> int:
    assert resp.status_code == 303, resp.text[:500]
    match = re.fullmatch(r"/imports/(\d+)", resp.headers["location"])
    assert match, resp.headers["location"]
    return int(match.group(1))


def test_upload_shows_counts_rejected_rows_and_lists_the_run(engine: Engine, browser_client: TestClient) -> None:
    page = browser_client.get("/imports").text
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    options = re.findall(r'<option value="([^"]+)"', page)
    assert "products" in options and "online-retail" in options and "movielens" not in options
    assert "No imports yet." in page

    run_id = started_run(upload(browser_client, entity="products", name="products.csv", content=BAD_PRODUCTS,
                                token=csrf_token(browser_client)))
    assert finished(engine, run_id)["status"] == "finished"
    page = browser_client.get(f"/imports/{run_id}").text
    assert f"Import #{run_id}" in page and 'data-status="finished"' in page and "products.csv" in page
    assert 'http-equiv="refresh"' not in page and "data-import-run" not in page  # nothing left to follow
    table = page.split('id="run-tables"')[1].split("</table>")[0]
    assert re.search(r'data-table="products"><td>Products</td>\s*<td class="num">3</td><td class="num">0</td>',
                     table)
    assert re.search(r'id="rejected-count">1<', page) and re.search(r'data-total="rows_read">4<', page)
    rejects = page.split('id="reject-rows"')[1].split("</table>")[0]
    assert '<td class="num">5</td>' in rejects and "price (column &#39;Unit Price&#39;)" in rejects
    assert "Input should be greater than or equal to 0" in rejects and "<td>-1</td>" in rejects
    assert f'href="/imports/{run_id}/rejects.csv"' in page

    listing = browser_client.get("/imports").text.split('id="runs"')[1]
    row = listing.split(f'data-run="{run_id}"')[1].split("</tr>")[0]
    assert f'href="/imports/{run_id}"' in row and "Products" in row and "Finished" in row
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["4", "3", "0", "0", "1"]


def test_rejects_download_serves_the_runs_own_file(engine: Engine, browser_client: TestClient) -> None:
    token = csrf_token(browser_client)
    first = started_run(upload(browser_client, entity="products", name="a.csv", content=BAD_PRODUCTS, token=token))
    finished(engine, first)
    other_bad = PRODUCTS_CSV + "P-8,Odd,Tools,not a price,EUR,,\nP-7,Odd too,Tools,abc,EUR,,\n"
    second = started_run(upload(browser_client, entity="products", name="b.csv", content=other_bad, token=token))
    finished(engine, second)
    clean = started_run(upload(browser_client, entity="accounts", name="c.csv", content=ACCOUNTS_CSV, token=token))
    assert finished(engine, clean)["status"] == "finished"

    with engine.connect() as conn:
        paths = dict(conn.execute(select(ImportRun.id, ImportRun.rejects_path)).all())
    for run_id in (first, second):
        resp = browser_client.get(f"/imports/{run_id}/rejects.csv")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        assert f'filename="import-{run_id}-rejects.csv"' in resp.headers["content-disposition"]
        assert resp.content == Path(paths[run_id]).read_bytes()
    assert paths[first] != paths[second]
    assert b"P-9" in Path(paths[first]).read_bytes() and b"P-9" not in Path(paths[second]).read_bytes()
    assert b"P-7" in Path(paths[second]).read_bytes()
    assert browser_client.get(f"/imports/{clean}/rejects.csv").status_code == 404
    assert "No rows were rejected." in browser_client.get(f"/imports/{clean}").text
    assert browser_client.get("/imports/999999/rejects.csv").status_code == 404
    assert browser_client.get("/imports/999999").status_code == 404
    # nothing from the URL becomes a path: only integer run ids route here at all
    assert browser_client.get("/imports/..%2F..%2Fbizpilot.sqlite/rejects.csv").status_code in (404, 422)


def test_upload_needs_the_csrf_token(engine: Engine, browser_client: TestClient) -> None:
    assert upload(browser_client, entity="products", name="p.csv", content=PRODUCTS_CSV, token=None).status_code == 403
    resp = upload(browser_client, entity="products", name="p.csv", content=PRODUCTS_CSV, token="0" * 64)
    assert resp.status_code == 403 and "CSRF" in resp.text
    assert run_count(engine) == 0


def test_form_errors_are_shown_on_the_form(engine: Engine, browser_client: TestClient) -> None:
    token = csrf_token(browser_client)
    resp = upload(browser_client, entity="products", name="p.csv", content=b"", token=token)
    assert resp.status_code == 422 and 'id="upload-error"' in resp.text and "the file is empty" in resp.text
    assert '<option value="products" selected>' in resp.text  # the choice survives the error
    resp = upload(browser_client, entity="products", name="p.exe", content=b"MZ\x90", token=token, strict=True)
    assert resp.status_code == 422 and "unknown file format" in resp.text and 'id="strict" checked' in resp.text
    resp = upload(browser_client, entity="movielens", name="p.csv", content=PRODUCTS_CSV, token=token)
    assert resp.status_code == 422 and "choose what the file contains" in resp.text
    resp = browser_client.post("/imports", data={"entity": "products", "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 422 and "choose a file to upload" in resp.text
    assert run_count(engine) == 0


def test_strict_upload_that_fails_writes_nothing_and_says_so(engine: Engine, browser_client: TestClient) -> None:
    run_id = started_run(upload(browser_client, entity="products", name="p.csv", content=BAD_PRODUCTS,
                                token=csrf_token(browser_client), strict=True))
    assert finished(engine, run_id)["status"] == "rejected"
    page = browser_client.get(f"/imports/{run_id}").text
    assert 'data-status="rejected"' in page and "strict mode wrote nothing" in page
    assert "Nothing was written." in page and re.search(r'id="rejected-count">1<', page)
    assert "Input should be greater than or equal to 0" in page.split('id="reject-rows"')[1]


def test_running_run_page_follows_progress(engine: Engine, browser_client: TestClient) -> None:
    with engine.begin() as conn:
        run_id = conn.execute(ImportRun.__table__.insert().values(
            entity="orders", source="big.csv", status="running", strict=False, counts={}, started_at=utcnow()
        )).inserted_primary_key[0]
    page = browser_client.get(f"/imports/{run_id}").text
    assert f'data-import-run="{run_id}"' in page and f'data-status-url="/api/v1/imports/{run_id}"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="import-progress">' in page and "/static/app.js" in page
    assert browser_client.get(f"/api/v1/imports/{run_id}").json()["status"] == "running"  # what app.js polls
    assert "data-import-run" in browser_client.get("/static/app.js").text


def test_read_only_principals_see_the_list_but_cannot_upload(engine: Engine) -> None:
    app = create_app()
    app.state.auth_open_reads = True
    local = TestClient(app, client=("127.0.0.1", 50000))
    page = local.get("/imports")
    assert page.status_code == 200 and 'id="upload-read-only"' in page.text and 'id="upload-form"' not in page.text
    resp = upload(local, entity="products", name="p.csv", content=PRODUCTS_CSV, token=None)
    assert resp.status_code == 403 and resp.headers["content-type"].startswith("text/html")
    assert "Not allowed" in resp.text and "needs role write" in resp.text

    with session_scope(engine) as session:
        read_key, _ = create_api_key(session=session, name="reader", role="read")
    resp = upload(TestClient(create_app()), entity="products", name="p.csv", content=PRODUCTS_CSV, token=None,
                  headers={"X-API-Key": read_key})
    assert resp.status_code == 403 and "has role read" in resp.text
    anonymous = upload(TestClient(create_app()), entity="products", name="p.csv", content=PRODUCTS_CSV, token=None)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert run_count(engine) == 0

    with session_scope(engine) as session:
        write_key, _ = create_api_key(session=session, name="writer", role="write")  # keys need no CSRF token
    run_id = started_run(upload(TestClient(create_app()), entity="products", name="p.csv", content=PRODUCTS_CSV,
                                token=None, headers={"X-API-Key": write_key}))
    assert finished(engine, run_id)["status"] == "finished"


def test_chinese_imports_page(browser_client: TestClient) -> None:
    page = browser_client.get("/imports?lang=zh").text
    assert "上传文件" in page and "最近的导入" in page and "开始导入" in page and "暂无导入记录。" in page


def _status(engine, run_id):  # noqa: ANN001, ANN202 - the service in its own unit of work, as an edge runs it
    from bizpilot.db.engine import session_scope

    with session_scope(engine) as session:
        return import_status(session=session, run_id=run_id)
