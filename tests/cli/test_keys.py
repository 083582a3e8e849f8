"""Access from the command line: keys printed once on stdout (hash only in the database), list/revoke, the
dashboard password, login links, and `serve` refusing open reads on a non-loopback host."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, session_scope
from bizpilot.services.auth import authenticate_key, check_password, consume_login_token

runner = CliRunner()


def db_dump(engine: Engine) -> str:
    with engine.connect() as conn:
        return repr([tuple(row) for row in conn.execute(text("SELECT * FROM api_keys"))])


def test_create_prints_the_key_once_and_stores_only_its_hash(workspace: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--name", "ci", "--role", "write"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert result.stdout == key + "\n" and key.startswith("bp_")  # stdout holds the key and nothing else
    assert "shown only once" in result.stderr and key not in result.stderr
    engine = get_engine()
    with session_scope(engine) as session:
        principal = authenticate_key(session=session, key=key)
    assert principal is not None and (principal.name, principal.role) == ("ci", "write")
    dump = db_dump(engine)
    assert key not in dump and key.split("_", 2)[2] not in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump
    listing = runner.invoke(app, ["keys", "list"])
    assert listing.exit_code == 0 and listing.stdout == ""
    assert "ci" in listing.stderr and key[:11] in listing.stderr and key not in listing.stderr


def test_create_json_and_list_json(workspace: Path) -> None:
    created = json.loads(runner.invoke(app, ["keys", "create", "--name", "bot", "--json"]).stdout)
    assert created["role"] == "read" and created["key"].startswith(created["prefix"] + "_")
    keys = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)["keys"]
    assert [(k["name"], k["role"], k["prefix"], k["last_used_at"], k["revoked_at"]) for k in keys] == [
        ("bot", "read", created["prefix"], None, None)]
    assert "key" not in keys[0] and "key_hash" not in keys[0] and created["key"] not in json.dumps(keys)


@pytest.mark.parametrize("args,needle", [
    (["keys", "create", "--name", "x", "--role", "owner"], "unknown role 'owner'"),
    (["keys", "create", "--name", "dup"], "already exists"),
    (["keys", "revoke", "nobody"], "no API key"),
])
def test_bad_key_commands_exit_2(workspace: Path, args: list[str], needle: str) -> None:
    runner.invoke(app, ["keys", "create", "--name", "dup"])
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and needle in result.stderr


def test_revoke_by_name_and_prefix(workspace: Path) -> None:
    first = runner.invoke(app, ["keys", "create", "--name", "one"]).stdout.strip()
    second = runner.invoke(app, ["keys", "create", "--name", "two"]).stdout.strip()
    assert runner.invoke(app, ["keys", "revoke", "one"]).exit_code == 0
    result = runner.invoke(app, ["keys", "revoke", second[:11]])
    assert result.exit_code == 0 and "revoked API key 'two'" in result.stderr
    with session_scope(get_engine()) as session:
        assert authenticate_key(session=session, key=first) is None
        assert authenticate_key(session=session, key=second) is None
    keys = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)["keys"]
    assert all(k["revoked_at"] for k in keys)


def test_init_password_from_environment_and_prompt(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_PASSWORD", "from the env 1")
    reset_settings()  # settings are read once per process; this test changes the environment in between
    result = runner.invoke(app, ["init", "--password"])
    assert result.exit_code == 0, result.output
    assert "from the env 1" not in result.output
    with session_scope(get_engine()) as session:
        assert check_password(session=session, password="from the env 1")
    monkeypatch.delenv("BIZPILOT_PASSWORD")
    reset_settings()
    result = runner.invoke(app, ["init", "--password"], input="typed secret\ntyped secret\n")
    assert result.exit_code == 0, result.output
    assert "typed secret" not in result.output and result.stdout.strip() == ""  # hidden; prompts on stderr
    with session_scope(get_engine()) as session:
        assert check_password(session=session, password="typed secret")
    result = runner.invoke(app, ["init", "--password"], input="short\nshort\n")
    assert result.exit_code == 2 and "at least 8" in result.stderr


def test_login_link_command(workspace: Path) -> None:
    result = runner.invoke(app, ["login-link", "--port", "9001"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("http://127.0.0.1:9001/login/token/") and "single use" in result.stderr
    token = url.rsplit("/", 1)[1]
    with session_scope(get_engine()) as session:
        assert consume_login_token(session=session, token=token)
    with session_scope(get_engine()) as session:
        assert not consume_login_token(session=session, token=token)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record uvicorn.run instead of serving (and never block a test on a real server)."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    return calls


@pytest.mark.parametrize("args,env", [
    (["serve", "--open-reads", "--host", "0.0.0.0"], {}),
    (["serve", "--host", "192.168.1.20"], {"BIZPILOT_AUTH_OPEN_READS": "1"}),
    (["serve"], {"BIZPILOT_AUTH_OPEN_READS": "true", "BIZPILOT_HOST": "::"}),
    (["demo", "--open-reads", "--host", "example.com"], {}),
])
def test_open_reads_on_a_public_host_refuse_to_start(workspace: Path, served: list[dict[str, Any]],
                                                     monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                     env: dict[str, str]) -> None:
    from bizpilot.config import reset_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "only allowed on a loopback host" in result.stderr and served == []


def test_serve_prints_a_login_link_and_passes_open_reads(workspace: Path, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["serve", "--open-reads", "--host", "localhost", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "localhost" and served[0]["port"] == 8123
    assert served[0]["app"].state.auth_open_reads is True
    line = next(ln for ln in result.stderr.splitlines() if "login link" in ln)
    token = line.split("http://localhost:8123/login/token/")[1].strip()
    with session_scope(get_engine()) as session:
        assert consume_login_token(session=session, token=token)
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])  # no open reads: any host is fine
    assert result.exit_code == 0 and served[1]["app"].state.auth_open_reads is False
    assert "http://127.0.0.1:8000/login/token/" in result.stderr
