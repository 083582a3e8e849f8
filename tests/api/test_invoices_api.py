"""Invoices over the API and the Python client (list with filters, detail, CSV export, the overdue view) and the
payment reminder where people pick a purpose: the API's purpose enum and the Content studio's picker."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.client import Client
from bizpilot.domain.invoice import InvoicePublic
from bizpilot.ingest.pipeline import import_file
from tests.ingest.helpers import write
from tests.services.content.data import seed_small
from tests.web.conftest import browser_client  # noqa: F401  (fixture: a signed-in dashboard client)

INVOICES_CSV = """number,account_external_id,issued_at,due_at,amount,currency,amount_paid,status,payment_instructions
INV-0003,ACC-T1,2024-03-05,2024-05-02,1250,USD,250,open,bank transfer quoting the invoice number
INV-0004,ACC-T1,2024-03-05,2024-04-04,300,USD,300,paid,
"""


@pytest.fixture
def billed(engine: Engine, tmp_path: Path) -> Engine:
    seed_small(engine)
    report = import_file("invoices", write(tmp_path, "invoices.csv", INVOICES_CSV), engine=engine)
    assert report.tables["invoices"]["inserted"] == 2
    return engine


def test_list_filter_detail_export_and_the_reminder_purpose(billed: Engine, write_client: TestClient,
                                                            browser_client: TestClient) -> None:  # noqa: F811
    listed = write_client.get("/api/v1/invoices", params={"status": "open"}).json()
    assert [i["number"] for i in listed["items"]] == ["INV-0003"]
    item = listed["items"][0]
    assert (item["due_at"], item["amount"], item["amount_paid"]) == ("2024-05-02", 1250.0, 250.0)
    detail = write_client.get(f"/api/v1/invoices/{item['id']}").json()
    assert detail["payment_instructions"] == "bank transfer quoting the invoice number"
    assert write_client.get("/api/v1/invoices", params={"status": "overdue"}).status_code == 422  # derived, not stored
    exported = write_client.get("/api/v1/invoices", params={"format": "csv", "sort": "number"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][4:7] == ["Invoice number", "Issued", "Due"]  # the list's own column titles
    assert [r[rows[0].index("Invoice number")] for r in rows[1:]] == ["INV-0003", "INV-0004"]
    # The Python client reads the same list, as the domain's Public model (its requests answered by the app).
    def answer(request: httpx.Request) -> httpx.Response:
        got = write_client.request(request.method, str(request.url), headers=dict(request.headers),
                                   content=request.content)
        return httpx.Response(got.status_code, headers=got.headers, content=got.content)

    key = write_client.headers["Authorization"].removeprefix("Bearer ")
    with Client("http://testserver", key, transport=httpx.MockTransport(answer)) as client:
        page = client.invoices.list(status="open")
        assert [i.number for i in page.items] == ["INV-0003"] and isinstance(page.items[0], InvoicePublic)
        assert client.invoices.get(item["id"]).amount_paid == 250.0
        # Overdue is read as of the workspace's today (the small catalog's newest order, 2024-06-01).
        overdue = client.invoices.overdue(min_days=7)
    assert (overdue["today"], overdue["total"]) == ("2024-06-01", 1)
    assert {k: overdue["items"][0][k] for k in ("number", "amount_due", "days_overdue")} == {
        "number": "INV-0003", "amount_due": 1000.0, "days_overdue": 30}
    assert write_client.get("/api/v1/invoices-overdue", params={"min_days": 31}).json()["items"] == []
    assert write_client.get("/api/v1/invoices-overdue", params={"min_days": 0}).status_code == 422
    # The payment reminder is a purpose of the API's enum and of the Content studio's picker.
    body = {"kind": "sales_email", "account_id": "ACC-T1", "language": "en", "use_llm": False,
            "purpose": "payment_reminder"}
    made = write_client.post("/api/v1/content/generate", json=body).json()
    assert made["purpose"]["name"] == "payment_reminder" and "INV-0003" in made["output"]
    assert "USD 1000.00" in made["output"]
    page = browser_client.get("/content").text
    assert '<option value="payment_reminder" >Payment reminder (overdue invoice)</option>' in page
