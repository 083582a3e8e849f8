"""The JSON API: registry-driven list/detail routes, stats/health, docs and the one error model."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db import reset_engine
from bizpilot.domain import ENTITIES
from tests.api.conftest import auth_headers
from tests.services.sample_data import load_sample


@pytest.fixture
def ids(engine: Engine) -> dict[str, int]:
    return load_sample(engine)


@pytest.fixture
def client(ids: dict[str, int], read_key: str) -> TestClient:
    return TestClient(create_app(), headers=auth_headers(read_key))


def assert_error(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_list_default_page_and_public_fields(client: TestClient) -> None:
    body = client.get("/api/v1/accounts").json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)
    assert [a["name"] for a in body["items"]][:2] == ["Acme Trading Co", "Borealis Foods GmbH"]
    acme = body["items"][0]
    assert acme["external_id"] == "ACME" and acme["industry"] == "Retail" and acme["tier"] == "key"
    assert acme["created_at"].startswith("2023-01-05")


def test_pagination(client: TestClient) -> None:
    first = client.get("/api/v1/accounts", params={"limit": 2, "sort": "name"}).json()
    second = client.get("/api/v1/accounts", params={"limit": 2, "offset": 2, "sort": "name"}).json()
    third = client.get("/api/v1/accounts", params={"limit": 2, "offset": 4, "sort": "name"}).json()
    assert [a["name"] for a in first["items"]] == ["Acme Trading Co", "Borealis Foods GmbH"]
    assert [a["name"] for a in second["items"]] == ["Cedar Retail Ltd", "Delta 100% Supplies_"]
    assert [a["name"] for a in third["items"]] == ["Echo Wholesale"]
    assert first["total"] == second["total"] == third["total"] == 5
    assert (second["limit"], second["offset"]) == (2, 2)


def test_filters_search_and_sort(client: TestClient, ids: dict[str, int]) -> None:
    body = client.get("/api/v1/accounts?industry=Retail&country=China").json()
    assert [a["external_id"] for a in body["items"]] == ["ACME", "ECHO"] and body["total"] == 2
    body = client.get("/api/v1/accounts", params={"q": "TEA", "sort": "-name"}).json()
    assert [a["name"] for a in body["items"]] == ["Echo Wholesale", "Borealis Foods GmbH"]
    body = client.get("/api/v1/orders", params={"account_id": ids["ACME"]}).json()
    assert [o["external_id"] for o in body["items"]] == ["C5", "O3", "O2", "O1"]  # default -ordered_at
    body = client.get("/api/v1/orders", params={"is_guest": "true"}).json()
    assert [o["external_id"] for o in body["items"]] == ["G6"] and body["items"][0]["account_id"] is None
    body = client.get("/api/v1/contacts", params={"account_id": ids["ACME"], "sort": "-name"}).json()
    assert [c["name"] for c in body["items"]] == ["Sarah Chen", "Li Wei"]
    body = client.get("/api/v1/order_lines", params={"line_type": "cancellation"}).json()
    assert [(ln["quantity"], ln["unit_price"], ln["discount"]) for ln in body["items"]] == [(-10.0, 3.5, 0.2)]


def test_detail_and_missing_row(client: TestClient, ids: dict[str, int]) -> None:
    resp = client.get(f"/api/v1/accounts/{ids['BOREALIS']}")
    assert resp.status_code == 200
    assert resp.json()["name"] == "Borealis Foods GmbH" and resp.json()["country"] == "Germany"
    err = assert_error(client.get("/api/v1/accounts/987654"), 404, "not_found")
    assert "987654" in err["message"] and err["details"] == [
        {"field": "id", "reason": "no accounts row with id 987654"}]
    err = assert_error(client.get("/api/v1/accounts/abc"), 422, "validation_error")
    assert err["details"][0]["field"] == "item_id"


def test_unknown_filter_and_sort_are_422_with_clear_messages(client: TestClient) -> None:
    err = assert_error(client.get("/api/v1/accounts?colour=red"), 422, "validation_error")
    assert "unknown query parameter(s) colour" in err["message"]
    assert "industry, country, tier" in err["message"]
    assert err["details"] == [{"field": "colour", "reason": "unknown query parameter"}]
    err = assert_error(client.get("/api/v1/accounts?sort=-description"), 422, "validation_error")
    assert "cannot sort accounts by 'description'" in err["message"] and "sortable: id, name" in err["message"]
    err = assert_error(client.get("/api/v1/order_lines?q=mug"), 422, "validation_error")
    assert err["details"] == [{"field": "q", "reason": "unknown query parameter"}]


def test_paging_limits_are_validated(client: TestClient) -> None:
    assert client.get("/api/v1/accounts?limit=500").status_code == 200
    err = assert_error(client.get("/api/v1/accounts?limit=501"), 422, "validation_error")
    assert err["details"][0]["field"] == "limit" and "500" in err["details"][0]["reason"]
    err = assert_error(client.get("/api/v1/accounts?offset=-1"), 422, "validation_error")
    assert err["details"][0]["field"] == "offset"
    err = assert_error(client.get("/api/v1/orders?account_id=abc"), 422, "validation_error")
    assert err["details"][0]["field"] == "account_id"


def test_unknown_route_and_method(client: TestClient) -> None:
    err = assert_error(client.get("/api/v1/widgets"), 404, "not_found")
    assert "/api/v1/widgets" in err["message"]
    resp = client.post("/api/v1/order_lines", json={})  # lines change with their order (PUT by external id)
    assert_error(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers.get("allow", "")


def test_unexpected_error_is_500_without_traceback(ids: dict[str, int], caplog: pytest.LogCaptureFixture) -> None:
    app = create_app()

    def boom() -> None:
        raise RuntimeError("secret connection string postgres://u:pw@db")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom-page", boom)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="bizpilot.http"):
        resp = client.get("/api/v1/boom")
    err = assert_error(resp, 500, "internal_error")
    assert "secret" not in resp.text and "Traceback" not in resp.text and "RuntimeError" not in resp.text
    ref = err["details"][0]["reason"]
    assert ref in err["message"]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert ref in logged and "RuntimeError: secret connection string" in logged  # traceback stays server-side
    page = client.get("/boom-page")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "secret" not in page.text and "Traceback" not in page.text and "internal_error" in page.text


def test_stats_and_health(client: TestClient) -> None:
    tables = client.get("/api/v1/stats").json()["tables"]
    assert tables["accounts"] == 5 and tables["order_lines"] == 8 and tables["knowledge_articles"] == 1
    assert set(tables) >= set(ENTITIES)
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["database"] == "ready" and health["version"]


def test_openapi_lists_every_registry_entity_with_its_filters(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for name in ENTITIES:
        assert f"/api/v1/{name}" in spec["paths"] and f"/api/v1/{name}/{{item_id}}" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/accounts"]["get"]["parameters"]}
    assert params == {"limit", "offset", "q", "sort", "industry", "country", "tier", "size_band", "region",
                      "archived", "owner", "format"}
    assert not any(path.startswith("/accounts") for path in spec["paths"])  # pages stay out of the API schema


def test_docs_are_served_from_local_assets(client: TestClient) -> None:
    html = client.get("/api/v1/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn." not in html and 'src="http' not in html and 'href="http' not in html
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "chart.umd.min.js"):
        resp = client.get(f"/static/vendor/{asset}")
        assert resp.status_code == 200 and len(resp.content) > 50_000


def test_adding_a_registry_entity_adds_its_routes(ids: dict[str, int], monkeypatch: pytest.MonkeyPatch,
                                                  read_key: str) -> None:
    monkeypatch.setitem(ENTITIES, "customers", replace(ENTITIES["accounts"], name="customers"))
    client = TestClient(create_app(), headers=auth_headers(read_key))
    body = client.get("/api/v1/customers", params={"tier": "strategic"}).json()
    assert [c["name"] for c in body["items"]] == ["Borealis Foods GmbH"]
    assert client.get(f"/api/v1/customers/{ids['ECHO']}").json()["name"] == "Echo Wholesale"


def test_uninitialised_database_gives_a_clear_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("BIZPILOT_DATABASE_URL", raising=False)
    reset_settings()
    reset_engine()
    try:
        client = TestClient(create_app())
        err = assert_error(client.get("/api/v1/accounts"), 503, "database_not_ready")
        assert "not initialised" in err["message"] and "bizpilot init" in err["message"]
        assert_error(client.get("/api/v1/health"), 503, "database_not_ready")
        page = client.get("/")
        assert page.status_code == 503 and "bizpilot init" in page.text and "<html" in page.text
    finally:
        reset_engine()
        reset_settings()
