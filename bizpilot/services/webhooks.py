"""Webhook subscriptions: which URL hears which events, signed with which secret; and the deliveries they got.

An integration (an ERP, a chat bot, Zapier/n8n) subscribes a URL to events (``domain/webhook.EVENTS`` or ``*``).
Events are queued by ``services/events.emit`` in the transaction of what caused them; ``webhook_delivery`` sends
them after the commit, signed, with retries. The signing secret is generated here and shown once, when the
subscription is created (receivers need it in clear to check signatures, so it is stored as given and never
listed). Subscription changes and every delivery attempt are written to the audit log, so an admin can see who
pointed webhooks where and what each attempt got back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.webhook import EVENTS, WebhookDelivery, WebhookSubscription
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import SYSTEM, Principal

ALL_EVENTS = "*"
PING = "ping"  # the test event: sent to one subscription on request, whatever events it wants
SECRET_PREFIX = "whsec_"
DELIVERY_STATUSES = ("pending", "delivered", "failed")
SUBSCRIPTION_ENTITY = "webhook_subscriptions"
DELIVERY_ENTITY = "webhook_deliveries"
MAX_URL_LENGTH = 2048


def new_secret() -> str:
    """A signing secret: 256 random bits, recognisable by its prefix in a receiver's configuration."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"`` with the secret (the timestamp is signed too, so
    a receiver can refuse replays of old deliveries)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does with ``X-Bizpilot-Signature`` (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, no spaces, at most 2048 characters."""
    value = (url or "").strip()
    parts = urlsplit(value)
    reason = None
    if not value or len(value) > MAX_URL_LENGTH:
        reason = f"1-{MAX_URL_LENGTH} characters"
    elif parts.scheme not in ("http", "https"):
        reason = "must start with http:// or https://"
    elif not parts.hostname or any(c.isspace() for c in value):
        reason = "must name a host and contain no spaces"
    if reason:
        raise ValidationFailed(f"invalid webhook URL {value[:200]!r}: {reason}",
                               details=[{"field": "url", "reason": reason}])
    return value


def check_events(events: Iterable[str] | str) -> list[str]:
    """Known event names (comma-separated text or a list), without repeats; ``*`` alone means every event."""
    items = events.split(",") if isinstance(events, str) else list(events)
    names = list(dict.fromkeys(e.strip() for e in items if e and e.strip()))
    unknown = [e for e in names if e not in EVENTS and e != ALL_EVENTS]
    if unknown or not names:
        reason = f"unknown event(s) {', '.join(unknown)}" if unknown else "no events given"
        raise ValidationFailed(f"{reason}; choose from {', '.join(EVENTS)}, or {ALL_EVENTS} for all",
                               details=[{"field": "events", "reason": reason}])
    return [ALL_EVENTS] if ALL_EVENTS in names else names


def _audit(session: Session, *, entity: str, record_id: int, action: str, changes: dict[str, list[Any]],
           principal: Principal, channel: str) -> None:
    session.add(AuditEntry(entity=entity, record_id=record_id, action=action, changes=changes,
                           user_id=principal.user_id, actor=principal.name, channel=channel, at=utcnow()))


def create_subscription(*, session: Session, url: str, events: Iterable[str] | str, active: bool = True,
                        principal: Principal = SYSTEM, channel: str = "system") -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (the only time the secret is returned)."""
    secret = new_secret()
    sub = WebhookSubscription(url=check_url(url), events=check_events(events), secret=secret, active=active,
                              created_by=principal.user_id, created_at=utcnow())
    session.add(sub)
    session.flush()
    _audit(session, entity=SUBSCRIPTION_ENTITY, record_id=sub.id, action="create", principal=principal,
           channel=channel, changes={"url": [None, sub.url], "events": [None, sub.events], "active": [None, active]})
    return sub, secret


def list_subscriptions(*, session: Session, active: bool | None = None) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if active is not None:
        stmt = stmt.where(WebhookSubscription.active.is_(active))
    return list(session.scalars(stmt))


def get_subscription(*, session: Session, subscription_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFoundError(f"webhook subscription {subscription_id} not found",
                            details=[{"field": "id", "reason": "no such subscription", "value": subscription_id}])
    return sub


def update_subscription(*, session: Session, subscription_id: int, url: str | None = None,
                        events: Iterable[str] | str | None = None, active: bool | None = None,
                        principal: Principal = SYSTEM, channel: str = "system") -> WebhookSubscription:
    """Change the URL, the events or whether it is active (a deactivated subscription gets nothing new and its
    pending deliveries wait until it is active again)."""
    sub = get_subscription(session=session, subscription_id=subscription_id)
    wanted = {"url": check_url(url) if url is not None else sub.url,
              "events": check_events(events) if events is not None else sub.events,
              "active": sub.active if active is None else active}
    changes = {k: [getattr(sub, k), v] for k, v in wanted.items() if getattr(sub, k) != v}
    for key, (_, value) in changes.items():
        setattr(sub, key, value)
    if changes:
        _audit(session, entity=SUBSCRIPTION_ENTITY, record_id=sub.id, action="update", changes=changes,
               principal=principal, channel=channel)
        session.flush()
    return sub


def deactivate_subscription(*, session: Session, subscription_id: int, principal: Principal = SYSTEM,
                            channel: str = "system") -> WebhookSubscription:
    return update_subscription(session=session, subscription_id=subscription_id, active=False, principal=principal,
                               channel=channel)


def delete_subscription(*, session: Session, subscription_id: int, principal: Principal = SYSTEM,
                        channel: str = "system") -> None:
    """Remove the subscription and its deliveries (the audit log keeps that it existed)."""
    sub = get_subscription(session=session, subscription_id=subscription_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id))
    _audit(session, entity=SUBSCRIPTION_ENTITY, record_id=sub.id, action="delete", principal=principal,
           channel=channel, changes={"url": [sub.url, None], "events": [sub.events, None]})
    session.delete(sub)
    session.flush()


def queue_ping(*, session: Session, subscription_id: int) -> WebhookDelivery:
    """Queue a ``ping`` to one active subscription: how an admin checks the receiver and its secret."""
    sub = get_subscription(session=session, subscription_id=subscription_id)
    if not sub.active:
        raise ConflictError(f"webhook subscription {sub.id} is inactive; activate it before testing it",
                            details=[{"field": "active", "reason": "inactive"}])
    now = utcnow()
    payload = {"id": str(uuid.uuid4()), "event": PING, "occurred_at": now.isoformat() + "Z",
               "data": {"subscription_id": sub.id, "message": "bizpilot webhook test"}}
    delivery = WebhookDelivery(subscription_id=sub.id, event=PING, payload=payload, status="pending", attempts=0,
                               next_attempt_at=now, created_at=now)
    session.add(delivery)
    session.flush()
    return delivery


def list_deliveries(*, session: Session, subscription_id: int | None = None, status: str | None = None,
                    event: str | None = None, limit: int = 50, offset: int = 0) -> list[WebhookDelivery]:
    """Deliveries, newest first (of one subscription, status or event)."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise ValidationFailed(f"unknown delivery status {status!r}; one of {', '.join(DELIVERY_STATUSES)}",
                               details=[{"field": "status", "reason": "unknown status"}])
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)
    if subscription_id is not None:
        get_subscription(session=session, subscription_id=subscription_id)
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event is not None:
        stmt = stmt.where(WebhookDelivery.event == event)
    return list(session.scalars(stmt))


def attempt_log(*, session: Session, delivery_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Every attempt of these deliveries, oldest first: when, the HTTP status (None: no answer), the error."""
    ids = list(delivery_ids)
    log: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return log
    rows = session.scalars(select(AuditEntry).where(AuditEntry.entity == DELIVERY_ENTITY,
                                                    AuditEntry.record_id.in_(ids), AuditEntry.action == "attempt")
                           .order_by(AuditEntry.at, AuditEntry.id))
    for row in rows:
        c = row.changes
        log[row.record_id].append({"attempt": c.get("attempts", [None, None])[1], "at": row.at,
                                   "status_code": c.get("last_status_code", [None, None])[1],
                                   "error": c.get("last_error", [None, None])[1],
                                   "outcome": c.get("status", [None, None])[1]})
    return log


__all__ = ["ALL_EVENTS", "DELIVERY_ENTITY", "DELIVERY_STATUSES", "PING", "SUBSCRIPTION_ENTITY", "attempt_log",
           "check_events", "check_url", "create_subscription", "deactivate_subscription", "delete_subscription",
           "get_subscription", "list_deliveries", "list_subscriptions", "new_secret", "queue_ping", "sign",
           "update_subscription", "verify"]
