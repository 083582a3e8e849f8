"""The JSON API under ``/api/v1``: registry-driven entity routes plus health and stats."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bizpilot.api.assistant import router as assistant_router
from bizpilot.api.content import router as content_router
from bizpilot.api.docs import docs_router
from bizpilot.api.entities import entity_router
from bizpilot.api.glossary import router as glossary_router
from bizpilot.api.imports import router as imports_router
from bizpilot.api.industry import router as industry_router
from bizpilot.api.intelligence import router as intelligence_router
from bizpilot.api.invoices import router as invoices_router
from bizpilot.api.models import router as models_router
from bizpilot.api.outreach import router as outreach_router
from bizpilot.api.params import document_errors
from bizpilot.api.pipeline import router as pipeline_router
from bizpilot.api.recommend import router as recommend_router
from bizpilot.api.security import AUTH_RESPONSES, access_guard, keys_router
from bizpilot.api.signals import router as signals_router
from bizpilot.api.system import router as system_router
from bizpilot.api.tasks import router as tasks_router
from bizpilot.api.users import router as users_router
from bizpilot.api.webhooks import router as webhooks_router

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"


# Routes that hold no data and stay open: health (probes) and the docs page (the schema is served by the app).
PUBLIC_PATHS = frozenset({"/health"})


def _split(source: APIRouter, paths: frozenset[str]) -> tuple[APIRouter, APIRouter]:
    """(routes of ``source`` whose path is in ``paths``, all the others), keeping their tags and settings."""
    public, private = APIRouter(), APIRouter()
    for route in source.routes:
        (public if getattr(route, "path", None) in paths else private).routes.append(route)
    return public, private


def api_router(*, title: str = "bizpilot") -> APIRouter:
    """Everything under /api/v1; later features add their routers to ``router``, where every route needs a key
    or a dashboard session (role read for GET, write for POST/PUT/PATCH/DELETE; see ``api.security``)."""
    root = APIRouter(prefix=API_PREFIX)
    public_system, system = _split(system_router, PUBLIC_PATHS)
    root.include_router(public_system)
    root.include_router(docs_router(openapi_url=OPENAPI_URL, title=title))
    router = APIRouter(dependencies=[Depends(access_guard)], responses=AUTH_RESPONSES)
    router.include_router(system)
    router.include_router(entity_router())
    router.include_router(keys_router)
    router.include_router(imports_router)
    router.include_router(content_router)
    router.include_router(assistant_router)
    router.include_router(signals_router)
    router.include_router(intelligence_router)
    router.include_router(recommend_router)
    router.include_router(models_router)
    router.include_router(glossary_router)
    router.include_router(industry_router)
    router.include_router(pipeline_router)
    router.include_router(outreach_router)
    router.include_router(webhooks_router)
    router.include_router(users_router)
    router.include_router(tasks_router)
    router.include_router(invoices_router)
    root.include_router(document_errors(router))  # the codes any route can answer
    return root


__all__ = ["API_PREFIX", "OPENAPI_URL", "DOCS_URL", "api_router"]
