"""Keep secrets out of the logs: a filter that redacts login-link tokens, API keys and secret query parameters.

uvicorn's access log writes every request line with its query string, so the one-time login link
(``/login/token/<token>``) would otherwise sit in the log in full, usable by anyone who reads it within its
lifetime. The filter rewrites the string arguments of each record (keeping their number, which uvicorn's access
formatter relies on) and its message; it is attached to the server's loggers by ``install``.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# Query parameters whose value is a credential wherever they appear.
SECRET_PARAMS = ("token", "key", "api_key", "apikey", "access_token", "password", "secret", "csrf_token")
# The loggers that write request lines (a logger's filter sees only records made on it, not its children's; the
# product's own loggers never log secrets, which tests/api/test_security_logs.py checks).
LOGGERS = ("uvicorn.access", "uvicorn.error", "bizpilot.http")

_LOGIN_LINK = re.compile(r"(/login/token/)([^/?#\s\"']+)")
_QUERY = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)([^&#\s\"']+)", re.IGNORECASE)
_API_KEY = re.compile(r"\b(bp_[A-Za-z0-9]+_)[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=\-]{8,}", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with login-link tokens (first 4 characters kept, to tell links apart), secret query values, API key
    secrets and bearer credentials replaced."""
    text = _LOGIN_LINK.sub(lambda m: f"{m.group(1)}{m.group(2)[:4]}…{REDACTED}", text)
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _API_KEY.sub(lambda m: m.group(1) + REDACTED, text)
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Redacts in place and lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


_FILTER = RedactSecrets()


def install() -> None:
    """Attach the filter to the server's loggers (once; uvicorn's logging config keeps filters added before it)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


__all__ = ["redact", "RedactSecrets", "install", "REDACTED"]
