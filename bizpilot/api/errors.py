"""One error model for every failure the HTTP edge reports.

JSON clients always get ``{"error": {"code", "message", "details": [{"field", "reason"}, ...]}}``; browsers on
web pages get the same content rendered as a page. Unexpected exceptions are logged with their traceback and a
short reference id, and the client only ever sees that id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizpilot.errors import BizpilotError

logger = logging.getLogger("bizpilot.http")

API_PREFIX = "/api"
_SOURCES = {"query", "path", "body", "header", "cookie"}
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "validation_error", 429: "too_many_requests", 503: "service_unavailable"}

# (request, status, error dict) -> response; the web layer supplies an HTML variant.
Renderer = Callable[[Request, int, dict[str, Any]], Response]


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": list(details or [])}


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI error entries -> [{"field", "reason"}] with dotted field names (``limit``, ``lines.0.sku``)."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if len(loc) > 1 and loc[0] in _SOURCES:
            loc = loc[1:]
        out.append({"field": ".".join(loc) or "request", "reason": str(err.get("msg", "invalid value"))})
    return out


def wants_json(request: Request) -> bool:
    """API paths always get JSON; elsewhere a client that asks for JSON and not HTML gets it too."""
    path = request.url.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_error(_request: Request, status: int, error: dict[str, Any]) -> Response:
    return JSONResponse({"error": error}, status_code=status)


class ErrorResponder:
    """Chooses JSON or HTML for an error, so every handler below shares one decision."""

    def __init__(self, html: Renderer | None = None) -> None:
        self.html = html

    def __call__(self, request: Request, status: int, error: dict[str, Any],
                 headers: dict[str, str] | None = None) -> Response:
        if self.html is None or wants_json(request):
            response = json_error(request, status, error)
        else:
            try:
                response = self.html(request, status, error)
            except Exception:  # an error page must never fail; fall back to JSON
                logger.exception("error page rendering failed")
                response = json_error(request, status, error)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response


def install_error_handlers(app: FastAPI, *, html: Renderer | None = None) -> ErrorResponder:
    """Register handlers for expected errors and the catch-all middleware for unexpected ones."""
    respond = ErrorResponder(html)

    async def bizpilot_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BizpilotError)
        if exc.status >= 500:
            logger.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
        return respond(request, exc.status, exc.to_dict(), headers=getattr(exc, "headers", None))

    async def request_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = validation_details(exc.errors())
        summary = "; ".join(f"{d['field']}: {d['reason']}" for d in details[:5])
        return respond(request, 422, error_body("validation_error", f"invalid request: {summary}", details))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404 and exc.detail in (None, "Not Found"):
            message = f"no page or endpoint at {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return respond(request, exc.status_code, error_body(code, message), headers=exc.headers)

    app.add_exception_handler(BizpilotError, bizpilot_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(CatchAllMiddleware, respond=respond)
    return respond


class CatchAllMiddleware:
    """Turns any unhandled exception into a 500 in the error model; the traceback stays in the server log.

    A plain ASGI middleware (not ``add_exception_handler(Exception)``) so the exception is not re-raised to
    the server after the response, which would log it twice.
    """

    def __init__(self, app: ASGIApp, *, respond: ErrorResponder) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            ref = uuid.uuid4().hex[:12]
            logger.exception("unhandled error (ref %s) on %s %s", ref, scope.get("method"), scope.get("path"))
            if started:
                raise
            request = Request(scope)
            error = error_body("internal_error",
                               f"an unexpected error occurred; the server log has the details (ref {ref})",
                               [{"field": "ref", "reason": ref}])
            response = self.respond(request, 500, error)
            await response(scope, receive, send)

