"""The audit trail's two primitives: a value as the trail stores it, and one row (with its ``record.changed``
event) per change of a record. ``services/records.py`` is where edits call them; they live here so the order sync
(``services/order_sync.py``), which ``records`` calls, can write the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.schemas import as_utc
from bizpilot.services.auth import Principal
from bizpilot.services.events import emit


def plain(value: Any) -> Any:
    """A value as the audit trail and webhooks store it (JSON); a datetime as UTC with its offset."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def actor_of(principal: Principal) -> str:
    """Who made a change, for people: the user (and the API key they used), else the key, session or system."""
    if principal.kind == "key":
        user = getattr(principal, "user_name", None)
        text = f"{user} (API key {principal.name})" if user else f"API key {principal.name}"
    else:
        text = principal.name
    return text[:128]


def audit(*, session: Session, entity: str, record_id: int, action: str, changes: Mapping[str, list[Any]],
          principal: Principal, channel: str) -> AuditEntry:
    """Add one audit row (and the ``record.changed`` event) for a change of a record."""
    entry = AuditEntry(entity=entity, record_id=record_id, action=action, changes=dict(changes),
                       user_id=principal.user_id, actor=actor_of(principal), channel=channel, at=utcnow())
    session.add(entry)
    emit(session=session, event="record.changed", data={"entity": entity, "id": record_id, "action": action,
                                                        "changes": dict(changes), "by": actor_of(principal),
                                                        "channel": channel})
    return entry


__all__ = ["actor_of", "audit", "plain"]
