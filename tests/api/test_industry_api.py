"""The industry routes: taxonomy (read, export and import as JSON; replace and reset need admin), an account's
industry with its source, confidence and alternatives, accept/correct (role write; a sales rep only on their own
accounts; audited, version-checked) and the review queue; 503 with the model's state while it is not trained, 422
for out-of-range input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account
from bizpilot.domain.audit import AuditEntry
from bizpilot.services.auth import create_api_key
from bizpilot.services.industry.specs import INDUSTRY
from bizpilot.services.models.jobs import run_training
from bizpilot.services.users import create_user
from tests.api.conftest import auth_headers
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


@dataclass
class Team:
    ids: dict[str, int]
    clients: dict[str, TestClient]


@pytest.fixture
def team(engine: Engine) -> Team:
    """Two accounts without an industry (sam owns Valley Bank, rita Noodle House) and one with; a manager, two
    sales reps and a viewer, each with a write key (which acts with its user's role)."""
    app = create_app()
    clients: dict[str, TestClient] = {}
    with session_scope(engine) as session:
        users = {}
        for name, role in (("max", "manager"), ("sam", "sales"), ("rita", "sales"), ("vic", "viewer")):
            users[name] = create_user(session=session, name=name, email=f"{name}@example.com", role=role).id
            key, _ = create_api_key(session=session, name=f"{name}-key", role="write", user_id=users[name])
            clients[name] = TestClient(app, headers=auth_headers(key))
        rows = [Account(external_id="B", name="Valley Bank", description="Deposits and farm loans.",
                        owner_id=users["sam"]),
                Account(external_id="R", name="Noodle House", description="经营面馆和外卖。", owner_id=users["rita"]),
                Account(external_id="M", name="Pizza Lane", industry="Restaurants", description="Pizza")]
        session.add_all(rows)
        session.flush()
        ids = {r.external_id: r.id for r in rows}
    return Team(ids, clients)


def _error(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] == code
    return body


def test_untrained_model_is_503_with_its_state(team: Team, api_client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")  # stays "missing" instead of training in the background
    reset_settings()
    body = _error(api_client.get(f"/api/v1/accounts/{team.ids['B']}/industry"), 503, "model_not_ready")
    assert (body["model"], body["state"]) == ("industry", "missing")
    assert body["details"] == [{"field": "model", "reason": "missing", "value": "industry"}]
    queue = api_client.get("/api/v1/industry/review-queue")
    assert (queue.status_code, queue.json()["error"]["state"], queue.headers["Retry-After"]) == (503, "missing", "10")
    # an account whose industry people set needs no model
    manual = api_client.get(f"/api/v1/accounts/{team.ids['M']}/industry")
    assert manual.status_code == 200, manual.text
    assert (manual.json()["label"], manual.json()["source"], manual.json()["prediction"]) == (
        "Restaurants", "manual", None)
    # nothing to accept without a prediction: the label is required
    err = _error(team.clients["sam"].post(f"/api/v1/accounts/{team.ids['B']}/industry", json={}), 422,
                 "validation_error")
    assert err["details"][0]["field"] == "label"


def test_roles_viewer_and_sales_on_own_accounts_only(engine: Engine, team: Team, api_client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    bank, noodles = team.ids["B"], team.ids["R"]
    _error(team.clients["vic"].post(f"/api/v1/accounts/{bank}/industry", json={"label": "Banks"}), 403, "forbidden")
    _error(api_client.post(f"/api/v1/accounts/{bank}/industry", json={"label": "Banks"}), 403, "forbidden")
    _error(team.clients["sam"].post(f"/api/v1/accounts/{noodles}/industry", json={"label": "Restaurants"}), 403,
           "forbidden")
    own = team.clients["sam"].post(f"/api/v1/accounts/{bank}/industry", json={"label": "banks - regional",
                                                                              "version": 1})
    assert own.status_code == 200, own.text
    assert (own.json()["industry"], own.json()["source"], own.json()["reviewed"], own.json()["version"]) == (
        "Banks—Regional", "manual", True, 2)
    assert own.json()["sector"] == {"key": "financial-services", "en": "Financial Services", "zh": "金融服务"}
    managed = team.clients["max"].post(f"/api/v1/accounts/{noodles}/industry", json={"label": "Restaurants"})
    assert managed.status_code == 200, managed.text
    assert managed.json()["industry"] == "Restaurants"  # the spelling the workspace already uses
    stale = team.clients["sam"].post(f"/api/v1/accounts/{bank}/industry", json={"label": "Banks", "version": 1})
    _error(stale, 409, "conflict")
    for path in ("/api/v1/industry/taxonomy",):
        _error(team.clients["max"].put(path, json=SEGMENTS), 403, "forbidden")
        _error(team.clients["max"].delete(path), 403, "forbidden")
    with session_scope(engine) as session:
        trail = session.execute(select(AuditEntry.record_id, AuditEntry.changes, AuditEntry.actor)
                                .where(AuditEntry.action == "classify").order_by(AuditEntry.id)).all()
    assert [tuple(t) for t in trail] == [(bank, {"industry": [None, "Banks—Regional"]}, "sam (API key sam-key)"),
                                         (noodles, {"industry": [None, "Restaurants"]}, "max (API key max-key)")]


def test_inputs_are_bounded(team: Team, api_client: TestClient, write_client: TestClient) -> None:
    for bad in (0, 2**63):
        _error(api_client.get(f"/api/v1/accounts/{bad}/industry"), 422, "validation_error")
        _error(write_client.post(f"/api/v1/accounts/{bad}/industry", json={"label": "Banks"}), 422,
               "validation_error")
    _error(api_client.get("/api/v1/accounts/999999/industry"), 404, "not_found")
    bank = team.ids["B"]
    for body, field in (({"label": ""}, "label"), ({"label": "x" * 101}, "label"),
                        ({"label": "Banks", "version": 0}, "version"),
                        ({"label": "Banks", "version": 2**40}, "version")):
        err = _error(write_client.post(f"/api/v1/accounts/{bank}/industry", json=body), 422, "validation_error")
        assert err["details"][0]["field"] == field
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 10**7}):
        _error(api_client.get("/api/v1/industry/review-queue", params=params), 422, "validation_error")


def test_taxonomy_export_then_import_round_trip(api_client: TestClient, admin_client: TestClient) -> None:
    exported = api_client.get("/api/v1/industry/taxonomy").json()
    custom = {**exported, "sectors": exported["sectors"][:2]}  # the team keeps two sectors
    custom["sectors"][0]["industries"] = custom["sectors"][0]["industries"][:3]
    imported = admin_client.put("/api/v1/industry/taxonomy", json=custom)
    assert imported.status_code == 200, imported.text
    again = api_client.get("/api/v1/industry/taxonomy").json()
    assert (again["source"], again["n_sectors"], again["n_industries"]) == (
        "workspace", 2, 3 + len(exported["sectors"][1]["industries"]))
    assert again["sectors"] == custom["sectors"]
    too_many = {"sectors": [{"en": f"S{i}"} for i in range(1001)]}
    _error(admin_client.put("/api/v1/industry/taxonomy", json=too_many), 422, "validation_error")
    _error(admin_client.put("/api/v1/industry/taxonomy", json={"sectors": []}), 422, "validation_error")
