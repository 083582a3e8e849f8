"""The intelligence API on the demo workspace: profile with factors, forecasts with intervals, segments,
opportunities, at-risk accounts, and retraining (write role)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.ingest.demo import build_demo


def test_intelligence_routes(engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    build_demo(engine=engine)
    with Session(engine) as session:
        account_id = session.scalar(select(Opportunity.account_id).where(Opportunity.outcome == "open"))
    resp = api_client.get(f"/api/v1/intelligence/accounts/{account_id}/profile")
    assert resp.status_code == 200, resp.text[:500]
    profile = resp.json()
    assert profile["repurchase"]["method"] in ("lightgbm", "frequency-fallback")
    assert profile["open_opportunities"] and "positive" in profile["open_opportunities"][0]
    assert profile["narrative"]["text"]
    assert api_client.get("/api/v1/intelligence/accounts/999999/profile").status_code == 404

    fc = api_client.get("/api/v1/intelligence/forecasts", params={"top": 2})
    assert fc.status_code == 200 and len(fc.json()) == 2
    first = fc.json()[0]
    assert len(first["lower"]) == len(first["upper"]) == len(first["mean"]) and first["method"]

    segs = api_client.get("/api/v1/intelligence/segments").json()
    assert {"champions", "at_risk", "hibernating"} <= {s["key"] for s in segs} and all(s["definition"] for s in segs)
    opps = api_client.get("/api/v1/intelligence/opportunities", params={"account_id": account_id}).json()
    assert opps and all(0.01 <= o["probability"] <= 0.99 for o in opps)
    assert api_client.get("/api/v1/intelligence/at-risk", params={"limit": 3}).json()[0]["negative"]
    clusters = api_client.get("/api/v1/intelligence/clusters", params={"n": 3}).json()
    assert len(clusters) == 3 and sum(c["accounts"] for c in clusters) > 100 and "spend_365d" in clusters[0]["centre"]

    assert api_client.post("/api/v1/intelligence/train/segments").status_code == 403  # read key
    trained = write_client.post("/api/v1/intelligence/train/segments")
    assert trained.status_code == 200 and trained.json()["task"] == "segments"
    assert write_client.post("/api/v1/intelligence/train/nope").status_code == 404
    json.dumps(profile)  # plain JSON all the way down
