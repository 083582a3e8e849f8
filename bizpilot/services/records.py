"""Changing records people work with (accounts, contacts, products, opportunities, interactions, tasks): the one
write path that checks who may change what (``services/policy.py``), refuses a stale version (optimistic
concurrency: 409, nothing changed), writes the change, records who changed which field from what to what through
which channel (the audit trail), and tells webhook subscribers (``record.changed``).

Every edge (API routes, dashboard pages, the CLI, imports) changes records through these functions, so the rules
and the history are the same whichever door a change comes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Contact, Interaction, Opportunity, Product, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.opportunity import MOVED_BY_PIPELINE
from bizpilot.errors import ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.audit_trail import audit, plain
from bizpilot.services.auth import Principal
from bizpilot.services.policy import require_change
from bizpilot.services.record_input import EXTRAS, check_user, label, normalise, prepare, spec_for, validate

EDITABLE: dict[str, type[Any]] = {"accounts": Account, "contacts": Contact, "products": Product,
                                  "opportunities": Opportunity, "interactions": Interaction, "tasks": Task}
# Fields no edit sets directly: identity, bookkeeping, and what only the system computes.
PROTECTED = {"id", "version", "archived_at", "updated_at", "created_at", "sentiment", "sentiment_score", "intent",
             "intent_confidence", "analysed_at"}
# Fields an update leaves to another service: the route that changes them and what it checks there.
MOVED_ELSEWHERE: dict[str, tuple[tuple[str, ...], str, str]] = {
    "opportunities": (MOVED_BY_PIPELINE, "POST /api/v1/opportunities/{id}/stage",
                      "move the deal through the pipeline instead ({route} with the stage; won and lost need a "
                      "reason), or on the Pipeline page"),
}


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
        raise NotFoundError(f"{label(entity)} {record_id} not found",
                            details=[{"field": "id", "reason": "not found", "value": record_id}])
    return row


def describe(entity: str, record: Any) -> str:
    name = getattr(record, "name", None) or getattr(record, "title", None) or getattr(record, "sku", None)
    return f"{label(entity)} {record.id}" + (f" ({name})" if name else "")


def check_version(record: Any, expected: int | None, *, entity: str) -> None:
    """``ConflictError`` (409) when the client's version is not the stored one: someone changed it meanwhile."""
    if expected is not None and int(expected) != record.version:
        raise ConflictError(f"{describe(entity, record)} was changed by someone else meanwhile (it is at version "
                            f"{record.version}, you had {expected}): reload it and apply your change again",
                            details=[{"field": "version", "reason": "stale", "value": expected,
                                      "current": record.version}])


def _flush(session: Session, entity: str, record: Any) -> None:
    what, version = describe(entity, record), record.version  # a failed flush expires the record: read them now
    try:
        session.flush()
    except StaleDataError:  # another transaction updated the row after we read it
        raise ConflictError(f"{what} was changed by someone else meanwhile: reload it and apply your change again",
                            details=[{"field": "version", "reason": "stale", "value": version}]) from None


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
    """Validate ``data`` with the entity's Update schema (as imports validate rows) and apply the fields it sets;
    an owner, a deal's next step or a call's outcome are checked as on create."""
    from bizpilot.domain import ENTITIES

    refuse_moved_fields(entity, data, record_id=record_id)
    record = get_record(session=session, entity=entity, record_id=record_id)
    schema = ENTITIES[entity].update if entity in ENTITIES else None
    values = dict(data)
    extras_schema = EXTRAS.get(entity)
    extras: dict[str, Any] = {}
    if extras_schema is not None:
        given = {k: values.pop(k) for k in list(values) if k in extras_schema.model_fields}
        extras = validate(entity, extras_schema, given).model_dump(include=set(given))
    if schema is not None:
        values = validate(entity, schema, values).model_dump(exclude_unset=True)
    values = {k: normalise(type(record), k, v) for k, v in {**values, **extras}.items()}
    columns = type(record).__table__.c
    emptied = sorted(k for k, v in values.items() if v is None and k in columns and not columns[k].nullable)
    if emptied:  # a field every record has cannot be cleared
        raise ValidationFailed(f"{', '.join(emptied)} cannot be empty",
                               details=[{"field": k, "reason": "required value is missing"} for k in emptied])
    if "owner_id" in values:
        check_owner(session=session, principal=principal, owner_id=values["owner_id"], current=record.owner_id)
    if isinstance(record, Opportunity) and "close_reason" in values and not values["close_reason"] \
            and record.outcome in ("won", "lost"):
        raise ValidationFailed(f"{describe(entity, record)} was {record.outcome}: its close reason can be changed but "
                               "not removed (reopen the deal by moving it to an open stage)",
                               details=[{"field": "close_reason", "reason": f"required for {record.outcome}"}])
    require_change(principal, session=session, record=record, what=describe(entity, record))
    check_version(record, expected_version, entity=entity)
    with session.no_autoflush:  # the signals and the change go out in one write (one version)
        if isinstance(record, Interaction):
            analyse_if_changed(record, values)
        apply_changes(session=session, entity=entity, record=record, changes=values, principal=principal,
                      channel=channel, expected_version=expected_version)
    return record


def refuse_moved_fields(entity: str, data: Mapping[str, Any], *, record_id: int | str = "{id}") -> None:
    """422 naming the fields of ``data`` that only another service changes (a deal's stage, outcome and close
    date: the pipeline) and where to change them, rather than ignoring them silently."""
    fields, route, where = MOVED_ELSEWHERE.get(entity, ((), "", ""))
    given = [f for f in fields if f in data]
    if given:
        route = route.replace("{id}", str(record_id))
        raise ValidationFailed(f"{', '.join(given)} cannot be changed by an update: {where.format(route=route)}",
                               details=[{"field": f, "reason": f"changed only by {route}"} for f in given])


def archive_record(*, session: Session, entity: str, record_id: int, principal: Principal, channel: str,
                   expected_version: int | None = None) -> Any:
    """Soft-delete: the record leaves lists but keeps its rows and history; ``restore_record`` brings it back."""
    record = get_record(session=session, entity=entity, record_id=record_id)
    require_change(principal, session=session, record=record, what=describe(entity, record))
    if record.archived_at is None:
        _set_archived(session, entity, record, utcnow(), principal, channel, expected_version, "archive")
    return record


def restore_record(*, session: Session, entity: str, record_id: int, principal: Principal, channel: str,
                   expected_version: int | None = None) -> Any:
    record = get_record(session=session, entity=entity, record_id=record_id)
    require_change(principal, session=session, record=record, what=describe(entity, record))
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


# --- creating records and syncing them by external id -------------------------------------------------------


@dataclass(frozen=True)
class Upserted:
    """What a PUT by external id did: the record, whether it was new, and the fields it changed."""

    record: Any
    created: bool
    changes: dict[str, list[Any]]


def check_owner(*, session: Session, principal: Principal, owner_id: int | None, current: int | None) -> None:
    """An owner must be a user; only managers and admins give a record to someone other than themselves."""
    check_user(session=session, user_id=owner_id)
    if owner_id != current and owner_id != principal.user_id and not principal.changes_everything:
        raise Forbidden(f"{principal.name} may not assign records to another user: only managers and admins do",
                        details=[{"field": "owner_id", "reason": "only managers and admins assign other owners",
                                  "value": owner_id}])


def analyse_if_changed(record: Interaction, changes: Mapping[str, Any]) -> None:
    """Sentiment and intent of an interaction whose text is new or changed, as ``bizpilot signals analyse`` fills
    them for imported ones (set before the write, so the record is written once)."""
    subject = changes.get("subject", record.subject)
    text = changes.get("text", record.text)
    if not any(k in changes and changes[k] != getattr(record, k) for k in ("subject", "text")) and record.id:
        return
    if not (text or "").strip():
        record.sentiment = record.sentiment_score = record.intent = record.intent_confidence = None
        record.analysed_at = None
        return
    from bizpilot.services.signals.analysis import analyse_texts

    combined = ". ".join(p.strip() for p in (subject, text) if p and p.strip())
    signals = analyse_texts([combined], languages=[changes.get("language", record.language)])[0]
    record.sentiment, record.sentiment_score = signals.sentiment, signals.sentiment_score
    record.intent, record.intent_confidence = signals.intent, signals.intent_confidence
    record.analysed_at = utcnow()


def _existing(session: Session, model: type[Any], key: str, value: Any) -> Any:
    return session.scalar(select(model).where(getattr(model, key) == value))


def _check_account(session: Session, principal: Principal, account_id: int | None) -> None:
    """Sales and service users add contacts, deals and activities only to accounts they own."""
    if account_id is not None and not principal.changes_everything:
        account = session.get(Account, account_id)
        if account is not None:
            require_change(principal, session=session, record=account, what=describe("accounts", account))


def create_record(*, session: Session, entity: str, data: Mapping[str, Any], principal: Principal,
                  channel: str) -> Any:
    """A new account, contact, product, opportunity or interaction, validated as an import row (same schema, same
    references by external id, the same derived key when none is given), owned as the policy says, audited."""
    return _create(session, entity, data, principal, channel)[0]


def _create(session: Session, entity: str, data: Mapping[str, Any], principal: Principal,
            channel: str) -> tuple[Any, dict[str, list[Any]]]:
    spec = spec_for(entity)
    prepared = prepare(session=session, entity=entity, data=data)
    values, extras = prepared.values, prepared.extras
    _check_account(session, principal, values.get("account_id"))
    owner_given, owner = "owner_id" in extras, extras.pop("owner_id", None)
    if entity == "accounts":  # whoever creates an account owns it, unless a manager names another owner
        values["owner_id"] = owner if owner_given else principal.user_id
    elif entity == "opportunities":  # a deal belongs to its account's owner, else to whoever adds it
        account = session.get(Account, values["account_id"]) if values.get("account_id") else None
        default = account.owner_id if account is not None and account.owner_id else principal.user_id
        values["owner_id"] = owner if owner_given else default
    elif entity == "interactions":
        values["user_id"] = principal.user_id  # who logged it
    if values.get("owner_id") is not None:
        check_owner(session=session, principal=principal, owner_id=values["owner_id"], current=None)
    values.update({k: v for k, v in extras.items() if v is not None})
    record = spec.model(**values)
    require_change(principal, session=session, record=record, what=f"a new {label(entity)}")
    key = values.get(spec.key)
    found = _existing(session, spec.model, spec.key, key)
    if found is not None:
        raise ConflictError(f"{describe(entity, found)} already has {spec.key} '{key}': change it, or PUT "
                            f"/api/v1/{entity}/by-external-id/{key} to update it",
                            details=[{"field": spec.key, "reason": "already used", "value": key}])
    if isinstance(record, Interaction):
        analyse_if_changed(record, values)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # created by someone else between the check and the write
        raise ConflictError(f"a {label(entity)} with {spec.key} '{key}' was created meanwhile",
                            details=[{"field": spec.key, "reason": "already used", "value": key}]) from None
    changes = {k: [None, plain(v)] for k, v in values.items() if v is not None}
    audit(session=session, entity=entity, record_id=record.id, action="create", changes=changes,
          principal=principal, channel=channel)
    return record, changes


def upsert_by_external_id(*, session: Session, entity: str, external_id: str, data: Mapping[str, Any],
                          principal: Principal, channel: str, expected_version: int | None = None) -> Upserted:
    """Create or update the record whose natural key (external id; a product's SKU) is ``external_id``, for
    integrations that push what they hold: sending the same data again changes nothing and writes no audit row.
    Fields the data leaves out keep their stored values; ``orders`` take their ``lines`` as a set."""
    if entity == "orders":
        from bizpilot.services.order_sync import upsert_order

        record, created, changes = upsert_order(session=session, external_id=external_id, data=data,
                                                principal=principal, channel=channel)
        return Upserted(record, created, changes)
    spec = spec_for(entity)
    data = dict(data)
    if data.get(spec.key) not in (None, external_id):
        raise ValidationFailed(f"the body's {spec.key} '{data[spec.key]}' is not the one in the path "
                               f"('{external_id}')", details=[{"field": spec.key, "reason": "differs from the path",
                                                               "value": data[spec.key]}])
    data[spec.key] = external_id
    record = _existing(session, spec.model, spec.key, external_id)
    if record is None:
        record, changes = _create(session, entity, data, principal, channel)
        return Upserted(record, True, changes)
    prepared = prepare(session=session, entity=entity, data=data, record=record)
    # when a record was created is history: an update by external id keeps it
    values = {k: v for k, v in {**prepared.values, **prepared.extras}.items() if k not in PROTECTED}
    if "owner_id" in values:
        check_owner(session=session, principal=principal, owner_id=values["owner_id"], current=record.owner_id)
    require_change(principal, session=session, record=record, what=describe(entity, record))
    check_version(record, expected_version, entity=entity)
    if "account_id" in values and values["account_id"] != record.account_id:
        _check_account(session, principal, values["account_id"])
    with session.no_autoflush:
        if isinstance(record, Interaction):
            analyse_if_changed(record, values)
        diff = apply_changes(session=session, entity=entity, record=record, changes=values, principal=principal,
                             channel=channel, expected_version=expected_version)
    return Upserted(record, False, diff)



def history(*, session: Session, entity: str, record_id: int, limit: int = 200) -> list[AuditEntry]:
    """The record's audit trail, newest first."""
    model_for(entity)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.record_id == record_id)
                                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


__all__ = ["EDITABLE", "MOVED_ELSEWHERE", "PROTECTED", "Upserted", "analyse_if_changed", "apply_changes",
           "archive_record", "audit", "check_owner", "check_version", "create_record", "get_record", "history",
           "model_for", "plain", "refuse_moved_fields", "restore_record", "update_record", "upsert_by_external_id"]
