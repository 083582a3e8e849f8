"""The API contract, pinned on the cases the fuzzing found (tests/api/test_fuzz_contract.py walks everything):
integers beyond 64 bits are a 422 and never a 500, datetimes carry their UTC offset, closed sets are enums or
patterns, and every route documents the status codes it can answer, in the one error model."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.api.params import MAX_ID
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account
from bizpilot.services.auth import list_api_keys

HUGE = 622630853781983339246256128  # what Schemathesis sent: more than SQLite's 64 bits


@pytest.mark.parametrize("path", [
    f"/api/v1/accounts?offset={HUGE}",
    f"/api/v1/model_runs/{HUGE}",
    f"/api/v1/imports/{HUGE}",
    f"/api/v1/imports/{HUGE}/rejects",
    f"/api/v1/intelligence/accounts/{HUGE}/profile",
    f"/api/v1/webhooks/{HUGE}/deliveries",
    f"/api/v1/assistant/conversations/{HUGE}",
    f"/api/v1/orders?account_id={HUGE}",
    f"/api/v1/accounts/{MAX_ID + 1}",
])
def test_integers_beyond_64_bits_are_a_422(admin_client: TestClient, path: str) -> None:
    resp = admin_client.get(path)
    assert resp.status_code == 422, resp.text[:300]
    assert resp.json()["error"]["code"] == "validation_error"


def test_the_largest_id_is_a_404_and_the_largest_offset_an_empty_page(api_client: TestClient) -> None:
    assert api_client.get(f"/api/v1/accounts/{MAX_ID}").status_code == 404
    page = api_client.get(f"/api/v1/accounts?offset={MAX_ID}")
    assert page.status_code == 200, page.text[:300]
    assert page.json()["items"] == [] and page.json()["offset"] == MAX_ID


def test_bodies_bound_their_ids(write_client: TestClient) -> None:
    resp = write_client.post("/api/v1/assistant/ask", json={"question": "where is my order?",
                                                            "conversation_id": HUGE})
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "conversation_id"


def test_datetimes_carry_their_utc_offset(engine: Engine, admin_client: TestClient) -> None:
    with session_scope(engine) as session:
        account = Account(external_id="ALPHA", name="Alpha GmbH", created_at=datetime(2024, 3, 7, 10, 0, 0))
        session.add(account)
        session.flush()
        account_id = account.id
    detail = admin_client.get(f"/api/v1/accounts/{account_id}").json()
    assert detail["created_at"] == "2024-03-07T10:00:00Z"
    listed = admin_client.get("/api/v1/accounts").json()["items"][0]
    assert listed["created_at"] == "2024-03-07T10:00:00Z"
    keys = admin_client.get("/api/v1/keys").json()["items"]
    assert keys and all(k["created_at"].endswith("Z") for k in keys)
    with session_scope(engine) as session:  # Python values stay as stored: naive UTC
        assert list_api_keys(session=session)[0].created_at.tzinfo is None


def test_sort_takes_only_the_sortable_keys(api_client: TestClient) -> None:
    assert api_client.get("/api/v1/accounts", params={"sort": "-name,country"}).status_code == 200
    assert api_client.get("/api/v1/accounts", params={"sort": ""}).status_code == 200  # the default order
    bad = api_client.get("/api/v1/accounts", params={"sort": "description"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "sort"


def test_the_schema_documents_bounds_enums_and_every_error() -> None:
    spec = create_app().openapi()
    detail = spec["paths"]["/api/v1/model_runs/{item_id}"]["get"]
    assert detail["parameters"][0]["schema"]["maximum"] == MAX_ID
    sort = next(p for p in spec["paths"]["/api/v1/accounts"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["pattern"].startswith("^(?:[+-]?(?:")
    kind = spec["components"]["schemas"]["GenerateRequest"]["properties"]["kind"]
    assert "product_description" in kind["enum"] and "sales_email" in kind["enum"]
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, item in spec["paths"].items():
        if path in ("/api/v1/health",):
            continue
        for method, operation in item.items():
            codes = operation["responses"]
            label = f"{method.upper()} {path}"
            assert {"401", "403", "500", "503"} <= set(codes), label
            if "{" in path:
                assert "404" in codes, label
            if operation.get("parameters") or "requestBody" in operation:
                assert codes["422"]["content"]["application/json"]["schema"] == error_ref, label
            if "requestBody" in operation:
                assert "400" in codes, label
    assert "HTTPValidationError" not in spec["components"]["schemas"]
