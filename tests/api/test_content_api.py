"""POST /api/v1/content/generate and /content/{id}/feedback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain.ops import GeneratedContent
from tests.llm.scripted_env import scripted_llm
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


def test_generate_with_the_configured_scripted_model(engine: Engine, write_client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The LLM branch over HTTP: a kept draft, a repaired one and a rejected one, each committed by the request."""
    seed_small(engine)
    good = ("Thread Locker 400 mL grey belongs to our Adhesives & Sealants range. It is grey and holds 400 mL. "
            "The price is USD 30.45 each.")
    script = {"replies": [good, good.replace("USD 30.45", "USD 35.00"), "Now 50% off! Buy 3 and get 1 free."]}
    body = {"kind": "product_description", "product_id": "ADH-2001", "use_llm": True}
    with scripted_llm(monkeypatch, tmp_path / "content.json", script):
        kept, repaired, rejected = (write_client.post("/api/v1/content/generate", json=body).json()
                                    for _ in range(3))
    assert (kept["fallback"], kept["output"], kept["model"]) == (False, good, "content")
    assert (repaired["fallback"], repaired["output"]) == (False, good)
    assert repaired["repaired"][0]["changes"][0]["to"] == "30.45"
    assert rejected["fallback"] and rejected["fallback_reason"] == "the model's draft was empty after checking"
    assert rejected["model"] == "deterministic (after content)"
    with Session(engine) as s:
        rows = s.scalars(select(GeneratedContent).order_by(GeneratedContent.id)).all()
        assert [(r.id, r.model) for r in rows] == [(kept["id"], "content"), (repaired["id"], "content"),
                                                   (rejected["id"], "deterministic (after content)")]
