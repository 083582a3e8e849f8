"""Changing records people work with (accounts, contacts, products, opportunities, interactions, tasks): the one
write path that checks who may change what (``services/policy.py``), refuses a stale version (optimistic
concurrency: 409, nothing changed), writes the change, records who changed which field from what to what through
which channel (the audit trail), and tells webhook subscribers (``record.changed``).

Every edge (API routes, dashboard pages, the CLI, imports) changes records through these functions, so the rules
and the history are the same whichever door a change comes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Contact, Interaction, Opportunity, Product, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.events import emit
from bizpilot.services.policy import require_change

EDITABLE: dict[str, type[Any]] = {"accounts": Account, "contacts": Contact, "products": Product,
                                  "opportunities": Opportunity, "interactions": Interaction, "tasks": Task}
# Fields no edit sets directly: identity, bookkeeping, and what only the system computes.
PROTECTED = {"id", "version", "archived_at", "updated_at", "created_at", "sentiment", "sentiment_score", "intent",
             "intent_confidence", "analysed_at"}


def model_for(entity: str) -> type[Any]:
    try:
        return EDITABLE[entity]
    except KeyError:
        raise NotFoundError(f"{entity!r} cannot be edited; one of: {', '.join(EDITABLE)}",
                            details=[{"field": "entity", "reason": "not editable", "value": entity}]) from None


def get_record(*, session: Session, entity: str, record_id: int) -> Any:
    """The record (archived ones too), or ``NotFoundError`` naming it."""
    row = session.get(model_for(entity), record_id)
    if row is None:
        raise NotFoundError(f"{entity[:-1]} {record_id} not found",
                            details=[{"field": "id", "reason": "not found", "value": record_id}])
    return row


def describe(entity: str, record: Any) -> str:
    label = getattr(record, "name", None) or getattr(record, "title", None) or getattr(record, "sku", None)
    return f"{entity[:-1]} {record.id}" + (f" ({label})" if label else "")


def check_version(record: Any, expected: int | None, *, entity: str) -> None:
    """``ConflictError`` (409) when the client's version is not the stored one: someone changed it meanwhile."""
    if expected is not None and int(expected) != record.version:
        raise ConflictError(f"{describe(entity, record)} was changed by someone else meanwhile (it is at version "
                            f"{record.version}, you had {expected}): reload it and apply your change again",
                            details=[{"field": "version", "reason": "stale", "value": expected}])


def plain(value: Any) -> Any:
    """A value as the audit trail and webhooks store it (JSON)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def audit(*, session: Session, entity: str, record_id: int, action: str, changes: Mapping[str, list[Any]],
          principal: Principal, channel: str) -> AuditEntry:
    """Add one audit row (and the ``record.changed`` event) for a change of a record."""
    entry = AuditEntry(entity=entity, record_id=record_id, action=action, changes=dict(changes),
                       user_id=principal.user_id, actor=principal.name, channel=channel, at=utcnow())
    session.add(entry)
    emit(session=session, event="record.changed", data={"entity": entity, "id": record_id, "action": action,
                                                        "changes": dict(changes), "by": principal.name,
                                                        "channel": channel})
    return entry


def _flush(session: Session, entity: str, record: Any) -> None:
    try:
        session.flush()
    except StaleDataError:  # another transaction updated the row after we read it
        raise ConflictError(f"{describe(entity, record)} was changed by someone else meanwhile: reload it and "
                            "apply your change again",
                            details=[{"field": "version", "reason": "stale", "value": record.version}]) from None


def apply_changes(*, session: Session, entity: str, record: Any, changes: Mapping[str, Any], principal: Principal,
                  channel: str, expected_version: int | None = None, action: str = "update") -> dict[str, list[Any]]:
    """Set ``changes`` on ``record`` (already validated) if ``principal`` may, at ``expected_version``; returns
    ``{field: [old, new]}`` of what really changed (nothing changed: no audit row, no version bump)."""
    require_change(principal, session=session, record=record, what=describe(entity, record))
    check_version(record, expected_version, entity=entity)
    bad = sorted(set(changes) & PROTECTED)
    if bad:
        raise ValidationFailed(f"{', '.join(bad)} cannot be set directly",
                               details=[{"field": f, "reason": "read-only"} for f in bad])
    diff: dict[str, list[Any]] = {}
    for field, value in changes.items():
        old = getattr(record, field)
        if plain(old) != plain(value):
            setattr(record, field, value)
            diff[field] = [plain(old), plain(value)]
    if diff:
        _flush(session, entity, record)
        audit(session=session, entity=entity, record_id=record.id, action=action, changes=diff,
              principal=principal, channel=channel)
    return diff


def update_record(*, session: Session, entity: str, record_id: int, data: Mapping[str, Any], principal: Principal,
                  channel: str, expected_version: int | None = None) -> Any:
    """Validate ``data`` with the entity's Update schema (as imports validate rows) and apply the fields it sets."""
    from bizpilot.domain import ENTITIES

    record = get_record(session=session, entity=entity, record_id=record_id)
    schema = ENTITIES[entity].update if entity in ENTITIES else None
    values = dict(data)
    if schema is not None:
        from pydantic import ValidationError

        try:
            values = schema.model_validate(values).model_dump(exclude_unset=True)
        except ValidationError as exc:
            raise ValidationFailed(f"invalid {entity[:-1]} change", details=[
                {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]} for err in exc.errors()
            ]) from None
    apply_changes(session=session, entity=entity, record=record, changes=values, principal=principal,
                  channel=channel, expected_version=expected_version)
    return record


def archive_record(*, session: Session, entity: str, record_id: int, principal: Principal, channel: str,
                   expected_version: int | None = None) -> Any:
    """Soft-delete: the record leaves lists but keeps its rows and history; ``restore_record`` brings it back."""
    record = get_record(session=session, entity=entity, record_id=record_id)
    if record.archived_at is None:
        _set_archived(session, entity, record, utcnow(), principal, channel, expected_version, "archive")
    return record


def restore_record(*, session: Session, entity: str, record_id: int, principal: Principal, channel: str,
                   expected_version: int | None = None) -> Any:
    record = get_record(session=session, entity=entity, record_id=record_id)
    if record.archived_at is not None:
        _set_archived(session, entity, record, None, principal, channel, expected_version, "restore")
    return record


def _set_archived(session: Session, entity: str, record: Any, when: datetime | None, principal: Principal,
                  channel: str, expected_version: int | None, action: str) -> None:
    require_change(principal, session=session, record=record, what=describe(entity, record))
    check_version(record, expected_version, entity=entity)
    old = record.archived_at
    record.archived_at = when
    _flush(session, entity, record)
    audit(session=session, entity=entity, record_id=record.id, action=action,
          changes={"archived_at": [plain(old), plain(when)]}, principal=principal, channel=channel)


def history(*, session: Session, entity: str, record_id: int, limit: int = 200) -> list[AuditEntry]:
    """The record's audit trail, newest first."""
    model_for(entity)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.record_id == record_id)
                                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


__all__ = ["EDITABLE", "PROTECTED", "apply_changes", "archive_record", "audit", "check_version", "get_record",
           "history", "model_for", "plain", "restore_record", "update_record"]
