"""Settings › Webhooks (admins): subscribe integrations' URLs to events, see every delivery and how it went, send a
test ping, deactivate or delete a subscription. The signing secret is shown once, on the answer to the form that
created the subscription (no-store), like a new API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.api.security import require_role
from bizpilot.domain.webhook import EVENTS
from bizpilot.errors import ConflictError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.webhooks import (
    ALL_EVENTS,
    DELIVERY_STATUSES,
    attempt_log,
    create_subscription,
    delete_subscription,
    list_deliveries,
    list_subscriptions,
    queue_ping,
    update_subscription,
)
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
NOTICES = ("created", "updated", "deleted", "ping_queued", "inactive")
RECENT = 50


def _page(request: Request, session: Session, *, status_code: int = 200, error: str | None = None,
          url: str = "", events: list[str] | None = None) -> Response:
    lang = request_lang(request)
    status = request.query_params.get("status")
    status = status if status in DELIVERY_STATUSES else None
    subs = list_subscriptions(session=session)
    deliveries = list_deliveries(session=session, status=status, limit=RECENT)
    notice = request.query_params.get("notice")
    response = render(request, "webhooks/index.html", status_code=status_code, title=t("webhooks.title", lang),
                      subscriptions=subs, urls={s.id: s.url for s in subs}, deliveries=deliveries,
                      attempts=attempt_log(session=session, delivery_ids=[d.id for d in deliveries]),
                      events=EVENTS, all_events=ALL_EVENTS, statuses=DELIVERY_STATUSES, status=status,
                      notice=notice if notice in NOTICES else None, error=error, form_url=url,
                      form_events=events if events is not None else [ALL_EVENTS])
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(notice: str) -> Response:
    return RedirectResponse(f"/settings/webhooks?notice={notice}", status_code=303)


@router.get("/settings/webhooks", name="settings_webhooks")
def webhooks_page(request: Request, session: SessionDep, principal: AdminDep) -> Response:
    return _page(request, session)


@router.post("/settings/webhooks", name="settings_create_webhook")
def create_webhook(request: Request, session: SessionDep, principal: AdminDep,
                   url: Annotated[str, Form(max_length=2048)] = "",
                   events: Annotated[list[str] | None, Form()] = None) -> Response:
    """Create the subscription and show its secret on this answer only."""
    chosen = list(events or [])
    try:
        sub, secret = create_subscription(session=session, url=url, events=chosen, principal=principal,
                                          channel="page")
    except ValidationFailed as exc:
        return _page(request, session, status_code=422, error=exc.message, url=url, events=chosen)
    response = render(request, "webhooks/created.html", title=t("webhooks.created", request_lang(request)),
                      subscription=sub, secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/webhooks/{subscription_id}/active", name="settings_webhook_active")
def set_active(subscription_id: int, session: SessionDep, principal: AdminDep,
               active: Annotated[bool, Form()] = False) -> Response:
    update_subscription(session=session, subscription_id=subscription_id, active=active, principal=principal,
                        channel="page")
    return _back("updated")


@router.post("/settings/webhooks/{subscription_id}/test", name="settings_webhook_test")
def send_test(subscription_id: int, session: SessionDep, principal: AdminDep) -> Response:
    try:
        queue_ping(session=session, subscription_id=subscription_id)
    except ConflictError:
        return _back("inactive")
    return _back("ping_queued")


@router.post("/settings/webhooks/{subscription_id}/delete", name="settings_webhook_delete")
def delete(subscription_id: int, session: SessionDep, principal: AdminDep) -> Response:
    delete_subscription(session=session, subscription_id=subscription_id, principal=principal, channel="page")
    return _back("deleted")
