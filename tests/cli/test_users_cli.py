"""`bizpilot users ...`: add (password from BIZPILOT_PASSWORD or a hidden prompt asked twice), list, role, password,
deactivate and activate; keys and login links for a user; every mistake is one line on stderr and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, session_scope
from bizpilot.services.auth import authenticate_key, consume_login_token
from bizpilot.services.users import get_user, sign_in

runner = CliRunner()


def users_json() -> list[dict]:
    result = runner.invoke(app, ["users", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["users"]


def test_add_list_role_deactivate_activate(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = runner.invoke(app, ["users", "list"])
    assert empty.exit_code == 0 and "no users yet" in empty.stderr and empty.stdout == ""
    monkeypatch.setenv("BIZPILOT_PASSWORD", "alex-pass-12")
    reset_settings()
    added = runner.invoke(app, ["users", "add", "Alex Morgan", "--email", "alex@x.example", "--role", "admin",
                                "--password", "--json"])
    assert added.exit_code == 0, added.output
    alex = json.loads(added.stdout)
    assert {k: alex[k] for k in ("name", "email", "role", "active", "has_password")} == {
        "name": "Alex Morgan", "email": "alex@x.example", "role": "admin", "active": True, "has_password": True}
    assert "alex-pass-12" not in added.output
    monkeypatch.delenv("BIZPILOT_PASSWORD")
    reset_settings()
    rep = runner.invoke(app, ["users", "add", "王芳", "--email", "wang.fang@x.example", "--role", "sales"])
    assert rep.exit_code == 0 and "added user 王芳 (role sales" in rep.stderr and "login-link --user" in rep.stderr
    assert [(u["name"], u["role"], u["has_password"]) for u in users_json()] == [
        ("Alex Morgan", "admin", True), ("王芳", "sales", False)]
    table = runner.invoke(app, ["users", "list"])
    assert "Alex Morgan" in table.stderr and "王芳" in table.stderr and table.stdout == ""
    with session_scope(get_engine()) as session:
        assert sign_in(session=session, login="alex@x.example", password="alex-pass-12").ok

    assert runner.invoke(app, ["users", "role", "wang.fang@x.example", "manager"]).exit_code == 0
    deactivated = runner.invoke(app, ["users", "deactivate", "王芳", "--json"])
    assert deactivated.exit_code == 0 and json.loads(deactivated.stdout)["active"] is False
    assert [(u["role"], u["active"]) for u in users_json()][1] == ("manager", False)
    assert runner.invoke(app, ["users", "activate", str(alex["id"] + 1)]).exit_code == 0
    assert users_json()[1]["active"] is True


def test_password_prompt_is_hidden_and_asked_twice(workspace: Path) -> None:
    assert runner.invoke(app, ["users", "add", "Emily", "--role", "sales"]).exit_code == 0
    result = runner.invoke(app, ["users", "password", "emily"], input="typed secret\ntyped secret\n")
    assert result.exit_code == 0, result.output
    assert "typed secret" not in result.output and result.stdout.strip() == ""
    with session_scope(get_engine()) as session:
        assert sign_in(session=session, login="Emily", password="typed secret").ok
    mismatch = runner.invoke(app, ["users", "password", "emily"], input="one secret\nother secret\n"
                                                                        "short\nshort\n")
    assert mismatch.exit_code == 2 and "at least 8" in mismatch.stderr
    with_password = runner.invoke(app, ["users", "add", "Daniel", "--password"], input="daniel-pw\ndaniel-pw\n")
    assert with_password.exit_code == 0, with_password.output
    with session_scope(get_engine()) as session:
        assert sign_in(session=session, login="Daniel", password="daniel-pw").ok


@pytest.mark.parametrize("args,needle", [
    (["users", "add", "Alex", "--role", "owner"], "unknown role 'owner'"),
    (["users", "add", "alex"], "already exists"),
    (["users", "add", "Bob", "--email", "nope"], "email"),
    (["users", "add", "a@b"], "name"),
    (["users", "role", "nobody", "sales"], "no user 'nobody'"),
    (["users", "role", "Alex", "viewer"], "only active admin"),
    (["users", "deactivate", "Alex"], "only active admin"),
    (["keys", "create", "--name", "x", "--user", "nobody"], "no user 'nobody'"),
    (["login-link", "--user", "nobody"], "no user 'nobody'"),
])
def test_mistakes_exit_2_with_one_line(workspace: Path, args: list[str], needle: str) -> None:
    assert runner.invoke(app, ["users", "add", "Alex", "--role", "admin"]).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and needle in result.stderr, result.output
    assert [u["name"] for u in users_json()] == ["Alex"]


def test_keys_and_login_links_for_a_user(workspace: Path) -> None:
    before = json.loads(runner.invoke(app, ["keys", "create", "--name", "legacy", "--role", "write", "--json"]).stdout)
    assert before["user"] is None  # no users yet: a key of the workspace, as before
    runner.invoke(app, ["users", "add", "Alex", "--role", "admin"])
    runner.invoke(app, ["users", "add", "Emily Carter", "--role", "sales"])
    mine = runner.invoke(app, ["keys", "create", "--name", "emily", "--role", "write", "--user", "emily carter"])
    assert mine.exit_code == 0 and "user Emily Carter" in mine.stderr
    default = runner.invoke(app, ["keys", "create", "--name", "ops", "--role", "write"])
    with session_scope(get_engine()) as session:
        roles = [authenticate_key(session=session, key=key) for key in (mine.stdout.strip(), default.stdout.strip(),
                                                                         before["key"])]
    assert [p.role if p else None for p in roles] == ["sales", "manager", "write"]
    listing = runner.invoke(app, ["keys", "list", "--json"])
    assert [(k["name"], k["user"]) for k in json.loads(listing.stdout)["keys"]] == [
        ("legacy", None), ("emily", "Emily Carter"), ("ops", "Alex")]

    link = runner.invoke(app, ["login-link", "--port", "9001", "--user", "Emily Carter"])
    assert link.exit_code == 0 and "for Emily Carter" in link.stderr
    default_link = runner.invoke(app, ["login-link", "--port", "9001"])
    with session_scope(get_engine()) as session:
        emily, alex = get_user(session=session, ref="Emily Carter"), get_user(session=session, ref="Alex")
        grant = consume_login_token(session=session, token=link.stdout.strip().rsplit("/", 1)[1])
        assert grant is not None and grant.user_id == emily.id
        grant = consume_login_token(session=session, token=default_link.stdout.strip().rsplit("/", 1)[1])
        assert grant is not None and grant.user_id == alex.id
