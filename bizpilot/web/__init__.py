"""Server-rendered pages: built pages from ``routes``, placeholders for nav areas not built yet."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from bizpilot.api.security import access_guard
from bizpilot.web.pages import (
    BUILT_PATHS,
    NAV,
    STATIC_DIR,
    NavItem,
    render_error,
    render_placeholder,
)
from bizpilot.web.routes import PAGE_ROUTERS, PUBLIC_ROUTERS


def _placeholder_endpoint(item: NavItem):  # type: ignore[no-untyped-def]
    def endpoint(request: Request) -> Response:
        return render_placeholder(request, item)

    return endpoint


def web_router() -> APIRouter:
    """All page routes (kept out of the OpenAPI schema); nav items without a page get a placeholder.

    Pages need a signed-in session (or a key, or open reads); only the sign-in pages are public.
    """
    site = APIRouter(include_in_schema=False)
    for public_router in PUBLIC_ROUTERS:
        site.include_router(public_router)
    router = APIRouter(include_in_schema=False, dependencies=[Depends(access_guard)])
    served: set[str] = set()
    for page_router in PAGE_ROUTERS:
        router.include_router(page_router)
        served.update(route.path for route in page_router.routes if isinstance(route, APIRoute))
    BUILT_PATHS.clear()
    BUILT_PATHS.update(item.path for item in NAV if item.path in served)
    for item in NAV:
        if item.path not in served:
            router.add_api_route(item.path, _placeholder_endpoint(item), methods=["GET"], name=f"{item.key}")
    site.include_router(router)
    return site


__all__ = ["web_router", "render_error", "STATIC_DIR"]
