"""Webhook subscriptions over HTTP (role admin): create (the signing secret is in that answer only), list, change,
delete, their deliveries with every attempt, and a test ping. Deliveries are sent by the server's background worker
(``bizpilot serve``) or ``bizpilot webhooks deliver``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bizpilot.api.deps import SessionDep
from bizpilot.api.params import Id, Offset
from bizpilot.api.schemas import ErrorResponse
from bizpilot.api.security import AdminPrincipal, require_role
from bizpilot.domain.schemas import UTCSchema
from bizpilot.domain.webhook import EVENTS, WebhookDeliveryPublic, WebhookSubscriptionPublic
from bizpilot.services import webhooks as service

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(require_role("admin"))])
NOT_FOUND = {404: {"model": ErrorResponse, "description": "No such subscription"}}
EVENTS_HELP = f"Events to receive: any of {', '.join(EVENTS)}, or ['*'] for all of them"
Url = Annotated[str, Field(min_length=1, max_length=2048, description="The http(s) URL that receives the POSTs",
                           examples=["https://example.com/hooks/bizpilot"])]
Events = Annotated[list[str], Field(min_length=1, max_length=len(EVENTS) + 1, description=EVENTS_HELP)]


class WebhookCreate(BaseModel):
    url: Url
    events: Events = Field(default_factory=lambda: ["*"])
    active: bool = True


class WebhookUpdate(BaseModel):
    url: Url | None = None
    events: Events | None = None
    active: bool | None = Field(default=None, description="false stops new deliveries; pending ones wait")


class WebhookCreated(BaseModel):
    subscription: WebhookSubscriptionPublic
    secret: str = Field(description="The signing secret, shown only in this answer: verify X-Bizpilot-Signature "
                                    "(sha256=HMAC-SHA256 of '<X-Bizpilot-Timestamp>.<body>') with it")


class WebhookList(BaseModel):
    items: list[WebhookSubscriptionPublic]


class DeliveryAttempt(UTCSchema):
    attempt: int | None
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null when it did not answer")
    error: str | None
    outcome: str | None = Field(description="The delivery's status after this attempt")


class DeliveryView(WebhookDeliveryPublic):
    attempt_log: list[DeliveryAttempt] = Field(default_factory=list)


class DeliveryList(BaseModel):
    items: list[DeliveryView]


@router.get("", response_model=WebhookList, operation_id="list_webhooks", summary="Webhook subscriptions")
def list_webhooks(session: SessionDep, active: bool | None = None) -> WebhookList:
    """Every subscription (never its secret), optionally only active or inactive ones."""
    subs = service.list_subscriptions(session=session, active=active)
    return WebhookList(items=[WebhookSubscriptionPublic.model_validate(s) for s in subs])


@router.post("", response_model=WebhookCreated, status_code=201, operation_id="create_webhook",
             summary="Subscribe a URL to events (the secret is returned once)",
             responses={422: {"model": ErrorResponse, "description": "Invalid URL or unknown event"}})
def create_webhook(body: WebhookCreate, session: SessionDep, principal: AdminPrincipal) -> WebhookCreated:
    sub, secret = service.create_subscription(session=session, url=body.url, events=body.events,
                                              active=body.active, principal=principal, channel="api")
    return WebhookCreated(subscription=WebhookSubscriptionPublic.model_validate(sub), secret=secret)


@router.patch("/{subscription_id}", response_model=WebhookSubscriptionPublic, operation_id="update_webhook",
              summary="Change a subscription's URL, events or active state",
              responses={**NOT_FOUND, 422: {"model": ErrorResponse, "description": "Invalid URL or event"}})
def update_webhook(subscription_id: Id, body: WebhookUpdate, session: SessionDep,
                   principal: AdminPrincipal) -> WebhookSubscriptionPublic:
    sub = service.update_subscription(session=session, subscription_id=subscription_id, url=body.url,
                                      events=body.events, active=body.active, principal=principal, channel="api")
    return WebhookSubscriptionPublic.model_validate(sub)


@router.delete("/{subscription_id}", status_code=204, operation_id="delete_webhook",
               summary="Delete a subscription and its deliveries", responses=NOT_FOUND)
def delete_webhook(subscription_id: Id, session: SessionDep, principal: AdminPrincipal) -> None:
    service.delete_subscription(session=session, subscription_id=subscription_id, principal=principal,
                                channel="api")


@router.get("/{subscription_id}/deliveries", response_model=DeliveryList, operation_id="list_webhook_deliveries",
            summary="A subscription's deliveries, newest first, with every attempt", responses=NOT_FOUND)
def list_webhook_deliveries(subscription_id: Id, session: SessionDep,
                            status: Literal["pending", "delivered", "failed"] | None = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 50,
                            offset: Offset = 0) -> DeliveryList:
    rows = service.list_deliveries(session=session, subscription_id=subscription_id, status=status, limit=limit,
                                   offset=offset)
    log = service.attempt_log(session=session, delivery_ids=[d.id for d in rows])
    return DeliveryList(items=[DeliveryView.model_validate({**WebhookDeliveryPublic.model_validate(d).model_dump(),
                                                            "attempt_log": log[d.id]}) for d in rows])


@router.post("/{subscription_id}/test", response_model=WebhookDeliveryPublic, status_code=202,
             operation_id="test_webhook", summary="Queue a ping to the subscription's URL",
             responses={**NOT_FOUND, 409: {"model": ErrorResponse, "description": "The subscription is inactive"}})
def test_webhook(subscription_id: Id, session: SessionDep) -> WebhookDeliveryPublic:
    """The ping is sent like any event (signed, retried) within seconds by the server's delivery worker; follow
    it in the deliveries."""
    return WebhookDeliveryPublic.model_validate(service.queue_ping(session=session, subscription_id=subscription_id))


__all__ = ["router"]
