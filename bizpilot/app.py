"""The web application: JSON API under /api/v1, server-rendered pages, bundled static files, one error model.

The app does not migrate the database (the CLI does); requests on a missing or outdated database get a clear
503 in the error model instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import bizpilot
from bizpilot.api import OPENAPI_URL, api_router
from bizpilot.api.errors import install_error_handlers
from bizpilot.api.logfilter import install as redact_request_logs
from bizpilot.web import STATIC_DIR, render_error, web_router
from bizpilot.web.headers import SecurityHeadersMiddleware

TITLE = "bizpilot"
DESCRIPTION = (
    "Self-hosted intelligent CRM for B2B wholesale and e-commerce operations. Every list supports `limit`/"
    "`offset` paging, exact-match filters on the documented columns, `q` search and `sort` (prefix `-` for "
    'descending). Errors always have the shape `{"error": {"code", "message", "details"}}`.\n\n'
    "**Authentication**: send an API key (`bizpilot keys create --name NAME --role read|write|admin`) as "
    "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Reads need role `read`, POST/PUT/PATCH/DELETE need "
    "`write`, key management needs `admin`; a signed-in dashboard session also works (writes then need its "
    "CSRF token in `X-CSRF-Token`). Only `/health` and these docs are open."
)


def _retraining(app: FastAPI) -> Any:
    """Lifespan of a served app (`bizpilot serve`): the nightly retrain schedule and the webhook delivery worker
    run while the server does."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        from bizpilot.db import get_engine
        from bizpilot.services.models.schedule import RetrainSchedule
        from bizpilot.services.webhook_delivery import DeliveryWorker

        schedule = RetrainSchedule(get_engine())
        app.state.retrain_schedule = schedule if schedule.start() else None
        webhooks = DeliveryWorker(get_engine())  # sends queued webhook deliveries every few seconds
        app.state.webhook_worker = webhooks if webhooks.start() else None
        try:
            yield
        finally:
            webhooks.stop()
            schedule.stop()

    return lifespan


def create_app(*, schedule_retraining: bool = False) -> FastAPI:
    """Build a fresh app (no global state besides cached engines), so tests and the CLI get the same thing;
    ``schedule_retraining`` (what `bizpilot serve` asks for) retrains the workspace's models on the schedule of
    ``Settings.retrain_hours``/``retrain_at`` while it runs."""
    app = FastAPI(title=TITLE, version=getattr(bizpilot, "__version__", "dev"), description=DESCRIPTION,
                  openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None)
    if schedule_retraining:
        app.router.lifespan_context = _retraining(app)
    install_error_handlers(app, html=render_error)
    app.add_middleware(SecurityHeadersMiddleware)  # CSP, no framing, nosniff, referrer policy: pages and API
    redact_request_logs()  # login-link tokens and keys never reach the access log in full
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api_router(title=TITLE))
    app.include_router(web_router())
    return app


__all__ = ["create_app"]
