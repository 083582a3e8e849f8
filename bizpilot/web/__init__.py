"""Server-rendered pages: built pages from ``routes``, placeholders for nav areas not built yet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from bizpilot.web.pages import BUILT_PATHS, NAV, STATIC_DIR, NavItem, render_error, render_placeholder
from bizpilot.web.routes import PAGE_ROUTERS


def _placeholder_endpoint(item: NavItem):  # type: ignore[no-untyped-def]
    def endpoint(request: Request) -> Response:
        return render_placeholder(request, item)

    return endpoint


def web_router() -> APIRouter:
    """All page routes (kept out of the OpenAPI schema); nav items without a page get a placeholder."""
    router = APIRouter(include_in_schema=False)
    served: set[str] = set()
    for page_router in PAGE_ROUTERS:
        router.include_router(page_router)
        served.update(route.path for route in page_router.routes if isinstance(route, APIRoute))
    BUILT_PATHS.clear()
    BUILT_PATHS.update(item.path for item in NAV if item.path in served)
    for item in NAV:
        if item.path not in served:
            router.add_api_route(item.path, _placeholder_endpoint(item), methods=["GET"], name=f"{item.key}")
    return router


__all__ = ["web_router", "render_error", "STATIC_DIR"]
