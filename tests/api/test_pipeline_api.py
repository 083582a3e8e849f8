"""The pipeline over HTTP: the board, totals and forecast (read), moving deals with their owners' keys (403 not
yours, 409 stale, 422 unknown stage or no reason), and the stages (read by everyone, changed by admins)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Opportunity
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription
from bizpilot.services.auth import create_api_key
from bizpilot.services.pipeline_stages import DEFAULT_STAGES
from tests.api.conftest import auth_headers
from tests.services.pipeline_data import OPEN_AMOUNT, WEIGHTED, Seeded, pin_today, seed_pipeline

DEFAULTS = [s.model_dump() for s in DEFAULT_STAGES]


@pytest.fixture
def seeded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    pin_today(monkeypatch)
    return seed_pipeline(engine)


def user_client(engine: Engine, seeded: Seeded, name: str, level: str = "write") -> TestClient:
    """A client with a key of the user ``name`` (acting with that user's role, capped by ``level``)."""
    with session_scope(engine) as session:
        key, _ = create_api_key(session=session, name=f"{name}-{level}", role=level, user_id=seeded.users[name])
    return TestClient(create_app(), headers=auth_headers(key))


def stage_of(engine: Engine, deal_id: int) -> tuple[str, str, int]:
    with Session(engine) as session:
        o = session.get(Opportunity, deal_id)
        return o.stage, o.outcome, o.version


def test_board_totals_and_forecast(api_client: TestClient, seeded: Seeded) -> None:
    body = api_client.get("/api/v1/pipeline", params={"lang": "zh"}).json()
    assert [c["key"] for c in body["columns"]] == ["prospecting", "qualification", "proposal", "negotiation",
                                                   "discovery"]
    assert body["columns"][0]["name"] == "线索开发" and body["model"]["state"] == "missing"
    card = body["columns"][3]["cards"][0]
    assert (card["name"], card["owner_name"], card["account_name"], card["probability"], card["basis"]) == (
        "Cups", "bob", "Borealis Foods GmbH", 0.75, "stage")
    assert card["can_move"] is False  # a read key moves nothing
    totals = api_client.get("/api/v1/pipeline/totals").json()
    assert totals["open"] == {"count": 4, "amount": OPEN_AMOUNT, "weighted": WEIGHTED}
    assert {r["key"]: r["count"] for r in totals["stages"]}["won"] == 3
    month = api_client.get("/api/v1/pipeline/forecast").json()
    assert [(r["key"], r["weighted"], r["dates_estimated"]) for r in month["rows"]] == [("2024-04", 1100, 2),
                                                                                       ("2024-05", 3000, 0)]
    assert month["estimate"] == {"days": 40, "basis": "won_median", "won_deals": 3}
    owner = api_client.get("/api/v1/pipeline/forecast", params={"by": "owner"}).json()
    assert [(r["label"], r["weighted"]) for r in owner["rows"]] == [("bob", 3000), ("alice", 1100)]
    assert api_client.get("/api/v1/pipeline/forecast", params={"by": "week"}).status_code == 422
    assert api_client.get("/api/v1/pipeline", params={"limit": 0}).status_code == 422


def test_owner_me_is_the_callers_deals(engine: Engine, api_client: TestClient, seeded: Seeded) -> None:
    alice = user_client(engine, seeded, "alice", "read")
    body = alice.get("/api/v1/pipeline", params={"owner": "me"}).json()
    assert sorted(c["name"] for col in body["columns"] for c in col["cards"]) == ["Mugs", "Tea"]
    assert alice.get("/api/v1/pipeline/totals", params={"owner": "me"}).json()["open"]["weighted"] == 1100
    by_name = api_client.get("/api/v1/pipeline", params={"owner": "bob"}).json()
    assert sorted(c["name"] for col in by_name["columns"] for c in col["cards"]) == ["Cups", "Odd"]
    resp = api_client.get("/api/v1/pipeline", params={"owner": "me"})  # a key of nobody has no deals of its own
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["field"] == "owner"


def test_moving_a_deal(engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as session:
        session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["opportunity.stage_changed"],
                                        secret="s3cret"))
        session.commit()
    alice = user_client(engine, seeded, "alice")
    mugs, cups = seeded.deals["mugs"], seeded.deals["cups"]
    resp = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "qualification", "version": 1})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["stage"], resp.json()["outcome"], resp.json()["version"]) == ("qualification", "open", 2)
    stale = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "proposal", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    stale = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "proposal"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert stage_of(engine, mugs) == ("qualification", "open", 2)
    not_hers = alice.post(f"/api/v1/opportunities/{cups}/stage", json={"stage": "proposal"})
    assert not_hers.status_code == 403 and "you may change only what you own" in not_hers.json()["error"]["message"]
    unknown = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "closed"})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "stage"
    no_reason = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "won", "version": 2})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["details"][0]["field"] == "reason"
    won = alice.post(f"/api/v1/opportunities/{mugs}/stage", json={"stage": "won", "reason": "Price matched"},
                     headers={"If-Match": 'W/"2"'})
    assert won.status_code == 200 and won.json()["close_reason"] == "Price matched"
    assert won.json()["outcome"] == "won" and won.json()["closed_at"] is not None
    assert user_client(engine, seeded, "bob").post(f"/api/v1/opportunities/{cups}/stage",
                                                   json={"stage": "proposal"}).status_code == 200
    assert user_client(engine, seeded, "vera").post(f"/api/v1/opportunities/{cups}/stage",
                                                    json={"stage": "negotiation"}).status_code == 403
    assert alice.post("/api/v1/opportunities/999999/stage", json={"stage": "proposal"}).status_code == 404
    with Session(engine) as session:
        actions = session.execute(select(AuditEntry.record_id, AuditEntry.action, AuditEntry.channel)
                                  .where(AuditEntry.entity == "opportunities").order_by(AuditEntry.id)).all()
        events = [d.payload["data"]["to_stage"] for d in session.scalars(select(WebhookDelivery)
                                                                          .order_by(WebhookDelivery.id))]
    assert actions == [(mugs, "stage_change", "api"), (mugs, "stage_change", "api"), (cups, "stage_change", "api")]
    assert events == ["qualification", "won", "proposal"]


def test_patch_cannot_move_a_deal_the_stage_route_does(engine: Engine, seeded: Seeded) -> None:
    bob = user_client(engine, seeded, "bob")
    cups = seeded.deals["cups"]
    resp = bob.patch(f"/api/v1/opportunities/{cups}", json={"stage": "won", "outcome": "won", "version": 1})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert [d["field"] for d in error["details"]] == ["stage", "outcome"]
    assert f"POST /api/v1/opportunities/{cups}/stage" in error["message"] and "reason" in error["message"]
    assert stage_of(engine, cups) == ("negotiation", "open", 1)
    ok = bob.patch(f"/api/v1/opportunities/{cups}", json={"amount": 4500, "next_step": "Samples"},
                   headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200 and (ok.json()["amount"], ok.json()["stage"], ok.json()["version"]) == (
        4500, "negotiation", 2)
    schema = bob.get("/api/v1/openapi.json").json()["components"]["schemas"]["OpportunityPatchBody"]["properties"]
    assert {"amount", "name", "next_step", "version"} <= set(schema) and not {"stage", "outcome"} & set(schema)


def test_stages_are_read_by_all_and_changed_by_admins(api_client: TestClient, write_client: TestClient,
                                                       admin_client: TestClient, engine: Engine,
                                                       seeded: Seeded) -> None:
    body = api_client.get("/api/v1/pipeline/stages").json()
    assert [s["key"] for s in body["stages"]] == [s["key"] for s in DEFAULTS]
    assert body["open_deals"] == {"prospecting": 1, "proposal": 1, "negotiation": 1, "discovery": 1}
    without = [s for s in DEFAULTS if s["key"] != "negotiation"]
    assert write_client.put("/api/v1/pipeline/stages", json={"stages": without}).status_code == 403
    in_use = admin_client.put("/api/v1/pipeline/stages", json={"stages": without})
    assert in_use.status_code == 409
    assert in_use.json()["error"]["details"][0]["open_deals"] == 1
    two_won = admin_client.put("/api/v1/pipeline/stages", json={"stages": [*DEFAULTS, {**DEFAULTS[4], "key": "won2"}]})
    assert two_won.status_code == 422 and "exactly one won stage" in two_won.json()["error"]["message"]
    bad = admin_client.put("/api/v1/pipeline/stages", json={"stages": [{**DEFAULTS[0], "kind": "maybe"}]})
    assert bad.status_code == 422
    renamed = [{**s, "name_en": "Negotiating"} if s["key"] == "proposal" else s for s in without]
    done = admin_client.put("/api/v1/pipeline/stages", json={"stages": renamed, "move": {"negotiation": "proposal"}})
    assert done.status_code == 200, done.text
    assert done.json()["moved"] == {"negotiation": 1} and done.json()["open_deals"]["proposal"] == 2
    assert stage_of(engine, seeded.deals["cups"])[0] == "proposal"
    assert api_client.get("/api/v1/pipeline").json()["columns"][2]["name"] == "Negotiating"


def test_openapi_documents_the_pipeline_routes(api_client: TestClient) -> None:
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]
    move = paths["/api/v1/opportunities/{opportunity_id}/stage"]["post"]
    assert {"403", "404", "409", "422"} <= set(move["responses"])
    assert {"409", "422"} <= set(paths["/api/v1/pipeline/stages"]["put"]["responses"])
    params = {p["name"] for p in paths["/api/v1/pipeline/forecast"]["get"]["parameters"]}
    assert params == {"by", "owner"}
