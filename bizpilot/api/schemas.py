"""Response envelopes of the JSON API (pages, errors, health, stats), so OpenAPI documents them exactly."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: ``total`` counts every match, not just this page."""

    items: list[T]
    total: int = Field(description="Rows matching the filters and search, across all pages")
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, validation_error")
    message: str = Field(description="What went wrong, for people")
    details: list[dict[str, Any]] = Field(default_factory=list, description="Usually [{field, reason}]")


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    version: str
    database: str
    dialect: str


class Stats(BaseModel):
    tables: dict[str, int] = Field(description="Row count per table")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "Invalid parameters"},
    500: {"model": ErrorResponse, "description": "Unexpected error (details only in the server log)"},
    503: {"model": ErrorResponse, "description": "Database not initialised or unreachable"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse, "description": "No such row"}}
