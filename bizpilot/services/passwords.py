"""Passwords people choose (the workspace's, each user's): stored only as a salted scrypt hash, checked in constant
time. Keys and tokens are random and need no such cost (``services/auth.py::hash_secret``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from bizpilot.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int, dklen: int = 32) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=dklen)


def hash_password(password: str, *, field: str = "password") -> dict[str, Any]:
    """A salted scrypt hash (parameters, salt and hash) of a password a person chose; ``field`` names it in errors."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(f"the password must have {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
                               details=[{"field": field, "reason": f"at least {MIN_PASSWORD_LENGTH} characters"}])
    salt = secrets.token_bytes(16)
    return {"algorithm": "scrypt", **_SCRYPT, "salt": base64.b64encode(salt).decode("ascii"),
            "hash": base64.b64encode(_scrypt(password, salt, **_SCRYPT)).decode("ascii")}


def verify_password(stored: dict[str, Any] | None, password: str) -> bool:
    """True when ``password`` matches the ``hash_password`` value ``stored``; False when wrong or none is stored."""
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


__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "hash_password", "verify_password"]
