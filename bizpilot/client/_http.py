"""The one HTTP connection of the client: sends requests, returns parsed JSON (or the bytes of a download) and turns
error responses into bizpilot exceptions carrying the server's code, message and details.

A 409 becomes :class:`Conflict` (a ``ConflictError``) with ``current_version`` when the server names the version it
holds (a stale ``If-Match``/``version``), so a caller can reload and apply its change again; a send the mail server
refused becomes :class:`SendFailed` with the stored message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

import httpx
from pydantic_core import to_jsonable_python

from bizpilot import errors

ExportFormat = Literal["csv", "xlsx"]


class _Unset(Enum):
    """Marks a keyword that was not given (so ``None`` can mean "clear this field")."""

    UNSET = "unset"


UNSET = _Unset.UNSET


class Conflict(errors.ConflictError):
    """A 409: the request clashes with what is stored. ``current_version`` is the record's stored version when the
    client sent a stale one (``stale`` is then true); None for other clashes (a name taken, a message sent)."""

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None,
                 current_version: int | None = None) -> None:
        super().__init__(message, details=details)
        self.current_version = current_version

    @property
    def stale(self) -> bool:
        return any(d.get("field") == "version" and d.get("reason") == "stale" for d in self.details)


class SendFailed(errors.BizpilotError, code="mail_error", status=502):
    """The mail server refused the message or could not be reached; ``outbox_message`` is the message as stored
    (status ``failed``, with the server's answer in ``error``)."""

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None,
                 outbox_message: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.outbox_message = outbox_message


_BY_CODE: tuple[type[errors.BizpilotError], ...] = (
    errors.ImportRejected, errors.UnsupportedFormat, errors.InsufficientData, errors.InvalidParameter,
    errors.ValidationFailed, errors.NotFoundError, errors.Unauthorized, errors.Forbidden)
_BY_STATUS: dict[int, type[errors.BizpilotError]] = {401: errors.Unauthorized, 403: errors.Forbidden,
                                                     404: errors.NotFoundError, 422: errors.ValidationFailed}


def _error_class(code: str, status: int) -> type[errors.BizpilotError]:
    for cls in _BY_CODE:
        if cls.code == code:
            return cls
    return _BY_STATUS.get(status, errors.BizpilotError)


def query(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the ones left out (None), dates as ISO text."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in params.items()
            if v is not None and v is not UNSET}


def body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body of the fields that were given (``UNSET`` left out; None kept: it clears a field)."""
    return to_jsonable_python({k: v for k, v in fields.items() if v is not UNSET})  # type: ignore[no-any-return]


def if_match(version: int | None) -> dict[str, str]:
    """The ``If-Match`` header for the version the caller read (none: any version)."""
    return {} if version is None else {"If-Match": f'"{int(version)}"'}


class Connection:
    """An HTTP session with one bizpilot server (``/api/v1``). Use as a context manager, or call :meth:`close`."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=timeout,
                                  transport=transport)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response of a request that succeeded; error responses raise (see :meth:`raise_for`)."""
        response = self._http.request(method, path, **kwargs)
        if not response.is_success:
            self.raise_for(response)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its parsed JSON (None for an empty answer such as 204)."""
        response = self.send(method, path, **kwargs)
        return response.json() if response.content else None

    def download(self, path: str, *, format: ExportFormat, params: Mapping[str, Any] | None = None) -> bytes:
        """The file a list route returns for ``?format=csv|xlsx`` (or any GET that answers with a file)."""
        return self.send("GET", path, params=query({**(params or {}), "format": format})).content

    @staticmethod
    def raise_for(response: httpx.Response) -> None:
        """Raise the bizpilot exception an error response stands for, with the server's message and details."""
        try:
            payload = response.json()
            error = payload["error"]
            if not isinstance(error, dict):
                raise TypeError("error is not an object")
        except (ValueError, KeyError, TypeError):
            payload = {}
            error = {"code": "api_error", "message": response.text[:500] or response.reason_phrase, "details": []}
        code, message = str(error.get("code") or ""), str(error.get("message") or "")
        details = error.get("details") or []
        exc: errors.BizpilotError
        if code == errors.ModelNotReady.code:  # a model still training: its name and state say so
            exc = errors.ModelNotReady(message, model=str(error.get("model", "")), state=str(error.get("state", "")),
                                       details=details)
        elif response.status_code == 409:
            current = next((d.get("current") for d in details if d.get("field") == "version"), None)
            exc = Conflict(message, details=details, current_version=current if isinstance(current, int) else None)
        elif code == SendFailed.code:
            exc = SendFailed(message, details=details, outbox_message=payload.get("outbox_message"))
        else:
            exc = _error_class(code, response.status_code)(message, details=details)
        exc.code = code or exc.code  # e.g. database_not_ready, which has no class of its own here
        exc.status = response.status_code
        raise exc

    def close(self) -> None:
        self._http.close()


__all__ = ["UNSET", "Conflict", "Connection", "ExportFormat", "SendFailed", "body", "if_match", "query"]
