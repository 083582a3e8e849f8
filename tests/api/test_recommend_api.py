"""Recommendation routes: read role for GETs, 503 with the model's state while it trains in the background,
retraining under /models with the write role; errors through the central error model."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.services.models import jobs
from tests.services.recommend_data import FEE, seed_recommend_workspace


def test_account_recommendations_reorder_and_similar(engine: Engine, api_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    resp = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert len(body["items"]) == 3 and all(i["reason"] for i in body["items"]) and body["fallback"] is False
    assert body["reorder"] and body["reorder"][0]["status"] == "upcoming"
    assert FEE not in [i["sku"] for i in body["items"]] + [r["sku"] for r in body["reorder"]]
    zh = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3, "lang": "zh"}).json()
    assert all(i["reason"] != e["reason"] for i, e in zip(zh["items"], body["items"], strict=True))
    reorder = api_client.get("/api/v1/recommend/reorder", params={"account": "O02"}).json()
    assert len(reorder["items"]) == 4 and reorder["as_of"]
    assert [r["product_id"] for r in reorder["items"]] == [r["product_id"] for r in api_client.get(
        "/api/v1/recommend/accounts/O02").json()["reorder"]]  # one replenishment view
    similar = api_client.get("/api/v1/recommend/products/PAP-1/similar", params={"n": 2}).json()
    assert [i["sku"][:3] for i in similar["items"]] == ["PAP", "PAP"]
    missing = api_client.get("/api/v1/recommend/accounts/NOPE")
    assert missing.status_code == 404 and "not found" in missing.text
    assert api_client.get("/api/v1/recommend/products/NOPE/similar").status_code == 404


def test_untrained_models_answer_503_and_retraining_needs_the_write_role(
        engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    seed_recommend_workspace(engine, train=False)
    waiting = api_client.get("/api/v1/recommend/accounts/B03")
    assert waiting.status_code == 503
    assert waiting.json()["error"]["model"] == "recommend" and waiting.headers["retry-after"] == "10"
    assert api_client.post("/api/v1/models/recommend/train").status_code == 403
    jobs.wait(timeout=600)  # the 503 queued both models the route needs, so one wait is enough
    assert api_client.get("/api/v1/recommend/accounts/B03").status_code == 200
    assert len(api_client.get("/api/v1/recommend/reorder", params={"limit": 500}).json()["items"]) == 80
    model = api_client.get("/api/v1/models/recommend").json()
    assert model["state"] == "ready" and model["current"]["metrics"]["n_accounts"] == 20
    assert model["current"]["trigger"] == "on demand"
    resp = write_client.post("/api/v1/models/recommend/train")
    assert resp.status_code == 202 and resp.json() == {"queued": ["recommend"], "already_queued": []}
    jobs.wait(timeout=600)
    model = api_client.get("/api/v1/models/recommend").json()
    assert model["current"]["trigger"] == "api" and [r["trigger"] for r in model["runs"]] == ["api", "on demand"]
    assert api_client.get("/api/v1/models/reorder").json()["current"]["trigger"] == "on demand"
