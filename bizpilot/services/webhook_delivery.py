"""Sending webhook deliveries: a job with transactions of its own, like imports and training.

``deliver_due`` sends the pending deliveries whose ``next_attempt_at`` has come: a POST of the event's JSON with
``X-Bizpilot-Event``, ``X-Bizpilot-Delivery`` (the delivery id), ``X-Bizpilot-Timestamp`` (Unix seconds) and
``X-Bizpilot-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">``. A 2xx answer delivers it; anything else, or
no answer, is retried after 30 s x 2^(attempts - 1), jittered by +-20 % and capped at 6 hours, until
``Settings.webhook_max_attempts`` attempts have failed. Every attempt is written to the audit log.

No transaction is held while a receiver answers (a slow one would lock SQLite): due deliveries are first claimed
(their ``next_attempt_at`` moved past the time limit of a send, by a compare-and-set, so two workers never send the
same attempt), sent, then recorded in a short transaction each. ``DeliveryWorker`` runs ``deliver_due`` every few
seconds on a daemon thread while ``bizpilot serve`` runs; ``bizpilot webhooks deliver`` runs it once.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, select, update

import bizpilot
from bizpilot.config import get_settings
from bizpilot.db.base import utcnow
from bizpilot.db.engine import session_scope
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription
from bizpilot.services.webhooks import DELIVERY_ENTITY, sign

log = logging.getLogger("bizpilot.webhooks")

BASE_DELAY_S = 30.0
MAX_DELAY_S = 6 * 3600.0
JITTER = 0.2
DEFAULT_LIMIT = 50
MAX_ERROR_TEXT = 500
USER_AGENT = f"bizpilot-webhooks/{getattr(bizpilot, '__version__', 'dev')}"


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s... +-20 %, at most 6 h."""
    base = min(BASE_DELAY_S * 2 ** max(attempts - 1, 0), MAX_DELAY_S)
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return timedelta(seconds=min(base * factor, MAX_DELAY_S))


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


@dataclass(frozen=True)
class _Claimed:
    id: int
    event: str
    payload: dict[str, Any]
    attempts: int
    url: str
    secret: str


@dataclass
class DeliveryReport:
    """What one run did: deliveries sent, and how each ended (delivered, retrying later, failed for good)."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {"attempted": self.attempted, "delivered": len(self.delivered), "retrying": len(self.retrying),
                "failed": len(self.failed)}


def _claim(engine: Engine, now: datetime, limit: int, lease: timedelta) -> list[_Claimed]:
    claimed: list[_Claimed] = []
    with session_scope(engine) as session:
        rows = session.execute(
            select(WebhookDelivery, WebhookSubscription.url, WebhookSubscription.secret)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                   WebhookSubscription.active.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
        for delivery, url, secret in rows:
            won = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at == delivery.next_attempt_at)
                .values(next_attempt_at=now + lease).execution_options(synchronize_session=False)).rowcount
            if won == 1:
                claimed.append(_Claimed(delivery.id, delivery.event, dict(delivery.payload or {}),
                                        delivery.attempts or 0, url, secret))
    return claimed


def _send(client: httpx.Client, item: _Claimed) -> tuple[int | None, str | None]:
    """POST one delivery: (HTTP status or None, error text or None)."""
    body = body_of(item.payload)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Bizpilot-Event": item.event, "X-Bizpilot-Delivery": str(item.id),
               "X-Bizpilot-Timestamp": timestamp, "X-Bizpilot-Signature": sign(item.secret, timestamp, body)}
    try:
        response = client.post(item.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_TEXT] or type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, None
    text = " ".join(response.text.split())[:200]
    return response.status_code, f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _record(engine: Engine, item: _Claimed, code: int | None, error: str | None, now: datetime,
            max_attempts: int) -> str:
    attempts = item.attempts + 1
    if error is None:
        status, next_at = "delivered", None
    elif attempts >= max_attempts:
        status, next_at = "failed", None
    else:
        status, next_at = "pending", now + backoff(attempts)
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, item.id)
        if delivery is None:  # its subscription was deleted while it was being sent
            return status
        changes = {"attempts": [delivery.attempts, attempts], "status": [delivery.status, status],
                   "last_status_code": [delivery.last_status_code, code],
                   "last_error": [delivery.last_error, error]}
        delivery.attempts, delivery.status, delivery.next_attempt_at = attempts, status, next_at
        delivery.last_status_code, delivery.last_error = code, error
        if status == "delivered":
            delivery.delivered_at = utcnow()
        session.add(AuditEntry(entity=DELIVERY_ENTITY, record_id=item.id, action="attempt", changes=changes,
                               actor="webhooks", channel="system", at=utcnow()))
    return status


def deliver_due(*, engine: Engine, now: datetime | None = None, limit: int = DEFAULT_LIMIT,
                client: httpx.Client | None = None) -> DeliveryReport:
    """Send the pending deliveries due at ``now`` (default: the current UTC time), oldest first, at most
    ``limit``; record each attempt and schedule the retries."""
    settings = get_settings()
    now = now or utcnow()
    report = DeliveryReport()
    claimed = _claim(engine, now, limit, timedelta(seconds=settings.webhook_timeout_s + 60))
    if not claimed:
        return report
    own = client is None
    client = client or httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)
    try:
        for item in claimed:
            code, error = _send(client, item)
            status = _record(engine, item, code, error, now, settings.webhook_max_attempts)
            outcome = {"delivered": report.delivered, "failed": report.failed, "pending": report.retrying}
            outcome[status].append(item.id)
            if error is not None:
                log.warning("webhook delivery %s to %s: %s (%s)", item.id, item.url, error, status)
    finally:
        if own:
            client.close()
    return report


class DeliveryWorker:
    """The background thread of ``bizpilot serve`` that sends due deliveries every ``interval_s`` seconds."""

    def __init__(self, engine: Engine, *, interval_s: float = 5.0) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start the thread (once); True when it was started by this call."""
        if self._thread is not None:
            return False
        self._thread = threading.Thread(target=self._loop, name="bizpilot-webhooks", daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                busy = deliver_due(engine=self.engine).attempted >= DEFAULT_LIMIT
            except Exception:  # noqa: BLE001 - a failed round (database busy...) never stops the worker
                log.exception("webhook delivery round failed")
            if not busy:
                self._stop.wait(self.interval_s)


__all__ = ["BASE_DELAY_S", "MAX_DELAY_S", "DeliveryReport", "DeliveryWorker", "backoff", "body_of", "deliver_due"]
