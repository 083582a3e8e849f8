"""Authentication use cases: API keys, the dashboard password, one-time login links and browser sessions.

Keys, link tokens and session ids are long random strings, so a plain SHA-256 is enough to store them (there is
nothing to brute-force) and lookups stay one indexed query. Passwords (the workspace's and each user's) are chosen
by people, so they get a salted scrypt (``hash_password``/``verify_password``). Secrets are compared in constant
time and never logged.

Keys, sessions and login links belong to a user (``user_id``); a key acts with its user's role capped by the key's
level (``effective_role``), and a deactivated user's keys and sessions stop working. Without a user they belong to
the workspace owner (a single-person install): sessions act as admin, keys with their level.

Like every service, these take the caller's ``session`` and never commit: the edge (a request, a page, a CLI
command) owns the unit of work, so a key, a password or a sign-in is stored together with whatever else the
caller does, or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.domain.security import (
    ROLES,
    ApiKey,
    ApiKeyInfo,
    LoginToken,
    WebSession,
    WorkspaceSetting,
)
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from bizpilot.services.principal import (
    KEY_CAPS,
    OWNER_NAME,
    ROLE_LEVELS,
    ROLE_RANK,
    SYSTEM,
    Principal,
    effective_role,
)

KEY_SCHEME = "bp"
KEY_ID_LENGTH = 8
_KEY_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, 256 bits
_MAX_TOKEN_LENGTH = 256
# last_used_at / last_seen_at are refreshed at most this often, so authenticating stays (almost) read-only.
TOUCH_EVERY = timedelta(seconds=60)
PASSWORD_SETTING = "auth.password"


# The default owner of a key or login link made without naming a user.
FIRST_ADMIN = "first_admin"
UserRef = int | None | Literal["first_admin"]


@dataclass(frozen=True)
class SessionTicket:
    """A new browser session: the cookie value and CSRF token are only available here, at creation."""

    token: str = field(repr=False)
    csrf_token: str = field(repr=False)
    expires_at: datetime
    max_age: int  # seconds, for the cookie


def hash_secret(value: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (keys, tokens); never used for passwords."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in ROLES:
        raise ValidationFailed(f"unknown role '{role}'; choose one of {', '.join(ROLES)}",
                               details=[{"field": "role", "reason": f"must be one of {', '.join(ROLES)}"}])
    return value


def _check_name(name: str) -> str:
    value = (name or "").strip()
    if not value or len(value) > 64 or not value.isprintable():
        raise ValidationFailed("a key name must be 1-64 printable characters",
                               details=[{"field": "name", "reason": "1-64 printable characters"}])
    return value


def key_prefix(key: str) -> str | None:
    """``bp_<id>`` of a well-formed key ``bp_<id>_<secret>``; None for anything else."""
    parts = (key or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != KEY_ID_LENGTH or len(parts[2]) < 32:
        return None
    if len(key) > _MAX_TOKEN_LENGTH or any(c not in _KEY_ID_ALPHABET for c in parts[1]):
        return None
    return f"{KEY_SCHEME}_{parts[1]}"


def _new_key() -> tuple[str, str]:
    ident = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
    prefix = f"{KEY_SCHEME}_{ident}"
    return prefix, f"{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def first_admin(*, session: Session) -> User | None:
    """The active admin created first: whom the workspace password signs in as and who owns keys and links made
    without a user. None where there are no users (a single-person install) or no active admin."""
    return session.scalar(select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(1))


def _owner_id(session: Session, user_id: UserRef) -> int | None:
    """The user a new key or link belongs to: the one named, the first admin by default, or nobody."""
    if user_id == FIRST_ADMIN:
        admin = first_admin(session=session)
        return admin.id if admin is not None else None
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}", details=[{"field": "user", "reason": "no such user"}])
    if not user.active:
        raise ValidationFailed(f"user '{user.name}' is deactivated; activate them first",
                               details=[{"field": "user", "reason": "deactivated", "value": user.name}])
    return user.id


def _user_of(session: Session, user_id: int | None) -> tuple[bool, User | None]:
    """(usable, user) for a key or session: one of nobody is usable, one of a missing or deactivated user not."""
    if user_id is None:
        return True, None
    user = session.get(User, user_id)
    return user is not None and user.active, user


# --- API keys ------------------------------------------------------------------------------------------------

def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"an API key named '{name}' already exists; choose another name",
                         details=[{"field": "name", "reason": "already used"}])


def _begin_outer(session: Session) -> None:
    """Make sure the caller's transaction has really begun before a SAVEPOINT on SQLite.

    pysqlite sends BEGIN only before the first write, so a SAVEPOINT issued first would be the outermost
    transaction and its RELEASE would commit on the spot, outside the caller's unit of work. PostgreSQL (and
    SQLite after any write in this transaction) needs nothing.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN")


class KeyInfo(ApiKeyInfo):
    """What may be shown about a key, with the user it belongs to (None: a key of the workspace, acting with its
    level)."""

    user_id: int | None = None
    user: str | None = None


def _key_info(row: ApiKey, user_name: str | None) -> KeyInfo:
    return KeyInfo.model_validate(row).model_copy(update={"user": user_name})


def create_api_key(*, session: Session, name: str, role: str = "read",
                   user_id: UserRef = FIRST_ADMIN) -> tuple[str, KeyInfo]:
    """A new key and what may be shown about it. The key itself is returned only here and stored only hashed.

    The key belongs to ``user_id`` (by default the workspace's first admin, or nobody where there are no users)
    and acts with that user's role capped by ``role``.

    The insert is flushed (the id is in the returned info) inside a SAVEPOINT: a concurrent create with the same
    name is a ConflictError and leaves the caller's transaction usable.
    """
    name, role = _check_name(name), check_role(role)
    owner = _owner_id(session, user_id)
    if session.scalar(select(exists().where(ApiKey.name == name))):
        raise _name_taken(name)
    while True:  # a clash of two random 8-character ids is unlikely, but cheap to rule out
        prefix, key = _new_key()
        if not session.scalar(select(exists().where(ApiKey.prefix == prefix))):
            break
    row = ApiKey(name=name, role=role, user_id=owner, prefix=prefix, key_hash=hash_secret(key), created_at=utcnow())
    _begin_outer(session)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent create with the same name got there first
        raise _name_taken(name) from None
    return key, _key_info(row, session.get(User, owner).name if owner is not None else None)


def authenticate_key(*, session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key of an active user (or of nobody); None otherwise (the caller answers
    401 either way). It acts with ``effective_role`` of its user's role and its level.

    ``last_used_at`` is written at most every TOUCH_EVERY, so most requests only read; the caller's commit
    stores the touch.
    """
    prefix = key_prefix(key)
    if prefix is None:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or not hmac.compare_digest(row.key_hash, hash_secret(key.strip())):
        return None
    if row.revoked_at is not None or row.role not in ROLES:
        return None
    usable, user = _user_of(session, row.user_id)
    if not usable:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.flush()
    if user is None:
        return Principal(kind="key", name=row.name, role=row.role, key_id=row.id)
    return Principal(kind="key", name=row.name, role=effective_role(user.role, row.role), key_id=row.id,
                     user_id=user.id, user_name=user.name)


def list_api_keys(*, session: Session, include_revoked: bool = True) -> list[KeyInfo]:
    query = (select(ApiKey, User.name).outerjoin(User, User.id == ApiKey.user_id)
             .order_by(ApiKey.created_at, ApiKey.id))
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return [_key_info(row, user_name) for row, user_name in session.execute(query)]


def revoke_api_key(*, session: Session, name_or_prefix: str) -> KeyInfo:
    """Revoke by name, by prefix (``bp_k3x9q2ab`` or ``k3x9q2ab``) or by the whole key; revoking twice is a no-op.

    Revoked keys stay listed (who had access, and when it ended) and stop working once the caller commits.
    """
    ident = (name_or_prefix or "").strip()
    prefixes = {ident, f"{KEY_SCHEME}_{ident}", key_prefix(ident) or ident}
    rows = list(session.scalars(select(ApiKey).where(or_(ApiKey.name == ident, ApiKey.prefix.in_(prefixes)))))
    if not rows:
        raise NotFoundError(f"no API key with the name or prefix '{ident}'; `bizpilot keys list` shows them",
                            details=[{"field": "name_or_prefix", "reason": "no such key"}])
    row = next((r for r in rows if r.name == ident), rows[0])
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return _key_info(row, session.get(User, row.user_id).name if row.user_id is not None else None)


# --- passwords ---------------------------------------------------------------------------------------------

def set_password(*, session: Session, password: str) -> None:
    """Store a salted scrypt hash of the workspace password and sign out every browser it may have signed in: the
    workspace owner's and the first admin's (whom it signs in as). Other users keep their sessions."""
    value = hash_password(password)
    row = session.get(WorkspaceSetting, PASSWORD_SETTING)
    if row is None:
        session.add(WorkspaceSetting(key=PASSWORD_SETTING, value=value, updated_at=utcnow()))
    else:
        row.value = value
    admin = first_admin(session=session)
    end_sessions(session=session, user_id=None)
    if admin is not None:
        end_sessions(session=session, user_id=admin.id)
    session.flush()


def has_password(*, session: Session) -> bool:
    return bool(session.scalar(select(exists().where(WorkspaceSetting.key == PASSWORD_SETTING))))


def check_password(*, session: Session, password: str) -> bool:
    """True when ``password`` is the workspace password; False when it is wrong or none is set."""
    stored = session.scalar(select(WorkspaceSetting.value).where(WorkspaceSetting.key == PASSWORD_SETTING))
    return verify_password(stored, password)


# --- one-time login links -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginGrant:
    """A login link that was just used: whom it signs in (None: the workspace owner)."""

    user_id: int | None


def create_login_token(*, session: Session, minutes: int | None = None, user_id: UserRef = FIRST_ADMIN) -> str:
    """A random single-use token for ``/login/token/<token>``, valid ``minutes`` (default from settings), that signs
    in ``user_id`` (by default the first admin, or the workspace owner where there are no users).

    The link works once the caller has committed (``bizpilot serve`` prints it after its transaction).
    """
    minutes = minutes or get_settings().login_link_minutes
    token = secrets.token_urlsafe(_SECRET_BYTES)
    now = utcnow()
    session.execute(delete(LoginToken).where(LoginToken.expires_at < now))
    session.add(LoginToken(token_hash=hash_secret(token), user_id=_owner_id(session, user_id), created_at=now,
                           expires_at=now + timedelta(minutes=minutes)))
    session.flush()
    return token


def consume_login_token(*, session: Session, token: str) -> LoginGrant | None:
    """Use a login token: whom it signs in, once, for a valid, unexpired token of an active user; None ever after.

    One atomic ``UPDATE ... WHERE used_at IS NULL``: of two concurrent uses, the second waits for the first's
    row lock and then matches no row, so a link can never open two sessions.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    digest = hash_secret(token)
    result = session.execute(update(LoginToken)
                             .where(LoginToken.token_hash == digest, LoginToken.used_at.is_(None),
                                    LoginToken.expires_at > now)
                             .values(used_at=now))
    if result.rowcount != 1:
        return None
    user_id = session.scalar(select(LoginToken.user_id).where(LoginToken.token_hash == digest))
    usable, _ = _user_of(session, user_id)
    return LoginGrant(user_id=user_id) if usable else None


# --- browser sessions ---------------------------------------------------------------------------------------

def create_session(*, session: Session, days: int | None = None, user_id: int | None = None) -> SessionTicket:
    """A new dashboard session of ``user_id`` (None: the workspace owner) after a password or one-time link login;
    expired sessions are swept here."""
    days = days or get_settings().session_days
    # The CSRF token is hex: it is echoed into every page, where it must never spell anything (e.g. "cdn").
    token, csrf = secrets.token_urlsafe(_SECRET_BYTES), secrets.token_hex(_SECRET_BYTES)
    now = utcnow()
    expires = now + timedelta(days=days)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(token_hash=hash_secret(token), csrf_token=csrf, user_id=user_id, created_at=now,
                           expires_at=expires, last_seen_at=now))
    session.flush()
    return SessionTicket(token=token, csrf_token=csrf, expires_at=expires, max_age=days * 24 * 3600)


def session_principal(*, session: Session, token: str) -> Principal | None:
    """The principal of a live session cookie: its user with their role, or the workspace owner (role admin) for a
    session of nobody; None when unknown, expired, or the user is deactivated.

    ``last_seen_at`` is written at most every TOUCH_EVERY; the caller's commit stores it.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_secret(token)))
    if row is None or row.expires_at <= now:
        return None
    usable, user = _user_of(session, row.user_id)
    if not usable:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    if user is None:
        return Principal(kind="session", name=OWNER_NAME, role="admin", session_id=row.id, csrf_token=row.csrf_token)
    return Principal(kind="session", name=user.name, role=user.role, session_id=row.id, csrf_token=row.csrf_token,
                     user_id=user.id, user_name=user.name)


def end_session(*, session: Session, token: str) -> bool:
    """Sign a browser out; True if there was a session to end."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    result = session.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(token)))
    return result.rowcount == 1


def end_sessions(*, session: Session, user_id: int | None, keep: int | None = None) -> int:
    """Sign out every browser of ``user_id`` (None: the workspace owner's) but session ``keep``; how many ended."""
    query = delete(WebSession).where(WebSession.user_id.is_(None) if user_id is None
                                     else WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return session.execute(query).rowcount


__all__ = [
    "ROLE_LEVELS", "ROLE_RANK", "KEY_CAPS", "SYSTEM", "OWNER_NAME", "FIRST_ADMIN", "Principal", "SessionTicket",
    "KeyInfo", "LoginGrant", "UserRef", "effective_role", "first_admin", "hash_password", "verify_password",
    "MIN_PASSWORD_LENGTH", "MAX_PASSWORD_LENGTH", "hash_secret", "check_role", "key_prefix", "create_api_key",
    "authenticate_key", "list_api_keys", "revoke_api_key", "set_password", "has_password", "check_password",
    "create_login_token", "consume_login_token", "create_session", "session_principal", "end_session", "end_sessions",
]
