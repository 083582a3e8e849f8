"""Recommendation routes: read role for GETs, write role to retrain; errors through the central error model."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.services.recommend_data import seed_recommend_workspace


def test_account_recommendations_reorder_and_similar(engine: Engine, api_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    resp = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert len(body["items"]) == 3 and all(i["reason"] for i in body["items"]) and body["fallback"] is False
    assert body["reorder"] and body["reorder"][0]["status"] in ("overdue", "due", "upcoming")
    zh = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3, "lang": "zh"}).json()
    assert any("建筑" in i["reason"] or "construction" in i["reason"] or "一起" in i["reason"] for i in zh["items"])
    reorder = api_client.get("/api/v1/recommend/reorder", params={"account": "O02"}).json()
    assert len(reorder["items"]) == 4 and reorder["as_of"]
    similar = api_client.get("/api/v1/recommend/products/PAP-1/similar", params={"n": 2}).json()
    assert [i["sku"][:3] for i in similar["items"]] == ["PAP", "PAP"]
    missing = api_client.get("/api/v1/recommend/accounts/NOPE")
    assert missing.status_code == 404 and "not found" in missing.text


def test_retraining_needs_the_write_role(engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    seed_recommend_workspace(engine, train=False)
    assert api_client.post("/api/v1/recommend/train").status_code == 403
    resp = write_client.post("/api/v1/recommend/train")
    assert resp.status_code == 200, resp.text
    assert resp.json()["metrics"]["n_accounts"] == 20
