"""Events for webhooks: ``emit`` queues one delivery per active subscription that wants the event, in the caller's
transaction, so an event is delivered exactly when what caused it was committed (a rolled-back change sends
nothing). The delivery worker (``services/webhooks.py``) signs and sends them after the commit, with retries."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.webhook import EVENTS, WebhookDelivery, WebhookSubscription
from bizpilot.errors import ValidationFailed


def emit(*, session: Session, event: str, data: dict[str, Any]) -> int:
    """Queue ``event`` with ``data`` for every subscription to it; how many deliveries were queued."""
    if event not in EVENTS:
        raise ValidationFailed(f"unknown event {event!r}; one of: {', '.join(EVENTS)}",
                               details=[{"field": "event", "reason": "unknown", "value": event}])
    now = utcnow()
    payload = {"id": str(uuid.uuid4()), "event": event, "occurred_at": now.isoformat() + "Z", "data": data}
    queued = 0
    for subscription in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))):
        if event in (subscription.events or []) or "*" in (subscription.events or []):
            session.add(WebhookDelivery(subscription_id=subscription.id, event=event, payload=payload,
                                        status="pending", attempts=0, next_attempt_at=now, created_at=now))
            queued += 1
    if queued:
        session.flush()
    return queued


__all__ = ["emit"]
