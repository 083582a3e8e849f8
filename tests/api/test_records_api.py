"""Records over the API: create, change, archive, restore and sync by external id, as each role may (keys of users:
a sales rep changes what they own, a manager everything, a viewer nothing), with optimistic concurrency (ETag /
If-Match / version: two clients with the same version, one wins and one gets 409) and the audit trail."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Product
from bizpilot.services.auth import create_api_key
from bizpilot.services.users import create_user
from tests.api.conftest import auth_headers
from tests.services.sample_data import load_sample

pytestmark = pytest.mark.storage


@dataclass
class Team:
    ids: dict[str, int]
    users: dict[str, int]
    clients: dict[str, TestClient]


@pytest.fixture
def team(engine: Engine) -> Team:
    """The sample data; a manager, two sales reps (sam owns ACME, rita BOREALIS) and a viewer, each with a write
    key (which acts with the user's role)."""
    ids = load_sample(engine)
    users: dict[str, int] = {}
    clients: dict[str, TestClient] = {}
    app = create_app()  # one app, a client per key
    with session_scope(engine) as session:
        for name, role in (("max", "manager"), ("sam", "sales"), ("rita", "sales"), ("vic", "viewer")):
            users[name] = create_user(session=session, name=name, email=f"{name}@example.com", role=role).id
            key, _ = create_api_key(session=session, name=f"{name}-key", role="write", user_id=users[name])
            clients[name] = TestClient(app, headers=auth_headers(key))
        for account, owner in (("ACME", "sam"), ("BOREALIS", "rita")):
            session.execute(update(Account).where(Account.id == ids[account]).values(owner_id=users[owner]))
    return Team(ids, users, clients)


def error(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] == code
    return body


def test_create_read_and_list_an_account(team: Team) -> None:
    sam = team.clients["sam"]
    resp = sam.post("/api/v1/accounts", json={"name": "Zeta Traders", "country": "Spain"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert resp.headers["ETag"] == 'W/"1"'
    assert (body["name"], body["owner_id"], body["version"], body["archived_at"]) == ("Zeta Traders",
                                                                                      team.users["sam"], 1, None)
    assert body["external_id"].startswith("acct-") and body["updated_at"]
    got = sam.get(f"/api/v1/accounts/{body['id']}")
    assert got.json() == body and got.headers["ETag"] == 'W/"1"'
    mine = sam.get("/api/v1/accounts", params={"owner": "me"}).json()
    assert sorted(a["name"] for a in mine["items"]) == ["Acme Trading Co", "Zeta Traders"]
    theirs = sam.get("/api/v1/accounts", params={"owner": str(team.users["rita"])}).json()
    assert [a["name"] for a in theirs["items"]] == ["Borealis Foods GmbH"]


def test_create_errors_use_the_error_model(team: Team) -> None:
    max_ = team.clients["max"]
    err = error(max_.post("/api/v1/accounts", json={"name": "X", "mood": "happy"}), 422, "validation_error")
    assert err["details"][0]["field"] == "mood"
    err = error(max_.post("/api/v1/contacts", json={"name": "Ann", "account_external_id": "NOPE"}), 422,
                "validation_error")
    assert err["details"] == [{"field": "account_external_id", "reason": "unknown account", "value": "NOPE"}]
    err = error(max_.post("/api/v1/products", json={"sku": "MUG-01", "name": "Dup"}), 409, "conflict")
    assert "PUT /api/v1/products/by-external-id/MUG-01" in err["message"]
    error(max_.post("/api/v1/products", json={"name": "No SKU"}), 422, "validation_error")
    error(max_.patch("/api/v1/accounts/0", json={"tier": "key"}), 422, "validation_error")
    error(max_.patch(f"/api/v1/accounts/{2**63}", json={"tier": "key"}), 422, "validation_error")
    error(max_.patch("/api/v1/accounts/999999", json={"tier": "key"}), 404, "not_found")


def test_roles_and_ownership_on_every_write_route(team: Team) -> None:
    sam, vic, max_ = team.clients["sam"], team.clients["vic"], team.clients["max"]
    acme, borealis = team.ids["ACME"], team.ids["BOREALIS"]
    mug = max_.get("/api/v1/products", params={"q": "MUG-01"}).json()["items"][0]["id"]
    # sales: own account yes, another's 403, products 403
    assert sam.patch(f"/api/v1/accounts/{acme}", json={"tier": "strategic"}).status_code == 200
    for resp in (sam.patch(f"/api/v1/accounts/{borealis}", json={"tier": "key"}),
                 sam.delete(f"/api/v1/accounts/{borealis}"),
                 sam.post(f"/api/v1/accounts/{borealis}/restore"),
                 sam.put("/api/v1/accounts/by-external-id/BOREALIS", json={"tier": "key"}),
                 sam.post("/api/v1/contacts", json={"name": "X", "account_id": borealis}),
                 sam.post("/api/v1/products", json={"sku": "S-1", "name": "S"}),
                 sam.patch(f"/api/v1/products/{mug}", json={"price": 1}),
                 sam.put("/api/v1/products/by-external-id/MUG-01", json={"price": 1}),
                 sam.post("/api/v1/accounts", json={"name": "Gift", "owner_id": team.users["rita"]})):
        error(resp, 403, "forbidden")
    # viewer: 403 on every write
    for resp in (vic.post("/api/v1/accounts", json={"name": "V"}),
                 vic.patch(f"/api/v1/accounts/{acme}", json={"tier": "key"}),
                 vic.delete(f"/api/v1/accounts/{acme}"),
                 vic.post(f"/api/v1/accounts/{acme}/restore"),
                 vic.put("/api/v1/accounts/by-external-id/ACME", json={"tier": "key"}),
                 vic.put("/api/v1/orders/by-external-id/X-1", json={"ordered_at": "2024-05-01", "lines": []}),
                 vic.post("/api/v1/interactions", json={"channel": "note", "text": "hi"})):
        error(resp, 403, "forbidden")
    assert vic.get(f"/api/v1/accounts/{acme}/audit").status_code == 200  # reading is fine
    # manager: everything
    assert max_.patch(f"/api/v1/accounts/{borealis}", json={"owner_id": team.users["sam"]}).status_code == 200
    assert max_.patch(f"/api/v1/products/{mug}", json={"price": 4.2}).json()["price"] == 4.2
    assert max_.post("/api/v1/products", json={"sku": "S-1", "name": "S"}).status_code == 201
    assert max_.delete(f"/api/v1/accounts/{acme}").status_code == 204


def test_patch_with_versions_and_the_audit_trail(team: Team) -> None:
    sam = team.clients["sam"]
    acme = team.ids["ACME"]
    resp = sam.patch(f"/api/v1/accounts/{acme}", json={"industry": "Wholesale"}, headers={"If-Match": 'W/"1"'})
    assert resp.status_code == 200 and resp.headers["ETag"] == 'W/"2"' and resp.json()["version"] == 2
    stale = error(sam.patch(f"/api/v1/accounts/{acme}", json={"industry": "Food", "version": 1}), 409, "conflict")
    assert "changed by someone else meanwhile" in stale["message"]
    error(sam.patch(f"/api/v1/accounts/{acme}", json={"industry": "Food"}, headers={"If-Match": '"1"'}), 409,
          "conflict")
    error(sam.patch(f"/api/v1/accounts/{acme}", json={"industry": "Food"}, headers={"If-Match": "yesterday"}), 422,
          "validation_error")
    assert sam.get(f"/api/v1/accounts/{acme}").json()["industry"] == "Wholesale"
    ok = sam.patch(f"/api/v1/accounts/{acme}", json={"industry": "Food", "version": 2})
    assert ok.status_code == 200 and ok.json()["version"] == 3
    trail = sam.get(f"/api/v1/accounts/{acme}/audit").json()["items"]
    assert [(e["action"], e["changes"], e["channel"], e["user_id"]) for e in trail] == [
        ("update", {"industry": ["Wholesale", "Food"]}, "api", team.users["sam"]),
        ("update", {"industry": ["Retail", "Wholesale"]}, "api", team.users["sam"])]
    assert trail[0]["actor"] == "sam (API key sam-key)" and trail[0]["at"]
    error(sam.get("/api/v1/accounts/999999/audit"), 404, "not_found")


def test_two_clients_with_the_same_version_one_wins_nothing_is_lost(team: Team, engine: Engine) -> None:
    acme = team.ids["ACME"]
    first, second = team.clients["sam"], team.clients["max"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def save(name: str, client: TestClient, region: str) -> None:
        barrier.wait()
        results[name] = client.patch(f"/api/v1/accounts/{acme}", json={"region": region},
                                     headers={"If-Match": 'W/"1"'}).status_code

    threads = [threading.Thread(target=save, args=("sam", first, "South")),
               threading.Thread(target=save, args=("max", second, "North"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 409]
    winner = "South" if results["sam"] == 200 else "North"
    stored = first.get(f"/api/v1/accounts/{acme}").json()
    assert (stored["region"], stored["version"]) == (winner, 2)
    trail = first.get(f"/api/v1/accounts/{acme}/audit").json()["items"]
    assert [e["changes"] for e in trail] == [{"region": ["APAC", winner]}]


def test_archive_restore_and_lists(team: Team) -> None:
    max_ = team.clients["max"]
    cedar = team.ids["CEDAR"]
    resp = max_.delete(f"/api/v1/accounts/{cedar}")
    assert resp.status_code == 204 and resp.content == b"" and resp.headers["ETag"] == 'W/"2"'
    names = [a["name"] for a in max_.get("/api/v1/accounts").json()["items"]]
    assert "Cedar Retail Ltd" not in names and len(names) == 4
    only = max_.get("/api/v1/accounts", params={"archived": "only"}).json()
    assert [a["name"] for a in only["items"]] == ["Cedar Retail Ltd"] and only["items"][0]["archived_at"]
    assert max_.get("/api/v1/accounts", params={"archived": "include"}).json()["total"] == 5
    assert max_.get(f"/api/v1/accounts/{cedar}").json()["archived_at"]  # still readable by id
    error(max_.get("/api/v1/accounts", params={"archived": "maybe"}), 422, "validation_error")
    restored = max_.post(f"/api/v1/accounts/{cedar}/restore")
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert max_.get("/api/v1/accounts").json()["total"] == 5
    actions = [e["action"] for e in max_.get(f"/api/v1/accounts/{cedar}/audit").json()["items"]]
    assert actions == ["restore", "archive"]


def test_put_by_external_id_is_idempotent(team: Team, engine: Engine) -> None:
    max_ = team.clients["max"]
    body = {"name": "Espresso cup", "category": "Kitchen", "price": 2.75, "currency": "EUR",
            "attributes": {"size": "90ml"}}
    first = max_.put("/api/v1/products/by-external-id/CUP-90", json=body)
    assert first.status_code == 201 and first.json()["sku"] == "CUP-90"
    second = max_.put("/api/v1/products/by-external-id/CUP-90", json=body)
    assert second.status_code == 200 and second.json() == first.json()
    trail = max_.get(f"/api/v1/products/{first.json()['id']}/audit").json()["items"]
    assert [e["action"] for e in trail] == ["create"]
    changed = max_.put("/api/v1/products/by-external-id/CUP-90", json={"price": 2.95})
    assert changed.json()["version"] == 2 and changed.json()["name"] == "Espresso cup"
    with Session(engine) as session:
        assert session.scalar(select(Product.price).where(Product.sku == "CUP-90")) == 2.95


def test_orders_upsert_with_lines(team: Team) -> None:
    sam = team.clients["sam"]
    order = {"account_external_id": "ACME", "ordered_at": "2024-05-01T09:30:00", "currency": "EUR",
             "status": "open", "lines": [{"sku": "MUG-01", "quantity": 12, "unit_price": 3.8},
                                         {"sku": "TEA-02", "quantity": 3, "unit_price": 9.5, "discount": 0.1}]}
    created = sam.put("/api/v1/orders/by-external-id/SHOP-1001", json=order)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["account_id"] == team.ids["ACME"] and body["status"] == "open"
    assert [(line["line_no"], line["quantity"], line["discount"]) for line in body["lines"]] == [(1, 12.0, 0.0),
                                                                                              (2, 3.0, 0.1)]
    again = sam.put("/api/v1/orders/by-external-id/SHOP-1001", json=order)
    assert again.status_code == 200 and again.json() == body
    order["status"] = "fulfilled"
    order["lines"] = order["lines"][:1]
    shipped = sam.put("/api/v1/orders/by-external-id/SHOP-1001", json=order).json()
    assert shipped["status"] == "fulfilled" and len(shipped["lines"]) == 1
    err = error(sam.put("/api/v1/orders/by-external-id/SHOP-1002",
                        json={"ordered_at": "2024-05-02", "account_external_id": "ACME",
                              "lines": [{"sku": "GHOST", "quantity": 1, "unit_price": 1}]}), 422, "validation_error")
    assert err["details"][0]["field"] == "lines.0.sku"
    error(sam.put("/api/v1/orders/by-external-id/SHOP-1003",
                  json={"ordered_at": "2024-05-02", "account_external_id": "BOREALIS", "lines": []}), 403, "forbidden")
    assert sam.get("/api/v1/orders", params={"q": "SHOP"}).json()["total"] == 1


def test_interactions_logged_over_the_api_are_analysed(team: Team) -> None:
    sam = team.clients["sam"]
    resp = sam.post("/api/v1/interactions", json={
        "channel": "meeting", "direction": "outbound", "account_external_id": "ACME", "outcome": "order promised",
        "text": "Great meeting, they are delighted with the mugs and will order more."})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["user_id"], body["outcome"], body["sentiment"]) == (team.users["sam"], "order promised", "positive")
    assert body["occurred_at"] and body["analysed_at"]


def test_openapi_documents_the_write_routes(team: Team) -> None:
    spec = team.clients["vic"].get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for entity in ("accounts", "contacts", "products", "opportunities", "interactions"):
        assert {"post"} <= set(paths[f"/api/v1/{entity}"])
        assert {"get", "patch", "delete"} <= set(paths[f"/api/v1/{entity}/{{item_id}}"])
        for path, method in ((f"/api/v1/{entity}", "post"), (f"/api/v1/{entity}/{{item_id}}", "patch"),
                             (f"/api/v1/{entity}/{{item_id}}", "delete"),
                             (f"/api/v1/{entity}/{{item_id}}/restore", "post"),
                             (f"/api/v1/{entity}/by-external-id/{{external_id}}", "put"),
                             (f"/api/v1/{entity}/{{item_id}}/audit", "get")):
            assert {"403", "404", "409", "422"} <= set(paths[path][method]["responses"]), (path, method)
        item = next(p for p in paths[f"/api/v1/{entity}/{{item_id}}"]["patch"]["parameters"] if p["name"] == "item_id")
        assert (item["schema"]["minimum"], item["schema"]["maximum"]) == (1, 2**63 - 1)
    assert "put" in paths["/api/v1/orders/by-external-id/{external_id}"]
    params = {p["name"] for p in paths["/api/v1/accounts"]["get"]["parameters"]}
    assert {"archived", "owner"} <= params
