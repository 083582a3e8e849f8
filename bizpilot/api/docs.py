"""Swagger UI served from the bundled ``swagger-ui-dist`` files: the product works offline, so no CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

STATIC_PREFIX = "/static/vendor/swagger-ui"


def docs_router(*, openapi_url: str, title: str) -> APIRouter:
    router = APIRouter()

    @router.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{title} - API docs",
            swagger_js_url=f"{root}{STATIC_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True},
        )
        # The start-up script is inline: it carries this request's CSP nonce (``web/headers.py``).
        nonce = getattr(request.state, "csp_nonce", "")
        body = bytes(page.body).decode("utf-8").replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(body)

    return router
