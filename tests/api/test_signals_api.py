"""POST /api/v1/signals/analyse, POST /signals/run and GET /signals/alerts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.services.signals.analysis import unanalysed_count
from tests.services import sample_data as sd


def test_analyse_run_and_alerts(engine: Engine, write_client: TestClient, api_client: TestClient) -> None:
    ids = sd.load_sample(engine)
    sd.add_complaint(engine, account_id=ids["BOREALIS"], external_id="ix-bad",
                     text="Terrible service, the pump leaks and nobody answers. I want a refund!")
    body = {"text": "你们的付款条件是什么"}
    assert api_client.post("/api/v1/signals/analyse", json=body).status_code == 403  # read key cannot POST
    resp = write_client.post("/api/v1/signals/analyse", json=body)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["intent"] == "invoice_payment" and data["language"] == "zh" and not data["out_of_scope"]
    assert len(data["top_intents"]) == 3 and data["sentiment"] in ("negative", "neutral", "positive")
    assert write_client.post("/api/v1/signals/analyse", json={"text": ""}).status_code == 422
    with Session(engine) as session:
        assert unanalysed_count(session=session) == 4  # analysing one text stores nothing

    assert api_client.get("/api/v1/signals/alerts").json() == []  # nothing analysed yet
    assert api_client.post("/api/v1/signals/run").status_code == 403
    run = write_client.post("/api/v1/signals/run")
    assert run.status_code == 200 and run.json()["analysed"] == 4
    with Session(engine) as session:
        assert unanalysed_count(session=session) == 0  # the request's transaction was committed
    alerts = api_client.get("/api/v1/signals/alerts", params={"days": 30})
    assert alerts.status_code == 200
    by_account = {a["account_id"]: a for a in alerts.json()}
    assert ids["BOREALIS"] in by_account and by_account[ids["BOREALIS"]]["negative"] >= 1
    assert api_client.get("/api/v1/signals/alerts", params={"days": 0}).status_code == 422
