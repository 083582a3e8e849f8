"""Authentication use cases: API keys, the dashboard password, one-time login links and browser sessions.

Keys, link tokens and session ids are long random strings, so a plain SHA-256 is enough to store them (there is
nothing to brute-force) and lookups stay one indexed query. The password is chosen by a person, so it gets a
salted scrypt. Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
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

    kind: str  # "key" | "session" | "open"
    name: str
    role: str  # "read" | "write" | "admin"
    key_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = field(default=None, repr=False, compare=False)

    def allows(self, role: str) -> bool:
        """Roles are ordered read < write < admin; a higher role may do everything a lower one may."""
        return ROLES.index(self.role) >= ROLES.index(role)


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

def create_api_key(*, engine: Engine, name: str, role: str = "read") -> tuple[str, ApiKeyInfo]:
    """A new key and what may be shown about it. The key itself is returned only here and stored only hashed."""
    name, role = _check_name(name), check_role(role)
    try:
        with session_scope(engine) as session:
            if session.scalar(select(exists().where(ApiKey.name == name))):
                raise ConflictError(f"an API key named '{name}' already exists; choose another name",
                                    details=[{"field": "name", "reason": "already used"}])
            while True:  # a clash of two random 8-character ids is unlikely, but cheap to rule out
                prefix, key = _new_key()
                if not session.scalar(select(exists().where(ApiKey.prefix == prefix))):
                    break
            row = ApiKey(name=name, role=role, prefix=prefix, key_hash=hash_secret(key), created_at=utcnow())
            session.add(row)
            session.flush()
            info = ApiKeyInfo.model_validate(row)
    except IntegrityError:  # a concurrent create with the same name
        raise ConflictError(f"an API key named '{name}' already exists; choose another name",
                            details=[{"field": "name", "reason": "already used"}]) from None
    return key, info


def authenticate_key(*, engine: Engine, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key; None otherwise (the caller answers 401 either way)."""
    prefix = key_prefix(key)
    if prefix is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash, ApiKey.revoked_at,
                                  ApiKey.last_used_at).where(ApiKey.prefix == prefix)).first()
    if row is None or not hmac.compare_digest(row.key_hash, hash_secret(key.strip())):
        return None
    if row.revoked_at is not None or row.role not in ROLES:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return Principal(kind="key", name=row.name, role=row.role, key_id=row.id)


def list_api_keys(*, engine: Engine, include_revoked: bool = True) -> list[ApiKeyInfo]:
    with session_scope(engine) as session:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        return [ApiKeyInfo.model_validate(row) for row in session.scalars(query)]


def revoke_api_key(*, engine: Engine, name_or_prefix: str) -> ApiKeyInfo:
    """Revoke by name, by prefix (``bp_k3x9q2ab`` or ``k3x9q2ab``) or by the whole key; revoking twice is a no-op.

    Revoked keys stay listed (who had access, and when it ended) and stop working on the next request.
    """
    ident = (name_or_prefix or "").strip()
    prefixes = {ident, f"{KEY_SCHEME}_{ident}", key_prefix(ident) or ident}
    with session_scope(engine) as session:
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


def set_password(*, engine: Engine, password: str) -> None:
    """Store a salted scrypt hash of the workspace password and sign out every browser (a change of owner)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(f"the password must have {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
                               details=[{"field": "password", "reason": f"at least {MIN_PASSWORD_LENGTH} characters"}])
    salt = secrets.token_bytes(16)
    value = {"algorithm": "scrypt", **_SCRYPT, "salt": base64.b64encode(salt).decode("ascii"),
             "hash": base64.b64encode(_scrypt(password, salt, **_SCRYPT)).decode("ascii")}
    with session_scope(engine) as session:
        row = session.get(WorkspaceSetting, PASSWORD_SETTING)
        if row is None:
            session.add(WorkspaceSetting(key=PASSWORD_SETTING, value=value, updated_at=utcnow()))
        else:
            row.value = value
        session.execute(delete(WebSession))


def has_password(*, engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(select(exists().where(WorkspaceSetting.key == PASSWORD_SETTING))))


def check_password(*, engine: Engine, password: str) -> bool:
    """True when ``password`` is the workspace password; False when it is wrong or none is set."""
    with engine.connect() as conn:
        stored = conn.scalar(select(WorkspaceSetting.value).where(WorkspaceSetting.key == PASSWORD_SETTING))
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

def create_login_token(*, engine: Engine, minutes: int | None = None) -> str:
    """A random single-use token for ``/login/token/<token>``, valid ``minutes`` (default from settings)."""
    minutes = minutes or get_settings().login_link_minutes
    token = secrets.token_urlsafe(_SECRET_BYTES)
    now = utcnow()
    with session_scope(engine) as session:
        session.execute(delete(LoginToken).where(LoginToken.expires_at < now))
        session.add(LoginToken(token_hash=hash_secret(token), created_at=now,
                               expires_at=now + timedelta(minutes=minutes)))
    return token


def consume_login_token(*, engine: Engine, token: str) -> bool:
    """Use a login token: True once for a valid, unexpired token, False ever after (one atomic UPDATE)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    now = utcnow()
    with engine.begin() as conn:
        result = conn.execute(update(LoginToken)
                              .where(LoginToken.token_hash == hash_secret(token), LoginToken.used_at.is_(None),
                                     LoginToken.expires_at > now)
                              .values(used_at=now))
        return result.rowcount == 1


# --- browser sessions ---------------------------------------------------------------------------------------

def create_session(*, engine: Engine, days: int | None = None) -> SessionTicket:
    """A new dashboard session (after a password or one-time link login); expired sessions are swept here."""
    days = days or get_settings().session_days
    # The CSRF token is hex: it is echoed into every page, where it must never spell anything (e.g. "cdn").
    token, csrf = secrets.token_urlsafe(_SECRET_BYTES), secrets.token_hex(_SECRET_BYTES)
    now = utcnow()
    expires = now + timedelta(days=days)
    with session_scope(engine) as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(WebSession(token_hash=hash_secret(token), csrf_token=csrf, created_at=now, expires_at=expires,
                               last_seen_at=now))
    return SessionTicket(token=token, csrf_token=csrf, expires_at=expires, max_age=days * 24 * 3600)


def session_principal(*, engine: Engine, token: str) -> Principal | None:
    """The workspace owner's principal (role admin) for a live session cookie; None when unknown or expired."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(select(WebSession.id, WebSession.csrf_token, WebSession.expires_at,
                                  WebSession.last_seen_at).where(WebSession.token_hash == hash_secret(token))).first()
    if row is None or row.expires_at <= now:
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
    return Principal(kind="session", name="dashboard", role="admin", session_id=row.id, csrf_token=row.csrf_token)


def end_session(*, engine: Engine, token: str) -> bool:
    """Sign a browser out; True if there was a session to end."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    with engine.begin() as conn:
        return conn.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(token))).rowcount == 1


__all__ = [
    "Principal", "SessionTicket", "hash_secret", "check_role", "key_prefix", "create_api_key", "authenticate_key",
    "list_api_keys", "revoke_api_key", "set_password", "has_password", "check_password", "create_login_token",
    "consume_login_token", "create_session", "session_principal", "end_session",
]
