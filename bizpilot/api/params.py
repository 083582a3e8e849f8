"""The API's shared parameter types and error responses, so every route bounds its integers the same way (a value
the database cannot hold is a 422, never a 500) and documents every status code it can answer.

- ``Id`` (path), ``IdQuery`` (optional query), ``IdField`` (body field): 1..2^63-1, SQLite's INTEGER and
  PostgreSQL's BIGINT; ``Offset``: 0..2^63-1.
- ``errors(404, 409, ...)``: the ``responses=`` of a route, in the one error model, with a default description per
  code (``errors(404, descriptions={404: "No such task"})`` to say more).
- ``document_errors(router)``: what any protected route can answer besides its own codes (401/403 from the
  access guard, 503 when the database is not ready, 500, 422 for routes with parameters, 400 for routes with a
  body, 404 for routes with path parameters), added to each route where it does not say otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import Field

from bizpilot.api.schemas import ErrorResponse

MAX_ID = 2**63 - 1  # the largest id SQLite (INTEGER) and PostgreSQL (BIGINT) store
MAX_OFFSET = MAX_ID

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="The id")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this id")]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request body could not be read (not JSON, or not UTF-8)",
    401: "Missing, invalid or revoked credentials",
    403: "The key's role does not allow this, or a CSRF token is missing",
    404: "No such record (or no such path)",
    409: "Conflict with the stored state (a stale version, a taken name or key)",
    413: "The upload is too large",
    422: "Invalid parameters or body (each field named with its reason)",
    500: "Unexpected error (details only in the server log)",
    502: "The remote server refused or failed",
    503: "Not available yet: the database is not ready, or a model this needs is not trained yet (retry later)",
}


def errors(*codes: int, descriptions: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these status codes, each with the error model and a description."""
    said = dict(descriptions or {})
    return {code: {"model": ErrorResponse, "description": said.get(code, ERROR_DESCRIPTIONS[code])}
            for code in codes}


def _parameters(dependant: Dependant) -> tuple[bool, bool]:
    """(has path parameters, has any parameter), the route's dependencies included."""
    path = bool(dependant.path_params)
    anything = path or bool(dependant.query_params or dependant.header_params or dependant.cookie_params)
    for sub in dependant.dependencies:
        sub_path, sub_any = _parameters(sub)
        path, anything = path or sub_path, anything or sub_any
    return path, anything


def _defaults(route: APIRoute) -> tuple[int, ...]:
    codes = [401, 403, 500, 503]
    path, anything = _parameters(route.dependant)
    if path:
        codes.append(404)
    if anything or route.body_field is not None:
        codes.append(422)
    if route.body_field is not None:
        codes.append(400)
    return tuple(codes)


def document_errors(router: APIRouter) -> APIRouter:
    """Add the error responses every route of ``router`` can give to those it documents itself (its own
    descriptions win; a 422 without the error model gets it: FastAPI's default shape is not what we answer)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)  # FastAPI includes routers lazily
        if isinstance(included, APIRouter):
            document_errors(included)
        if not isinstance(route, APIRoute):
            continue
        documented = dict(route.responses)  # a copy: routes may share one module-level dict
        for code, response in errors(*_defaults(route)).items():
            own = documented.get(code)
            if own is None:
                documented[code] = response
            elif "model" not in own:
                documented[code] = {**own, "model": ErrorResponse}
        route.responses = documented
    return router


__all__ = ["MAX_ID", "MAX_OFFSET", "Id", "IdQuery", "IdField", "Offset", "ERROR_DESCRIPTIONS", "errors",
           "document_errors"]
