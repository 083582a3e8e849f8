"""The users API: anyone reads the team, admins change it, keys act with their user's role capped by their level,
and every error names its field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import create_api_key
from bizpilot.services.users import create_user, find_user, get_user
from tests.api.conftest import auth_headers
from tests.api.test_routes import assert_error


def user_key(engine: Engine, name: str, role: str, key_role: str = "admin") -> str:
    """A key of a (new, if need be) user ``name`` with ``role``."""
    with session_scope(engine) as session:
        user = find_user(session=session, ref=name) or create_user(session=session, name=name, role=role,
                                                                   email=f"{name.lower()}@x.example")
        key, _ = create_api_key(session=session, name=f"{name}-{key_role}", role=key_role, user_id=user.id)
    return key


def client_for(key: str) -> TestClient:
    return TestClient(create_app(), headers=auth_headers(key))


@pytest.fixture
def admin(engine: Engine) -> TestClient:
    return client_for(user_key(engine, "Alex", "admin"))


def test_admin_adds_lists_and_changes_users(engine: Engine, admin: TestClient) -> None:
    created = admin.post("/api/v1/users", json={"name": "Emily Carter", "email": "Emily@X.example", "role": "sales",
                                                "password": "emily-pass-1"})
    assert created.status_code == 201, created.text
    emily = created.json()
    assert {k: emily[k] for k in ("name", "email", "role", "active", "has_password")} == {
        "name": "Emily Carter", "email": "emily@x.example", "role": "sales", "active": True, "has_password": True}
    assert "password" not in emily
    plain = admin.post("/api/v1/users", json={"name": "Sam"}).json()
    assert (plain["role"], plain["email"], plain["has_password"]) == ("sales", None, False)

    listed = admin.get("/api/v1/users").json()["items"]
    assert [u["name"] for u in listed] == ["Alex", "Emily Carter", "Sam"]
    assert [u["name"] for u in admin.get("/api/v1/users", params={"role": "sales"}).json()["items"]] == [
        "Emily Carter", "Sam"]
    assert admin.get(f"/api/v1/users/{emily['id']}").json()["email"] == "emily@x.example"

    changed = admin.patch(f"/api/v1/users/{plain['id']}", json={"role": "service", "email": "sam@x.example"})
    assert (changed.json()["role"], changed.json()["email"]) == ("service", "sam@x.example")
    assert admin.patch(f"/api/v1/users/{plain['id']}", json={"email": None}).json()["email"] is None
    assert admin.patch(f"/api/v1/users/{plain['id']}", json={"password": "sam-pass-12"}).json()["has_password"]
    off = admin.patch(f"/api/v1/users/{plain['id']}", json={"active": False}).json()
    assert off["active"] is False
    assert [u["name"] for u in admin.get("/api/v1/users", params={"active": "false"}).json()["items"]] == ["Sam"]
    assert admin.patch(f"/api/v1/users/{plain['id']}", json={"active": True}).json()["active"] is True


def test_errors_name_their_field(engine: Engine, admin: TestClient) -> None:
    admin.post("/api/v1/users", json={"name": "Emily", "email": "emily@x.example"})
    taken = assert_error(admin.post("/api/v1/users", json={"name": "emily"}), 409, "conflict")
    assert taken["details"][0]["field"] == "name"
    taken = assert_error(admin.post("/api/v1/users", json={"name": "Other", "email": "EMILY@x.example"}), 409,
                         "conflict")
    assert taken["details"][0]["field"] == "email"
    bad_email = assert_error(admin.post("/api/v1/users", json={"name": "Other", "email": "nope"}), 422,
                             "validation_error")
    assert bad_email["details"][0]["field"] == "email"
    bad_role = admin.post("/api/v1/users", json={"name": "Other", "role": "owner"})
    assert bad_role.status_code == 422 and "role" in bad_role.text
    short = admin.post("/api/v1/users", json={"name": "Other", "password": "short"})
    assert short.status_code == 422 and "password" in short.text
    assert admin.post("/api/v1/users", json={"name": "Other", "colour": "red"}).status_code == 422
    assert_error(admin.patch("/api/v1/users/999999", json={"role": "viewer"}), 404, "not_found")
    assert admin.get("/api/v1/users/0").status_code == 422
    assert admin.get(f"/api/v1/users/{2**63}").status_code == 422
    with session_scope(engine) as session:
        alex_id = get_user(session=session, ref="Alex").id
    last = assert_error(admin.patch(f"/api/v1/users/{alex_id}", json={"role": "manager"}), 409, "conflict")
    assert "only active admin" in last["message"]
    assert_error(admin.patch(f"/api/v1/users/{alex_id}", json={"active": False}), 409, "conflict")
    with session_scope(engine) as session:
        assert get_user(session=session, ref="Alex").role == "admin"


def test_who_am_i(engine: Engine, admin: TestClient) -> None:
    me = admin.get("/api/v1/users/me").json()
    assert (me["kind"], me["name"], me["role"], me["level"], me["user"]["name"]) == (
        "key", "Alex-admin", "admin", "admin", "Alex")
    sales = client_for(user_key(engine, "Rep", "sales", key_role="admin")).get("/api/v1/users/me").json()
    assert (sales["role"], sales["level"], sales["user"]["role"]) == ("sales", "write", "sales")
    capped = client_for(user_key(engine, "Alex", "admin", key_role="write")).get("/api/v1/users/me").json()
    assert (capped["role"], capped["level"]) == ("manager", "write")
    with session_scope(engine) as session:  # a key made before there were users belongs to nobody
        nobody, _ = create_api_key(session=session, name="legacy", role="read", user_id=None)
    legacy = client_for(nobody).get("/api/v1/users/me").json()
    assert (legacy["role"], legacy["level"], legacy["user"]) == ("read", "read", None)


def test_roles_on_the_users_routes(engine: Engine, admin: TestClient) -> None:
    viewer = client_for(user_key(engine, "Vera", "viewer", key_role="admin"))
    assert viewer.get("/api/v1/users").status_code == 200  # everyone reads the team (owners are picked from it)
    assert_error(viewer.post("/api/v1/users", json={"name": "X"}), 403, "forbidden")
    sales_admin_key = client_for(user_key(engine, "Rep", "sales", key_role="admin"))
    denied = assert_error(sales_admin_key.post("/api/v1/users", json={"name": "X"}), 403, "forbidden")
    assert "has role sales" in denied["message"]
    with session_scope(engine) as session:
        rep_id = get_user(session=session, ref="Rep").id
    assert_error(sales_admin_key.patch(f"/api/v1/users/{rep_id}", json={"role": "admin"}), 403, "forbidden")
    manager = client_for(user_key(engine, "Alex", "admin", key_role="write"))  # an admin's write key: a manager
    assert_error(manager.post("/api/v1/users", json={"name": "X"}), 403, "forbidden")
    assert_error(manager.get("/api/v1/keys"), 403, "forbidden")
    reader = client_for(user_key(engine, "Alex", "admin", key_role="read"))  # a read key makes anyone a viewer
    assert reader.get("/api/v1/users").status_code == 200
    assert reader.get("/api/v1/users/me").json()["role"] == "viewer"
    assert_error(reader.post("/api/v1/users", json={"name": "X"}), 403, "forbidden")
    assert [u["name"] for u in admin.get("/api/v1/users").json()["items"]] == ["Alex", "Vera", "Rep"]


def test_deactivating_a_user_stops_their_keys(engine: Engine, admin: TestClient) -> None:
    rep_key = user_key(engine, "Rep", "sales", key_role="write")
    rep = client_for(rep_key)
    assert rep.get("/api/v1/accounts").status_code == 200
    with session_scope(engine) as session:
        rep_id = get_user(session=session, ref="Rep").id
    assert admin.patch(f"/api/v1/users/{rep_id}", json={"active": False}).status_code == 200
    assert_error(rep.get("/api/v1/accounts"), 401, "unauthorized")
    admin.patch(f"/api/v1/users/{rep_id}", json={"active": True})
    assert rep.get("/api/v1/accounts").status_code == 200


def test_keys_created_over_the_api_belong_to_a_user(engine: Engine, admin: TestClient) -> None:
    admin.post("/api/v1/users", json={"name": "Rep", "role": "sales"})
    made = admin.post("/api/v1/keys", json={"name": "rep-sync", "role": "admin", "user": "rep"})
    assert made.status_code == 201 and (made.json()["info"]["user"], made.json()["info"]["role"]) == ("Rep", "admin")
    assert client_for(made.json()["key"]).get("/api/v1/users/me").json()["role"] == "sales"
    default = admin.post("/api/v1/keys", json={"name": "ops", "role": "write"}).json()["info"]
    assert default["user"] == "Alex"
    unknown = assert_error(admin.post("/api/v1/keys", json={"name": "x", "user": "nobody"}), 422, "validation_error")
    assert unknown["details"][0]["field"] == "user"
    assert [(k["name"], k["user"]) for k in admin.get("/api/v1/keys").json()["items"]] == [
        ("Alex-admin", "Alex"), ("rep-sync", "Rep"), ("ops", "Alex")]


def test_openapi_documents_the_users_routes(engine: Engine, admin: TestClient) -> None:
    paths = admin.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/users"]) == {"get", "post"} and set(paths["/api/v1/users/{user_id}"]) == {"get", "patch"}
    assert {"401", "403", "409", "422"} <= set(paths["/api/v1/users"]["post"]["responses"])
    assert {"404", "409", "422"} <= set(paths["/api/v1/users/{user_id}"]["patch"]["responses"])
    assert "get" in paths["/api/v1/users/me"]
