"""Signing in as a user (password by e-mail or name, a user's login link, the workspace password) and the Settings
page's Users section for admins, the profile and own password for everyone, and 403 for others on admin forms."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.api.security import SESSION_COOKIE
from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.services.auth import create_api_key, create_login_token, set_password
from bizpilot.services.users import create_user, find_user, get_user, sign_in
from tests.web.conftest import csrf_token

LINK = re.compile(r'id="link-value" class="secret" value="(http://testserver/login/token/[A-Za-z0-9_-]+)"')


def sign_in_as(engine: Engine, name: str | None) -> TestClient:
    """A browser signed in with a login link for ``name`` (None: the default, the first admin or the owner)."""
    client = TestClient(create_app())
    with session_scope(engine) as session:
        user_id = get_user(session=session, ref=name).id if name else None
        token = create_login_token(session=session, **({"user_id": user_id} if user_id else {}))
    assert client.get(f"/login/token/{token}", follow_redirects=False).status_code == 303
    return client


@pytest.fixture
def team(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="Alex Morgan", email="alex@x.example", role="admin")
        create_user(session=session, name="Emily Carter", email="emily@x.example", role="sales",
                    password="emily-pass-1")
        create_user(session=session, name="Vera", role="viewer")


def post(client: TestClient, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf_token(client, "/settings"), **data}, follow_redirects=False)


def test_password_sign_in_by_email_or_name(engine: Engine, team: None) -> None:
    client = TestClient(create_app())
    form = client.get("/login").text
    assert 'name="login"' in form and "E-mail or name" in form and 'id="login-help"' not in form
    wrong = client.post("/login", data={"login": "emily@x.example", "password": "nope-nope"})
    assert wrong.status_code == 401 and "Wrong e-mail, name or password." in wrong.text
    assert 'value="emily@x.example"' in wrong.text  # the name stays in the form
    unknown = client.post("/login", data={"login": "nobody", "password": "emily-pass-1"})
    assert unknown.status_code == 401 and "Wrong e-mail, name or password." in unknown.text
    ok = client.post("/login", data={"login": "EMILY@x.example", "password": "emily-pass-1", "next": "/settings"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/settings" and client.cookies.get(SESSION_COOKIE)
    page = client.get("/settings").text
    assert 'id="signed-in-user"' in page and "Emily Carter" in page.split('id="signed-in-user"')[1][:200]
    by_name = TestClient(create_app())
    assert by_name.post("/login", data={"login": "emily carter", "password": "emily-pass-1"},
                        follow_redirects=False).status_code == 303


def test_a_deactivated_user_cannot_sign_in_and_is_signed_out(engine: Engine, team: None) -> None:
    emily = sign_in_as(engine, "Emily Carter")
    admin = sign_in_as(engine, "Alex Morgan")
    with session_scope(engine) as session:
        emily_id = get_user(session=session, ref="Emily Carter").id
    assert post(admin, f"/settings/users/{emily_id}/deactivate").status_code == 303
    kicked = emily.get("/settings", follow_redirects=False)
    assert kicked.status_code == 303 and kicked.headers["location"].startswith("/login")
    refused = TestClient(create_app()).post("/login", data={"login": "Emily Carter", "password": "emily-pass-1"})
    assert refused.status_code == 401 and "deactivated" in refused.text
    page = admin.get("/settings").text
    row = page.split('data-user="Emily Carter"')[1].split("</tr>")[0]
    assert "deactivated" in row and "/activate" in row and "/link" not in row
    assert post(admin, f"/settings/users/{emily_id}/activate").status_code == 303
    assert TestClient(create_app()).post("/login", data={"login": "Emily Carter", "password": "emily-pass-1"},
                                         follow_redirects=False).status_code == 303


def test_the_workspace_password_signs_in_as_the_first_admin(engine: Engine, team: None) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="workspace-pass")
    client = TestClient(create_app())
    assert 'id="login-help"' in client.get("/login").text  # the name may be left empty
    assert client.post("/login", data={"password": "workspace-pass"}, follow_redirects=False).status_code == 303
    page = client.get("/settings").text
    assert "Alex Morgan" in page.split('id="signed-in-user"')[1][:200] and 'id="users"' in page


def test_without_users_the_workspace_password_signs_in_the_owner(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_password(session=session, password="workspace-pass")
    client = TestClient(create_app())
    form = client.get("/login").text
    assert 'name="login"' not in form and "Workspace password" in form
    assert client.post("/login", data={"password": "workspace-pass"}, follow_redirects=False).status_code == 303
    page = client.get("/settings").text
    assert "Workspace owner" in page.split('id="signed-in-user"')[1][:200]
    assert 'id="profile-owner"' in page and 'id="no-users"' in page and 'id="user-form"' in page


def test_admin_adds_a_user_changes_the_role_and_hands_over_a_link(engine: Engine, team: None) -> None:
    admin = sign_in_as(engine, None)  # the default link: the first admin
    page = admin.get("/settings").text
    assert "Alex Morgan" in page.split('id="signed-in-user"')[1][:200]
    assert [n for n in re.findall(r'data-user="([^"]+)"', page)] == ["Alex Morgan", "Emily Carter", "Vera"]
    added = post(admin, "/settings/users", name="Daniel Brooks", email="daniel@x.example", role="sales")
    assert added.status_code == 303 and "notice=user_added" in added.headers["location"]
    assert "User added." in admin.get(added.headers["location"]).text
    duplicate = post(admin, "/settings/users", name="daniel brooks", email="", role="sales")
    assert duplicate.status_code == 409 and "A user named &#39;daniel brooks&#39; already exists." in duplicate.text
    assert 'value="daniel brooks"' in duplicate.text  # the form keeps what was typed
    bad_email = post(admin, "/settings/users", name="Priya", email="not-an-address", role="sales")
    assert bad_email.status_code == 422 and "Give a valid e-mail address" in bad_email.text
    with session_scope(engine) as session:
        daniel, alex = get_user(session=session, ref="Daniel Brooks"), get_user(session=session, ref="Alex Morgan")
        daniel_id, alex_id = daniel.id, alex.id
        assert (daniel.email, daniel.role, daniel.password) == ("daniel@x.example", "sales", None)
    assert post(admin, f"/settings/users/{daniel_id}/role", role="manager").status_code == 303
    last = post(admin, f"/settings/users/{alex_id}/role", role="sales")
    assert last.status_code == 409 and "needs an active admin" in last.text
    assert post(admin, f"/settings/users/{daniel_id}/role", role="boss").status_code == 422

    made = post(admin, f"/settings/users/{daniel_id}/link")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    link = LINK.search(made.text)
    assert link and "Give this link to Daniel Brooks" in made.text
    daniel_browser = TestClient(create_app())
    assert daniel_browser.get(link.group(1), follow_redirects=False).status_code == 303
    page = daniel_browser.get("/settings").text
    assert "Daniel Brooks" in page.split('id="signed-in-user"')[1][:200] and ">Manager<" in page
    assert TestClient(create_app()).get(link.group(1)).status_code == 401  # once only
    assert post(admin, "/settings/users/999999/role", role="sales").status_code == 404


def test_a_sales_user_sees_the_profile_and_gets_403_on_admin_forms(engine: Engine, team: None) -> None:
    emily = sign_in_as(engine, "Emily Carter")
    page = emily.get("/settings").text
    assert 'id="profile-name">Emily Carter<' in page and 'id="profile-email">emily@x.example<' in page
    assert 'id="profile-role"><span class="tag">Sales<' in page and 'id="profile-password-form"' in page
    assert 'id="users"' not in page and 'id="user-form"' not in page and 'id="key-form"' not in page
    with session_scope(engine) as session:
        vera_id = get_user(session=session, ref="Vera").id
    for path, data in (("/settings/users", {"name": "Sneaky", "role": "admin"}),
                       (f"/settings/users/{vera_id}/role", {"role": "admin"}),
                       (f"/settings/users/{vera_id}/deactivate", {}), (f"/settings/users/{vera_id}/link", {}),
                       ("/settings/keys", {"name": "mine", "role": "admin"}), ("/settings/password", {"new": "x"})):
        resp = post(emily, path, **data)
        assert resp.status_code == 403 and "needs role admin" in resp.text, path
    with session_scope(engine) as session:
        assert get_user(session=session, ref="Vera").role == "viewer"
        assert find_user(session=session, ref="Sneaky") is None


def test_own_password_for_every_role(engine: Engine, team: None) -> None:
    emily = sign_in_as(engine, "Emily Carter")
    other = sign_in_as(engine, "Emily Carter")
    wrong = post(emily, "/settings/profile/password", current="nope-nope", new="emily-pass-2", repeat="emily-pass-2")
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    mismatch = post(emily, "/settings/profile/password", current="emily-pass-1", new="emily-pass-2",
                    repeat="emily-pass-3")
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    assert emily.post("/settings/profile/password", data={"current": "emily-pass-1", "new": "emily-pass-2",
                                                          "repeat": "emily-pass-2"}).status_code == 403  # no CSRF
    done = post(emily, "/settings/profile/password", current="emily-pass-1", new="emily-pass-2",
                repeat="emily-pass-2")
    assert done.status_code == 303 and "notice=profile_password" in done.headers["location"]
    assert "Your password is set." in emily.get(done.headers["location"]).text  # this browser stays signed in
    assert other.get("/settings", follow_redirects=False).status_code == 303  # the other one is signed out
    with session_scope(engine) as session:
        assert sign_in(session=session, login="Emily Carter", password="emily-pass-2").ok
        assert not sign_in(session=session, login="Emily Carter", password="emily-pass-1").ok

    vera = sign_in_as(engine, "Vera")  # a viewer changes nothing, but sets their own password
    page = vera.get("/settings").text
    assert "You have no password yet" in page and 'name="current"' not in page
    assert post(vera, "/settings/profile/password", new="vera-pass-1", repeat="vera-pass-1").status_code == 303
    with session_scope(engine) as session:
        assert sign_in(session=session, login="vera", password="vera-pass-1").ok
        key, _ = create_api_key(session=session, name="alex-key", role="admin",
                                user_id=get_user(session=session, ref="Alex Morgan").id)
    by_key = TestClient(create_app(), headers={"X-API-Key": key})
    assert by_key.post("/settings/profile/password", data={"new": "x" * 10, "repeat": "x" * 10}).status_code == 403


def test_keys_show_their_user_and_are_made_for_the_chosen_one(engine: Engine, team: None) -> None:
    admin = sign_in_as(engine, "Alex Morgan")
    page = admin.get("/settings").text
    assert re.search(r'<option value="\d+" selected>Alex Morgan \(Admin\)</option>', page)
    with session_scope(engine) as session:
        emily_id = get_user(session=session, ref="Emily Carter").id
    made = post(admin, "/settings/keys", name="emily-sync", role="admin", user=str(emily_id))
    assert made.status_code == 200
    post(admin, "/settings/keys", name="ops", role="write")
    page = admin.get("/settings").text
    rows = {name: page.split(f'data-key="{name}"')[1].split("</tr>")[0] for name in ("emily-sync", "ops")}
    assert '<td class="key-user">Emily Carter</td>' in rows["emily-sync"]
    assert '<td class="key-user">Alex Morgan</td>' in rows["ops"]
