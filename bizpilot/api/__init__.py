"""The JSON API under ``/api/v1``: registry-driven entity routes plus health and stats."""

from __future__ import annotations

from fastapi import APIRouter

from bizpilot.api.docs import docs_router
from bizpilot.api.entities import entity_router
from bizpilot.api.system import router as system_router

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"


def api_router(*, title: str = "bizpilot") -> APIRouter:
    """Everything under /api/v1; later features add their routers here."""
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(system_router)
    router.include_router(entity_router())
    router.include_router(docs_router(openapi_url=OPENAPI_URL, title=title))
    return router


__all__ = ["API_PREFIX", "OPENAPI_URL", "DOCS_URL", "api_router"]
