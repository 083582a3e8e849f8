"""Authentication use cases: API keys, the dashboard password, one-time login links and browser sessions.

Keys, link tokens and session ids are long random strings, so a plain SHA-256 is enough to store them (there is
nothing to brute-force) and lookups stay one indexed query. The password is chosen by a person, so it gets a
salted scrypt. Secrets are compared in constant time and never logged.

Like every service, these take the caller's ``session`` and never commit: the edge (a request, a page, a CLI
command) owns the unit of work, so a key, a password or a sign-in is stored together with whatever else the
caller does, or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed

KEY_SCHEME = "bp"
KEY_ID_LENGTH = 8
_KEY_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, 256 bits
_MAX_TOKEN_LENGTH = 256
# last_used_at / last_seen_at are refreshed at most this often, so authenticating stays (almost) read-only.
TOUCH_EVERY = timedelta(seconds=60)
PASSWORD_SETTING = "auth.password"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_SCRYPT_MAXMEM = 64 * 1024 * 1024


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, a signed-in dashboard session, or anonymous open reads on loopback."""

    kind: str  # "key" | "session" | "open" | "system" (the CLI, imports, background jobs)
    name: str
    role: str  # a user role (viewer, service, sales, manager, admin) or a key's level (read, write, admin)
    key_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = field(default=None, repr=False, compare=False)
    user_id: int | None = None

    @property
    def level(self) -> str:
        """The access level of the role: read, write or admin (what the router guards check)."""
        return ROLE_LEVELS[self.role]

    def allows(self, level: str) -> bool:
        """Levels are ordered read < write < admin; a higher level may do everything a lower one may."""
        return ROLES.index(self.level) >= ROLES.index(ROLE_LEVELS.get(level, level))

    @property
    def changes_everything(self) -> bool:
        """Managers and admins (and the system, and a key with no user) change every record; sales and service
        users only what they own; viewers nothing."""
        return self.role in ("manager", "admin", "write")


# The access level of every role: viewers read; service, sales and managers write (service and sales only what
# they own); admins also manage users, keys and settings. read/write/admin are also roles themselves (keys made
# without a user, and the system).
ROLE_LEVELS: dict[str, str] = {"viewer": "read", "read": "read", "service": "write", "sales": "write",
                               "manager": "write", "write": "write", "admin": "admin"}
SYSTEM = Principal(kind="system", name="system", role="admin")


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


def create_api_key(*, session: Session, name: str, role: str = "read") -> tuple[str, ApiKeyInfo]:
    """A new key and what may be shown about it. The key itself is returned only here and stored only hashed.

    The insert is flushed (the id is in the returned info) inside a SAVEPOINT: a concurrent create with the same
    name is a ConflictError and leaves the caller's transaction usable.
    """
    name, role = _check_name(name), check_role(role)
    if session.scalar(select(exists().where(ApiKey.name == name))):
        raise _name_taken(name)
    while True:  # a clash of two random 8-character ids is unlikely, but cheap to rule out
        prefix, key = _new_key()
        if not session.scalar(select(exists().where(ApiKey.prefix == prefix))):
            break
    row = ApiKey(name=name, role=role, prefix=prefix, key_hash=hash_secret(key), created_at=utcnow())
    _begin_outer(session)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent create with the same name got there first
        raise _name_taken(name) from None
    return key, ApiKeyInfo.model_validate(row)


def authenticate_key(*, session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key; None otherwise (the caller answers 401 either way).

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
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.flush()
    return Principal(kind="key", name=row.name, role=row.role, key_id=row.id)


def list_api_keys(*, session: Session, include_revoked: bool = True) -> list[ApiKeyInfo]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return [ApiKeyInfo.model_validate(row) for row in session.scalars(query)]


def revoke_api_key(*, session: Session, name_or_prefix: str) -> ApiKeyInfo:
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
    return ApiKeyInfo.model_validate(row)


# --- dashboard password -------------------------------------------------------------------------------------

def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int, dklen: int = 32) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=dklen)


def set_password(*, session: Session, password: str) -> None:
    """Store a salted scrypt hash of the workspace password and sign out every browser (a change of owner)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(f"the password must have {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
                               details=[{"field": "password", "reason": f"at least {MIN_PASSWORD_LENGTH} characters"}])
    salt = secrets.token_bytes(16)
    value = {"algorithm": "scrypt", **_SCRYPT, "salt": base64.b64encode(salt).decode("ascii"),
             "hash": base64.b64encode(_scrypt(password, salt, **_SCRYPT)).decode("ascii")}
    row = session.get(WorkspaceSetting, PASSWORD_SETTING)
    if row is None:
        session.add(WorkspaceSetting(key=PASSWORD_SETTING, value=value, updated_at=utcnow()))
    else:
        row.value = value
    session.execute(delete(WebSession))
    session.flush()


def has_password(*, session: Session) -> bool:
    return bool(session.scalar(select(exists().where(WorkspaceSetting.key == PASSWORD_SETTING))))


def check_password(*, session: Session, password: str) -> bool:
    """True when ``password`` is the workspace password; False when it is wrong or none is set."""
    stored = session.scalar(select(WorkspaceSetting.value).where(WorkspaceSetting.key == PASSWORD_SETTING))
    if not stored or stored.get("algorithm") != "scrypt" or not isinstance(password, str):
        return False
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        salt, expected = base64.b64decode(stored["salt"]), base64.b64decode(stored["hash"])
        actual = _scrypt(password, salt, n=int(stored["n"]), r=int(stored["r"]), p=int(stored["p"]),
                         dklen=len(expected))
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(actual, expected)


# --- one-time login links -----------------------------------------------------------------------------------

def create_login_token(*, session: Session, minutes: int | None = None) -> str:
    """A random single-use token for ``/login/token/<token>``, valid ``minutes`` (default from settings).

    The link works once the caller has committed (``bizpilot serve`` prints it after its transaction).
    """
    minutes = minutes or get_settings().login_link_minutes
    token = secrets.token_urlsafe(_SECRET_BYTES)
    now = utcnow()
    session.execute(delete(LoginToken).where(LoginToken.expires_at < now))
    session.add(LoginToken(token_hash=hash_secret(token), created_at=now, expires_at=now + timedelta(minutes=minutes)))
    session.flush()
    return token


def consume_login_token(*, session: Session, token: str) -> bool:
    """Use a login token: True once for a valid, unexpired token, False ever after.

    One atomic ``UPDATE ... WHERE used_at IS NULL``: of two concurrent uses, the second waits for the first's
    row lock and then matches no row, so a link can never open two sessions.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    now = utcnow()
    result = session.execute(update(LoginToken)
                             .where(LoginToken.token_hash == hash_secret(token), LoginToken.used_at.is_(None),
                                    LoginToken.expires_at > now)
                             .values(used_at=now))
    return result.rowcount == 1


# --- browser sessions ---------------------------------------------------------------------------------------

def create_session(*, session: Session, days: int | None = None) -> SessionTicket:
    """A new dashboard session (after a password or one-time link login); expired sessions are swept here."""
    days = days or get_settings().session_days
    # The CSRF token is hex: it is echoed into every page, where it must never spell anything (e.g. "cdn").
    token, csrf = secrets.token_urlsafe(_SECRET_BYTES), secrets.token_hex(_SECRET_BYTES)
    now = utcnow()
    expires = now + timedelta(days=days)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(token_hash=hash_secret(token), csrf_token=csrf, created_at=now, expires_at=expires,
                           last_seen_at=now))
    session.flush()
    return SessionTicket(token=token, csrf_token=csrf, expires_at=expires, max_age=days * 24 * 3600)


def session_principal(*, session: Session, token: str) -> Principal | None:
    """The workspace owner's principal (role admin) for a live session cookie; None when unknown or expired.

    ``last_seen_at`` is written at most every TOUCH_EVERY; the caller's commit stores it.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_secret(token)))
    if row is None or row.expires_at <= now:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return Principal(kind="session", name="dashboard", role="admin", session_id=row.id, csrf_token=row.csrf_token)


def end_session(*, session: Session, token: str) -> bool:
    """Sign a browser out; True if there was a session to end."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    result = session.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(token)))
    return result.rowcount == 1


__all__ = [
    "ROLE_LEVELS", "SYSTEM", "Principal", "SessionTicket",
    "hash_secret", "check_role", "key_prefix", "create_api_key", "authenticate_key",
    "list_api_keys", "revoke_api_key", "set_password", "has_password", "check_password", "create_login_token",
    "consume_login_token", "create_session", "session_principal", "end_session",
]
