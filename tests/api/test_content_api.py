"""POST /api/v1/content/generate and /content/{id}/feedback."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.services.content.data import seed_small


def test_generate_feedback_and_list(engine: Engine, write_client: TestClient, api_client: TestClient) -> None:
    seed_small(engine)
    body = {"kind": "ad", "product_id": "ADH-2001", "language": "zh", "use_llm": False}
    assert api_client.post("/api/v1/content/generate", json=body).status_code == 403  # read key cannot write
    resp = write_client.post("/api/v1/content/generate", json=body)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert "30.45" in data["output"] and data["fallback"] and data["check"]["clean"]
    assert all(s["backed_by"] for s in data["sentences"])
    fb = write_client.post(f"/api/v1/content/{data['id']}/feedback", json={"rating": 5, "approve": True})
    assert fb.status_code == 200 and fb.json()["status"] == "approved"
    assert write_client.post(f"/api/v1/content/{data['id']}/feedback", json={"rating": 7}).status_code == 422
    assert write_client.post("/api/v1/content/99999/feedback", json={"rating": 3}).status_code == 404
    missing = write_client.post("/api/v1/content/generate", json={**body, "product_id": "NOPE"})
    assert missing.status_code == 404
    listed = api_client.get("/api/v1/generated_content")
    assert listed.status_code == 200 and str(data["id"]) in listed.text
