"""The industry routes: taxonomy (read; replace and reset need admin), an account's industry with its source,
confidence and alternatives, accept/correct (role write, audited, version-checked) and the review queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.db.engine import session_scope
from bizpilot.domain import Account
from bizpilot.domain.audit import AuditEntry
from bizpilot.services.industry.specs import INDUSTRY
from bizpilot.services.models.jobs import run_training
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: one embedding cache per test session)

SEGMENTS = {"name": "our segments", "sectors": [
    {"en": "Banks", "zh": "银行", "description_en": "Takes deposits and makes loans", "aliases": ["banking"]},
    {"en": "Restaurants", "zh": "餐饮", "description_en": "Operates restaurants, cafes and catering kitchens"},
    {"en": "Software", "zh": "软件", "description_en": "Develops application software and cloud services"}]}


def test_taxonomy_routes(api_client: TestClient, write_client: TestClient, admin_client: TestClient) -> None:
    default = api_client.get("/api/v1/industry/taxonomy")
    assert default.status_code == 200
    body = default.json()
    assert (body["source"], body["n_sectors"], body["n_industries"]) == ("default", 11, 145)
    assert body["sectors"][0]["industries"][0]["description_zh"]
    assert write_client.put("/api/v1/industry/taxonomy", json=SEGMENTS).status_code == 403
    replaced = admin_client.put("/api/v1/industry/taxonomy", json=SEGMENTS)
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["source"], replaced.json()["n_sectors"]) == ("workspace", 3)
    assert api_client.get("/api/v1/industry/taxonomy").json()["sectors"][2]["key"] == "software"
    clash = {"sectors": [{"en": "Banks", "aliases": ["x"]}, {"en": "Loans", "aliases": ["X"]}]}
    bad = admin_client.put("/api/v1/industry/taxonomy", json=clash)
    assert bad.status_code == 422 and "names both" in bad.text
    assert admin_client.delete("/api/v1/industry/taxonomy").json()["source"] == "default"


@pytest.mark.slow
def test_account_industry_accept_correct_and_queue(engine: Engine, embed_cache: Path,  # noqa: F811
                                                   api_client: TestClient, write_client: TestClient,
                                                   admin_client: TestClient) -> None:
    assert admin_client.put("/api/v1/industry/taxonomy", json=SEGMENTS).status_code == 200
    with session_scope(engine) as session:
        rows = [Account(external_id="B", name="Valley Bank", description="Deposits, farm loans and mortgages."),
                Account(external_id="R", name="Noodle House", description="经营面馆和外卖。"),
                Account(external_id="S", name="Ledgerly", description="Cloud accounting software."),
                Account(external_id="M", name="Pizza Lane", industry="Restaurants", description="Pizza")]
        session.add_all(rows)
        session.flush()
        ids = {r.external_id: r.id for r in rows}
    assert run_training(INDUSTRY, engine=engine, trigger="test").status == "finished"

    view = api_client.get(f"/api/v1/accounts/{ids['R']}/industry").json()
    assert (view["label"], view["source"], view["industry"], view["reviewed"]) == (
        "Restaurants", "zero-shot", None, False)
    assert 0 < view["confidence"] <= 1 and [a["label"] for a in view["alternatives"]] != []
    assert view["prediction"]["confidence"] == view["confidence"] and view["version"] == 1
    manual = api_client.get(f"/api/v1/accounts/{ids['M']}/industry").json()
    assert (manual["source"], manual["prediction"], manual["label"]) == ("manual", None, "Restaurants")
    assert api_client.get("/api/v1/accounts/9999/industry").status_code == 404

    assert api_client.post(f"/api/v1/accounts/{ids['R']}/industry", json={}).status_code in (401, 403)
    accepted = write_client.post(f"/api/v1/accounts/{ids['R']}/industry", json={"version": 1})
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["industry"], accepted.json()["source"], accepted.json()["reviewed"]) == (
        "Restaurants", "zero-shot", True)
    stale = write_client.post(f"/api/v1/accounts/{ids['S']}/industry", json={"label": "Banks", "version": 7})
    assert stale.status_code == 409
    corrected = write_client.post(f"/api/v1/accounts/{ids['S']}/industry", json={"label": "banking"})
    assert (corrected.json()["industry"], corrected.json()["source"]) == ("Banks", "manual")
    too_long = write_client.post(f"/api/v1/accounts/{ids['S']}/industry", json={"label": "x" * 101})
    assert too_long.status_code == 422
    with session_scope(engine) as session:
        trail = session.execute(select(AuditEntry.record_id, AuditEntry.changes, AuditEntry.channel)
                                .where(AuditEntry.action == "classify").order_by(AuditEntry.id)).all()
    assert [tuple(t) for t in trail] == [(ids["R"], {"industry": [None, "Restaurants"]}, "api"),
                                         (ids["S"], {"industry": [None, "Banks"]}, "api")]

    queue = api_client.get("/api/v1/industry/review-queue", params={"limit": 5})
    assert queue.status_code == 200
    items = queue.json()["items"]
    assert all(i["account_id"] == ids["B"] for i in items) and queue.json()["mode"] == "zero-shot"
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items), reverse=True)
