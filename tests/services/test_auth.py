"""Authentication services: keys are shown once and stored hashed, passwords salted, links single use, sessions
end; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text, update

from bizpilot.db.base import utcnow
from bizpilot.domain.security import ApiKey, LoginToken, WebSession, WorkspaceSetting
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    Principal,
    authenticate_key,
    check_password,
    consume_login_token,
    create_api_key,
    create_login_token,
    create_session,
    end_session,
    has_password,
    list_api_keys,
    revoke_api_key,
    session_principal,
    set_password,
)

pytestmark = pytest.mark.storage


def dump_table(engine: Engine, table: str) -> str:
    """Every value of every row, as one string: what someone with a copy of the database would see."""
    with engine.connect() as conn:
        return repr([tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}"))])


def test_key_format_and_only_its_hash_is_stored(engine: Engine) -> None:
    key, info = create_api_key(engine=engine, name="ci", role="write")
    scheme, ident, secret = key.split("_", 2)
    assert scheme == "bp" and len(ident) == 8 and len(secret) >= 32
    assert info.prefix == f"bp_{ident}" and (info.name, info.role) == ("ci", "write")
    assert info.last_used_at is None and info.revoked_at is None and info.active
    stored = dump_table(engine, "api_keys")
    assert secret not in stored and key not in stored
    with engine.connect() as conn:
        assert conn.scalar(select(ApiKey.key_hash)) == hashlib.sha256(key.encode()).hexdigest()
    assert not hasattr(info, "key_hash") and "key_hash" not in info.model_dump()


def test_authenticate_key_and_last_used(engine: Engine) -> None:
    key, info = create_api_key(engine=engine, name="reader", role="read")
    principal = authenticate_key(engine=engine, key=key)
    assert principal == Principal(kind="key", name="reader", role="read", key_id=info.id)
    assert list_api_keys(engine=engine)[0].last_used_at is not None
    wrong_secret = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    for bad in (wrong_secret, "", "bp_short_x", "Bearer " + key, key.replace("bp_", "xx_"), key + "x" * 300):
        assert authenticate_key(engine=engine, key=bad) is None, bad


def test_roles_are_ordered() -> None:
    read, write, admin = (Principal(kind="key", name=r, role=r) for r in ("read", "write", "admin"))
    assert read.allows("read") and not read.allows("write") and not read.allows("admin")
    assert write.allows("read") and write.allows("write") and not write.allows("admin")
    assert admin.allows("read") and admin.allows("write") and admin.allows("admin")


def test_bad_key_requests_name_the_field(engine: Engine) -> None:
    create_api_key(engine=engine, name="ci", role="read")
    with pytest.raises(ConflictError, match="already exists") as conflict:
        create_api_key(engine=engine, name="ci", role="admin")
    assert conflict.value.details == [{"field": "name", "reason": "already used"}]
    with pytest.raises(ValidationFailed, match="unknown role 'owner'") as bad_role:
        create_api_key(engine=engine, name="other", role="owner")
    assert bad_role.value.details[0]["field"] == "role"
    with pytest.raises(ValidationFailed) as bad_name:
        create_api_key(engine=engine, name="  ", role="read")
    assert bad_name.value.details[0]["field"] == "name"
    assert [k.name for k in list_api_keys(engine=engine)] == ["ci"]


def test_revoke_by_name_or_prefix(engine: Engine) -> None:
    key_a, _ = create_api_key(engine=engine, name="a", role="read")
    key_b, b = create_api_key(engine=engine, name="b", role="admin")
    key_c, c = create_api_key(engine=engine, name="c", role="write")
    assert revoke_api_key(engine=engine, name_or_prefix="a").revoked_at is not None
    assert revoke_api_key(engine=engine, name_or_prefix=b.prefix).name == "b"
    assert revoke_api_key(engine=engine, name_or_prefix=c.prefix.removeprefix("bp_")).name == "c"
    first = list_api_keys(engine=engine)[0].revoked_at
    assert revoke_api_key(engine=engine, name_or_prefix="a").revoked_at == first  # revoking twice: no-op
    for key in (key_a, key_b, key_c):
        assert authenticate_key(engine=engine, key=key) is None
    assert [k.name for k in list_api_keys(engine=engine)] == ["a", "b", "c"]  # history stays
    assert list_api_keys(engine=engine, include_revoked=False) == []
    with pytest.raises(NotFoundError, match="no API key") as missing:
        revoke_api_key(engine=engine, name_or_prefix="nobody")
    assert missing.value.details[0]["field"] == "name_or_prefix"


def test_password_is_salted_and_checked(engine: Engine) -> None:
    assert not has_password(engine=engine)
    assert not check_password(engine=engine, password="anything-at-all")
    set_password(engine=engine, password="correct horse")
    assert has_password(engine=engine)
    assert check_password(engine=engine, password="correct horse")
    assert not check_password(engine=engine, password="correct horsE")
    assert not check_password(engine=engine, password="")
    first = dump_table(engine, "workspace_settings")
    assert "correct horse" not in first and "scrypt" in first
    set_password(engine=engine, password="correct horse")
    with engine.connect() as conn:
        value = conn.scalar(select(WorkspaceSetting.value))
    assert value["hash"] not in first  # a new salt, a new hash
    with pytest.raises(ValidationFailed) as short:
        set_password(engine=engine, password="short")
    assert short.value.details[0]["field"] == "password"
    assert check_password(engine=engine, password="correct horse")


def test_changing_the_password_signs_everyone_out(engine: Engine) -> None:
    ticket = create_session(engine=engine)
    assert session_principal(engine=engine, token=ticket.token) is not None
    set_password(engine=engine, password="a new password")
    assert session_principal(engine=engine, token=ticket.token) is None


def test_login_token_works_once_and_expires(engine: Engine) -> None:
    token = create_login_token(engine=engine)
    assert token not in dump_table(engine, "login_tokens")
    assert consume_login_token(engine=engine, token=token)
    assert not consume_login_token(engine=engine, token=token)
    assert not consume_login_token(engine=engine, token="not-a-token")
    late = create_login_token(engine=engine)
    with engine.begin() as conn:
        conn.execute(update(LoginToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not consume_login_token(engine=engine, token=late)


def test_login_token_lifetime_comes_from_settings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings

    monkeypatch.setenv("BIZPILOT_LOGIN_LINK_MINUTES", "3")
    reset_settings()
    create_login_token(engine=engine)
    with engine.connect() as conn:
        row = conn.execute(select(LoginToken.created_at, LoginToken.expires_at)).one()
    assert row.expires_at - row.created_at == timedelta(minutes=3)


def test_sessions_carry_csrf_expire_and_end(engine: Engine) -> None:
    ticket = create_session(engine=engine)
    assert ticket.max_age == 14 * 24 * 3600
    stored = dump_table(engine, "web_sessions")
    assert ticket.token not in stored
    principal = session_principal(engine=engine, token=ticket.token)
    assert principal is not None and (principal.kind, principal.role) == ("session", "admin")
    assert principal.csrf_token == ticket.csrf_token and ticket.csrf_token not in repr(principal)
    assert session_principal(engine=engine, token=ticket.token + "x") is None
    assert end_session(engine=engine, token=ticket.token)
    assert session_principal(engine=engine, token=ticket.token) is None
    assert not end_session(engine=engine, token=ticket.token)
    old = create_session(engine=engine)
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert session_principal(engine=engine, token=old.token) is None
    create_session(engine=engine)  # sweeps expired sessions
    with engine.connect() as conn:
        assert conn.scalar(select(WebSession.id).where(WebSession.expires_at < utcnow())) is None
