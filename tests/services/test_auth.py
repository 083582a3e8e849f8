"""Authentication services: keys are shown once and stored hashed, passwords salted, links single use, sessions
end; every function works in the caller's session and leaves the commit to it; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain.security import ApiKey, LoginToken, WebSession, WorkspaceSetting
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    TOUCH_EVERY,
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


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """One unit of work for a test that needs no commit in between (committed at the end, like an edge does)."""
    with session_scope(engine) as session:
        yield session


def dump_table(engine: Engine, table: str) -> str:
    """Every value of every row, as one string: what someone with a copy of the database would see."""
    with engine.connect() as conn:
        return repr([tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}"))])


def count(engine: Engine, model: type[Any]) -> int:
    """Rows another connection sees: only what was committed."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_key_format_and_only_its_hash_is_stored(engine: Engine) -> None:
    with session_scope(engine) as session:
        key, info = create_api_key(session=session, name="ci", role="write")
    scheme, ident, secret = key.split("_", 2)
    assert scheme == "bp" and len(ident) == 8 and len(secret) >= 32
    assert info.prefix == f"bp_{ident}" and (info.name, info.role) == ("ci", "write")
    assert info.last_used_at is None and info.revoked_at is None and info.active
    stored = dump_table(engine, "api_keys")
    assert secret not in stored and key not in stored
    with engine.connect() as conn:
        assert conn.scalar(select(ApiKey.key_hash)) == hashlib.sha256(key.encode()).hexdigest()
    assert not hasattr(info, "key_hash") and "key_hash" not in info.model_dump()


def test_authenticate_key_and_last_used(session: Session) -> None:
    key, info = create_api_key(session=session, name="reader", role="read")
    assert info.id is not None  # flushed: the caller gets the id before it commits
    principal = authenticate_key(session=session, key=key)
    assert principal == Principal(kind="key", name="reader", role="read", key_id=info.id)
    assert list_api_keys(session=session)[0].last_used_at is not None
    wrong_secret = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    for bad in (wrong_secret, "", "bp_short_x", "Bearer " + key, key.replace("bp_", "xx_"), key + "x" * 300):
        assert authenticate_key(session=session, key=bad) is None, bad


def test_last_used_is_touched_at_most_every_minute(engine: Engine) -> None:
    with session_scope(engine) as session:
        key, _ = create_api_key(session=session, name="reader", role="read")
    with session_scope(engine) as session:
        assert authenticate_key(session=session, key=key) is not None
    with engine.connect() as conn:
        first = conn.scalar(select(ApiKey.last_used_at))
    assert first is not None
    with session_scope(engine) as session:
        assert authenticate_key(session=session, key=key) is not None
    with engine.connect() as conn:
        assert conn.scalar(select(ApiKey.last_used_at)) == first  # within TOUCH_EVERY: a read, no write
    with engine.begin() as conn:
        conn.execute(update(ApiKey).values(last_used_at=first - TOUCH_EVERY))
    with session_scope(engine) as session:
        assert authenticate_key(session=session, key=key) is not None
    with engine.connect() as conn:
        assert conn.scalar(select(ApiKey.last_used_at)) >= first


def test_roles_are_ordered() -> None:
    read, write, admin = (Principal(kind="key", name=r, role=r) for r in ("read", "write", "admin"))
    assert read.allows("read") and not read.allows("write") and not read.allows("admin")
    assert write.allows("read") and write.allows("write") and not write.allows("admin")
    assert admin.allows("read") and admin.allows("write") and admin.allows("admin")


def test_bad_key_requests_name_the_field(session: Session) -> None:
    create_api_key(session=session, name="ci", role="read")
    with pytest.raises(ConflictError, match="already exists") as conflict:
        create_api_key(session=session, name="ci", role="admin")
    assert conflict.value.details == [{"field": "name", "reason": "already used"}]
    with pytest.raises(ValidationFailed, match="unknown role 'owner'") as bad_role:
        create_api_key(session=session, name="other", role="owner")
    assert bad_role.value.details[0]["field"] == "role"
    with pytest.raises(ValidationFailed) as bad_name:
        create_api_key(session=session, name="  ", role="read")
    assert bad_name.value.details[0]["field"] == "name"
    assert [k.name for k in list_api_keys(session=session)] == ["ci"]


def test_a_concurrent_create_is_a_conflict_and_the_callers_transaction_survives(engine: Engine) -> None:
    """Another transaction commits the same name between the name check and the insert: the unique constraint
    catches it (ConflictError), only the SAVEPOINT is rolled back, and the caller's work still commits."""
    with session_scope(engine) as session:
        raced: list[str] = []

        @event.listens_for(session, "before_flush")
        def other_writer(flushing: Session, _context: Any, _instances: Any) -> None:
            if not raced and any(isinstance(obj, ApiKey) for obj in flushing.new):
                raced.append("ci")
                with session_scope(engine) as other:
                    create_api_key(session=other, name="ci", role="admin")

        with pytest.raises(ConflictError, match="already exists") as conflict:
            create_api_key(session=session, name="ci", role="read")
        assert raced == ["ci"] and conflict.value.details == [{"field": "name", "reason": "already used"}]
        token = create_login_token(session=session)  # the session is still usable
        _, other = create_api_key(session=session, name="ci-2", role="read")
    with session_scope(engine) as session:
        assert [(k.name, k.role) for k in list_api_keys(session=session)] == [("ci", "admin"), ("ci-2", "read")]
        assert consume_login_token(session=session, token=token)
    assert other.id is not None


def test_nothing_is_committed_by_the_services(engine: Engine) -> None:
    """The caller's rollback undoes everything: a key, the password, a link, a session, a revocation."""
    with session_scope(engine) as session:
        key, _ = create_api_key(session=session, name="kept", role="read")
        ticket = create_session(session=session)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        create_api_key(session=session, name="lost", role="admin")
        set_password(session=session, password="never stored")  # also signs every browser out...
        link = create_login_token(session=session)
        create_session(session=session)
        revoke_api_key(session=session, name_or_prefix="kept")
        assert end_session(session=session, token=ticket.token) is False  # ...so there is nothing to end
        raise RuntimeError("the caller fails after the services ran")
    assert count(engine, WorkspaceSetting) == 0 and count(engine, LoginToken) == 0
    assert count(engine, WebSession) == 1
    with session_scope(engine) as session:
        assert [k.name for k in list_api_keys(session=session)] == ["kept"]
        assert authenticate_key(session=session, key=key) is not None
        assert session_principal(session=session, token=ticket.token) is not None
        assert not has_password(session=session) and not consume_login_token(session=session, token=link)


def test_a_used_link_is_only_spent_when_the_caller_commits(engine: Engine) -> None:
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert consume_login_token(session=session, token=token)
        raise RuntimeError("creating the browser session failed")
    with session_scope(engine) as session:
        assert consume_login_token(session=session, token=token)
    with session_scope(engine) as session:
        assert not consume_login_token(session=session, token=token)


def test_revoke_by_name_or_prefix(session: Session) -> None:
    key_a, _ = create_api_key(session=session, name="a", role="read")
    key_b, b = create_api_key(session=session, name="b", role="admin")
    key_c, c = create_api_key(session=session, name="c", role="write")
    assert revoke_api_key(session=session, name_or_prefix="a").revoked_at is not None
    assert revoke_api_key(session=session, name_or_prefix=b.prefix).name == "b"
    assert revoke_api_key(session=session, name_or_prefix=c.prefix.removeprefix("bp_")).name == "c"
    first = list_api_keys(session=session)[0].revoked_at
    assert revoke_api_key(session=session, name_or_prefix="a").revoked_at == first  # revoking twice: no-op
    for key in (key_a, key_b, key_c):
        assert authenticate_key(session=session, key=key) is None
    assert [k.name for k in list_api_keys(session=session)] == ["a", "b", "c"]  # history stays
    assert list_api_keys(session=session, include_revoked=False) == []
    with pytest.raises(NotFoundError, match="no API key") as missing:
        revoke_api_key(session=session, name_or_prefix="nobody")
    assert missing.value.details[0]["field"] == "name_or_prefix"


def test_password_is_salted_and_checked(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert not has_password(session=session)
        assert not check_password(session=session, password="anything-at-all")
        set_password(session=session, password="correct horse")
        assert has_password(session=session)
        assert check_password(session=session, password="correct horse")
        assert not check_password(session=session, password="correct horsE")
        assert not check_password(session=session, password="")
    first = dump_table(engine, "workspace_settings")
    assert "correct horse" not in first and "scrypt" in first
    with session_scope(engine) as session:
        set_password(session=session, password="correct horse")
    with engine.connect() as conn:
        value = conn.scalar(select(WorkspaceSetting.value))
    assert value["hash"] not in first  # a new salt, a new hash
    with pytest.raises(ValidationFailed) as short, session_scope(engine) as session:
        set_password(session=session, password="short")
    assert short.value.details[0]["field"] == "password"
    with session_scope(engine) as session:
        assert check_password(session=session, password="correct horse")


def test_changing_the_password_signs_everyone_out(session: Session) -> None:
    ticket = create_session(session=session)
    assert session_principal(session=session, token=ticket.token) is not None
    set_password(session=session, password="a new password")
    assert session_principal(session=session, token=ticket.token) is None


def test_login_token_works_once_and_expires(engine: Engine) -> None:
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    assert token not in dump_table(engine, "login_tokens")
    with session_scope(engine) as session:
        assert consume_login_token(session=session, token=token)
    with session_scope(engine) as session:
        assert not consume_login_token(session=session, token=token)
        assert not consume_login_token(session=session, token="not-a-token")
        late = create_login_token(session=session)
    with engine.begin() as conn:
        conn.execute(update(LoginToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    with session_scope(engine) as session:
        assert not consume_login_token(session=session, token=late)


def test_login_token_lifetime_comes_from_settings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.config import reset_settings

    monkeypatch.setenv("BIZPILOT_LOGIN_LINK_MINUTES", "3")
    reset_settings()
    with session_scope(engine) as session:
        create_login_token(session=session)
    with engine.connect() as conn:
        row = conn.execute(select(LoginToken.created_at, LoginToken.expires_at)).one()
    assert row.expires_at - row.created_at == timedelta(minutes=3)


def test_sessions_carry_csrf_expire_and_end(engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = create_session(session=session)
    assert ticket.max_age == 14 * 24 * 3600
    stored = dump_table(engine, "web_sessions")
    assert ticket.token not in stored
    with session_scope(engine) as session:
        principal = session_principal(session=session, token=ticket.token)
        assert principal is not None and (principal.kind, principal.role) == ("session", "admin")
        assert principal.csrf_token == ticket.csrf_token and ticket.csrf_token not in repr(principal)
        assert session_principal(session=session, token=ticket.token + "x") is None
        assert end_session(session=session, token=ticket.token)
        assert session_principal(session=session, token=ticket.token) is None
        assert not end_session(session=session, token=ticket.token)
        old = create_session(session=session)
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    with session_scope(engine) as session:
        assert session_principal(session=session, token=old.token) is None
        create_session(session=session)  # sweeps expired sessions
    with engine.connect() as conn:
        assert conn.scalar(select(WebSession.id).where(WebSession.expires_at < utcnow())) is None


def test_last_seen_is_touched_at_most_every_minute(engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = create_session(session=session)
    with engine.connect() as conn:
        created = conn.scalar(select(WebSession.last_seen_at))
    with session_scope(engine) as session:
        assert session_principal(session=session, token=ticket.token) is not None
    with engine.connect() as conn:
        assert conn.scalar(select(WebSession.last_seen_at)) == created  # seen at creation: no write yet
    with engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen_at=created - TOUCH_EVERY))
    with session_scope(engine) as session:
        assert session_principal(session=session, token=ticket.token) is not None
    with engine.connect() as conn:
        assert conn.scalar(select(WebSession.last_seen_at)) >= created
