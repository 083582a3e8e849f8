"""/api/v1/models: every model with its state and runs (read role), training in the background (write role: 202,
then the state says queued, training, ready); routes that need a model that is not trained answer 503 with its
state instead of training on the request."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.config import reset_settings
from bizpilot.services.models import jobs
from bizpilot.services.models.registry import MODELS
from tests.services import sample_data as sd

WORKSPACE_MODELS = ["segments", "churn", "winprob", "forecast", "recommend", "reorder", "signals", "knowledge",
                    "industry", "topics"]


def test_list_and_describe_models(engine: Engine, api_client: TestClient) -> None:
    sd.load_sample(engine)
    resp = api_client.get("/api/v1/models")
    assert resp.status_code == 200, resp.text[:300]
    models = {m["name"]: m for m in resp.json()}
    assert list(models) == list(MODELS)
    assert {n: m["state"] for n, m in models.items()} == {**dict.fromkeys(WORKSPACE_MODELS, "missing"),
                                                          "intent": "default", "sentiment": "default",
                                                          "embedder": "default"}
    assert models["intent"]["in_train_all"] is False and models["intent"]["default_note"]
    assert models["churn"]["key_metrics"] == {"auc": "higher", "brier": "lower"}
    assert all(m["current"] is None and m["runs"] == [] and m["flags"] == [] for m in models.values())
    one = api_client.get("/api/v1/models/forecast")
    assert one.status_code == 200 and one.json()["title"] == "Demand forecast" and one.json()["summary"]
    missing = api_client.get("/api/v1/models/nope")
    assert missing.status_code == 404 and "no model 'nope'" in missing.json()["error"]["message"]


def test_train_a_model_in_the_background(engine: Engine, api_client: TestClient, write_client: TestClient) -> None:
    sd.load_sample(engine)
    assert api_client.post("/api/v1/models/segments/train").status_code == 403  # read key cannot POST
    assert api_client.post("/api/v1/models/train").status_code == 403
    resp = write_client.post("/api/v1/models/segments/train")
    assert resp.status_code == 202 and resp.json() == {"queued": ["segments"], "already_queued": []}
    jobs.wait(timeout=300)
    model = api_client.get("/api/v1/models/segments").json()
    assert model["state"] == "ready" and model["last_error"] is None
    current = model["current"]
    assert current["status"] == "finished" and current["trigger"] == "api" and current["n_rows"] == 2
    assert current["metrics"]["n_accounts"] == 2 and current["data_fingerprint"]
    assert [r["id"] for r in model["runs"]] == [current["id"]]
    assert write_client.post("/api/v1/models/nope/train").status_code == 404
    from_file = write_client.post("/api/v1/models/intent/train")
    assert from_file.status_code == 422 and "bizpilot train intent FILE" in from_file.json()["error"]["message"]

    # a model without the data it needs is "skipped" with the reason, visible to every client
    assert write_client.post("/api/v1/models/forecast/train").status_code == 202
    jobs.wait(timeout=300)
    forecast = api_client.get("/api/v1/models/forecast").json()
    assert forecast["state"] == "skipped" and "12 complete weeks" in forecast["message"]
    waiting = api_client.get("/api/v1/intelligence/forecasts")
    assert waiting.status_code == 503
    assert waiting.json()["error"]["state"] == "skipped" and "12 complete weeks" in waiting.json()["error"]["message"]


def test_train_all_queues_every_workspace_model(engine: Engine, write_client: TestClient,
                                                api_client: TestClient) -> None:
    sd.load_sample(engine)
    resp = write_client.post("/api/v1/models/train")
    assert resp.status_code == 202
    assert resp.json() == {"queued": WORKSPACE_MODELS, "already_queued": []}  # in training order
    outcomes = {o.name: o.status for o in jobs.wait(timeout=600)}
    # the sample has too little history to forecast and fewer than 20 messages to find topics in
    assert outcomes == {**dict.fromkeys(WORKSPACE_MODELS, "finished"), "forecast": "skipped", "topics": "skipped"}
    states = {m["name"]: m["state"] for m in api_client.get("/api/v1/models").json()}
    assert states == {**dict.fromkeys(WORKSPACE_MODELS, "ready"), "forecast": "skipped", "topics": "skipped",
                      "intent": "default", "sentiment": "default", "embedder": "default"}


def test_routes_answer_503_with_the_state_before_training(engine: Engine, api_client: TestClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ids = sd.load_sample(engine)
    # First without training on demand, so what is pending does not depend on how fast the worker is.
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    segments = api_client.get("/api/v1/intelligence/segments")
    assert segments.status_code == 503 and segments.headers["retry-after"] == "10"
    error = segments.json()["error"]
    assert error["code"] == "model_not_ready" and error["model"] == "segments" and error["state"] == "missing"
    assert error["details"] == [{"field": "model", "reason": "missing", "value": "segments"}]
    profile = api_client.get(f"/api/v1/intelligence/accounts/{ids['ACME']}/profile")
    assert profile.status_code == 200  # the profile answers with what needs no model, the rest pending
    assert [(p["model"], p["state"]) for p in profile.json()["pending"]] == [
        ("segments", "missing"), ("churn", "missing"), ("winprob", "missing"), ("reorder", "missing")]
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "1")
    reset_settings()
    recs = api_client.get("/api/v1/recommend/accounts/ACME")
    assert recs.status_code == 503 and recs.json()["error"]["model"] == "recommend"
    assert api_client.get("/api/v1/intelligence/segments").json()["error"]["model"] == "segments"
    profile = api_client.get(f"/api/v1/intelligence/accounts/{ids['ACME']}/profile")  # queues what it needs
    assert profile.status_code == 200
    jobs.wait(timeout=600)
    assert api_client.get("/api/v1/intelligence/segments").status_code == 200
    profile = api_client.get(f"/api/v1/intelligence/accounts/{ids['ACME']}/profile").json()
    assert profile["pending"] == [] and profile["rfm"]["monetary"] == sd.ACCOUNT_REVENUE["ACME"][0]
    assert api_client.get("/api/v1/recommend/accounts/ACME").status_code == 200


def test_the_listing_says_which_models_are_stale(engine: Engine, api_client: TestClient) -> None:
    """A model whose current run was fitted through a workspace embedding model that is gone is listed as stale,
    with why (what the Models page flags); one fitted without a workspace embedding model is not."""
    from sqlalchemy.orm import Session

    from bizpilot.db.base import utcnow
    from bizpilot.domain.model_run import ModelRun

    with Session(engine) as session:
        for task, metrics in (("reorder", {"embedding": "minilm+ws-0123abcd"}), ("signals", {"outputs": 0})):
            session.add(ModelRun(task=task, model_name=task, status="finished", started_at=utcnow(),
                                 finished_at=utcnow(), params={}, metrics=metrics, health={}))
        session.commit()
    models = {m["name"]: m for m in api_client.get("/api/v1/models").json()}
    assert models["reorder"]["state"] == "ready" and models["reorder"]["stale"] is True
    assert "ws-0123abcd" in models["reorder"]["embedding_problem"] and "stale" in models["reorder"]["embedding_problem"]
    assert (models["signals"]["state"], models["signals"]["stale"], models["signals"]["embedding_problem"]) == (
        "ready", False, None)
    assert api_client.get("/api/v1/models/reorder").json()["stale"] is True
    schema = api_client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ModelOverview"]["properties"]
    assert schema["stale"]["type"] == "boolean" and "embedding model" in schema["stale"]["description"]
