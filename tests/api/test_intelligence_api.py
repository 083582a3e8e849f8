"""The intelligence API on the demo workspace: nothing is trained on a request (a profile lists the sections
still training, a forecast answers 503 with the model's state) and, once the background training is done, the
profile with factors, forecasts with intervals, segments, opportunities and at-risk accounts; training itself is
under /models."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.ingest.demo import build_demo
from bizpilot.services.models import jobs


def test_intelligence_routes(engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    build_demo(engine=engine)
    with Session(engine) as session:
        account_id = session.scalar(select(Opportunity.account_id).where(Opportunity.outcome == "open"))
    url = f"/api/v1/intelligence/accounts/{account_id}/profile"
    first = api_client.get(url)
    assert first.status_code == 200, first.text[:500]  # answered at once, the sections that need models pending
    pending = first.json()["pending"]
    assert {p["model"] for p in pending} == {"segments", "churn", "winprob", "reorder"}
    assert first.json()["rfm"] is None and first.json()["narrative"]["text"]
    waiting = api_client.get("/api/v1/intelligence/forecasts", params={"top": 2})
    assert waiting.status_code == 503 and waiting.headers["retry-after"] == "10"
    error = waiting.json()["error"]
    assert error["code"] == "model_not_ready" and error["model"] == "forecast"
    assert error["state"] == "queued"  # behind the profile's models on the one background worker
    jobs.wait(timeout=900)

    resp = api_client.get(url)
    assert resp.status_code == 200, resp.text[:500]
    profile = resp.json()
    assert profile["pending"] == []
    assert profile["repurchase"]["method"] in ("lightgbm", "frequency-fallback")
    assert profile["open_opportunities"] and "positive" in profile["open_opportunities"][0]
    assert profile["narrative"]["text"] and profile["rfm"]["segment_name"] in profile["narrative"]["text"]
    assert api_client.get("/api/v1/intelligence/accounts/999999/profile").status_code == 404

    fc = api_client.get("/api/v1/intelligence/forecasts", params={"top": 2})
    assert fc.status_code == 200 and len(fc.json()) == 2
    first_fc = fc.json()[0]
    assert len(first_fc["lower"]) == len(first_fc["upper"]) == len(first_fc["mean"]) == 8 and first_fc["method"]
    one = api_client.get("/api/v1/intelligence/forecasts", params={"product_id": first_fc["product_id"]}).json()
    assert [f["product_id"] for f in one] == [first_fc["product_id"]]

    segs = api_client.get("/api/v1/intelligence/segments").json()
    assert {"champions", "at_risk", "hibernating"} <= {s["key"] for s in segs} and all(s["definition"] for s in segs)
    opps = api_client.get("/api/v1/intelligence/opportunities", params={"account_id": account_id}).json()
    assert opps and all(0.01 <= o["probability"] <= 0.99 for o in opps)
    assert api_client.get("/api/v1/intelligence/at-risk", params={"limit": 3}).json()[0]["negative"]
    clusters = api_client.get("/api/v1/intelligence/clusters", params={"n": 3}).json()
    assert len(clusters) == 3 and sum(c["accounts"] for c in clusters) > 100 and "spend_365d" in clusters[0]["centre"]

    # retraining moved to /models: the old route is gone; a read key cannot train
    assert write_client.post("/api/v1/intelligence/train/segments").status_code in (404, 405)
    assert api_client.post("/api/v1/models/segments/train").status_code == 403
    json.dumps(profile)  # plain JSON all the way down
