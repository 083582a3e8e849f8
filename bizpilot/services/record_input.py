"""What a create or upsert from the API or a page becomes before it is written: the same checks as an import row.

The entity's ``EntitySpec`` (``ingest/specs.py``) is the one description of an importable record: its Create schema
validates the fields, references to other records are resolved by their natural keys (an unknown one is refused,
naming the field), and a record without an external id gets the key an import would derive for it, so importing
the same row later finds this record instead of adding a second. Besides the Create schema, a record takes the
fields people set that no import file carries (an owner, a deal's next step, a logged call's outcome), checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Numeric, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.schemas import InputSchema
from bizpilot.domain.user import User
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.ingest.specs import SPECS, EntitySpec

MAX_ID = 2**63 - 1
# The entities people create, edit and archive from the dashboard and the API (tasks have their own routes).
RECORD_ENTITIES = ("accounts", "contacts", "products", "opportunities", "interactions")
# Required fields that mean "when": absent on a create, they are "now" (an import file always has them).
NOW_FIELDS = ("created_at", "occurred_at")


class OwnerFields(InputSchema):
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="The user who owns the record")


class OpportunityFields(OwnerFields):
    next_step: str | None = Field(default=None, max_length=255)
    close_reason: str | None = Field(default=None, max_length=4000)


class InteractionFields(InputSchema):
    outcome: str | None = Field(default=None, max_length=64, description="What came of a call or meeting")


# Fields besides the Create schema, per entity.
EXTRAS: dict[str, type[InputSchema]] = {"accounts": OwnerFields, "opportunities": OpportunityFields,
                                        "interactions": InteractionFields}


@dataclass
class Prepared:
    """Column values to write (only those the input sets, on an update), and the extra fields given."""

    values: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)


def spec_for(entity: str) -> EntitySpec:
    if entity not in RECORD_ENTITIES:
        raise NotFoundError(f"{entity!r} records cannot be created here; one of: {', '.join(RECORD_ENTITIES)}",
                            details=[{"field": "entity", "reason": "not creatable", "value": entity}])
    return SPECS[entity]


def label(entity: str) -> str:
    """``accounts`` -> ``account``, ``opportunities`` -> ``opportunity``."""
    return entity[:-3] + "y" if entity.endswith("ies") else entity[:-1]


def invalid(entity: str, exc: ValidationError, prefix: str = "") -> ValidationFailed:
    """A pydantic error as the error model's 422: every field named with its reason."""
    details = [{"field": prefix + (".".join(str(p) for p in err["loc"]) or "(record)"),
                "reason": "required value is missing" if err["type"] == "missing" else err["msg"]}
               for err in exc.errors()]
    summary = "; ".join(f"{d['field']}: {d['reason']}" for d in details[:5])
    return ValidationFailed(f"invalid {label(entity)}: {summary}", details=details)


def validate(entity: str, schema: type[BaseModel], raw: Mapping[str, Any], prefix: str = "") -> BaseModel:
    try:
        return schema.model_validate(dict(raw))
    except ValidationError as exc:
        raise invalid(entity, exc, prefix) from None


def normalise(model: type[Any], name: str, value: Any) -> Any:
    """A value as the column stores it (UTC without zone, NUMERIC's scale), so sending the same value twice
    changes nothing the second time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    column = model.__table__.c.get(name)
    if isinstance(value, float) and column is not None and isinstance(column.type, Numeric) and column.type.scale:
        value = round(value, column.type.scale)
    return value


def check_user(*, session: Session, user_id: int | None, name: str = "owner_id") -> None:
    if user_id is not None and session.get(User, user_id) is None:
        raise ValidationFailed(f"no user with id {user_id}", details=[{"field": name, "reason": "unknown user",
                                                                       "value": user_id}])


def _resolve(session: Session, spec: EntitySpec, dump: Mapping[str, Any], given: set[str],
             direct: Mapping[str, Any]) -> dict[str, int | None]:
    """Foreign keys from natural keys (``account_external_id``) or from ids given as such (``account_id``)."""
    out: dict[str, int | None] = {}
    for ref in spec.references:
        if ref.field in given:
            value = dump.get(ref.field)
            found = None if value is None else session.scalar(
                select(ref.model.id).where(getattr(ref.model, ref.key) == str(value)))  # type: ignore[attr-defined]
            if value is not None and found is None:
                raise ValidationFailed(f"unknown {ref.label} '{value}'",
                                       details=[{"field": ref.field, "reason": f"unknown {ref.label}",
                                                 "value": value}])
            if ref.column in direct and direct[ref.column] != found:
                raise ValidationFailed(f"{ref.field} and {ref.column} name different {ref.label}s",
                                       details=[{"field": ref.column, "reason": f"not the {ref.label} of {ref.field}",
                                                 "value": direct[ref.column]}])
            out[ref.column] = found
        elif ref.column in direct:
            value = direct[ref.column]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or not 1 <= value <= MAX_ID or session.get(ref.model, value) is None):
                raise ValidationFailed(f"unknown {ref.label} id {value!r}",
                                       details=[{"field": ref.column, "reason": f"unknown {ref.label}",
                                                 "value": value}])
            out[ref.column] = value
    return out


def _owner_by_name(session: Session, spec: EntitySpec, text: str | None, values: dict[str, Any],
                   extras: dict[str, Any]) -> None:
    """An ``owner`` given by a user's name or e-mail, matched as imports match an owner column
    (``ingest/owners.py``): an account naming nobody is refused; a deal keeps the name as text, without owner."""
    from bizpilot.ingest.owners import user_index

    index = user_index(session.connection())
    if not index:  # nobody to match (a single-person install): as an import, no owner is set
        return
    match = index.get(text.strip().casefold()) if text else None
    if match is None and text and spec.owned == "reject":
        raise ValidationFailed(f"unknown owner '{text}': no user has this name or e-mail",
                               details=[{"field": "owner", "reason": "unknown user", "value": text}])
    owner_id = match[0] if match else None
    if "owner_id" in extras and extras["owner_id"] != owner_id:
        raise ValidationFailed("owner and owner_id name different users",
                               details=[{"field": "owner_id", "reason": "not the user named by owner",
                                         "value": extras["owner_id"]}])
    extras["owner_id"] = owner_id
    if "owner" in spec.model.__table__.c:
        values["owner"] = match[1] if match else (text or None)


def prepare(*, session: Session, entity: str, data: Mapping[str, Any], record: Any = None) -> Prepared:
    """Check ``data`` as an import row of ``entity`` and turn it into column values.

    Without ``record`` (a create) every field counts, defaults included, and a missing key is derived as imports
    derive it; with ``record`` (an update by external id) only the fields ``data`` names are changed, and required
    fields it leaves out keep their stored values.
    """
    spec = spec_for(entity)
    schema, model = spec.schema, spec.model
    raw = dict(data)
    extras_schema = EXTRAS.get(entity)
    extra_names = set(extras_schema.model_fields) if extras_schema else set()
    ref_columns = {ref.column for ref in spec.references}
    unknown = sorted(set(raw) - set(schema.model_fields) - extra_names - ref_columns)
    if unknown:
        raise ValidationFailed(f"unknown field(s) for {label(entity)}: {', '.join(unknown)}",
                               details=[{"field": f, "reason": "unknown or read-only field"} for f in unknown])
    extras: dict[str, Any] = {}
    if extras_schema is not None:
        given_extras = {k: raw.pop(k) for k in extra_names if k in raw}
        extras = validate(entity, extras_schema, given_extras).model_dump(include=set(given_extras))
    direct = {c: raw.pop(c) for c in ref_columns if c in raw}
    given = set(raw)
    checked = dict(raw)
    for name, info in schema.model_fields.items():
        if name in checked or not info.is_required():
            continue
        if record is not None and name in model.__table__.c:
            checked[name] = getattr(record, name)
        elif record is None and name in NOW_FIELDS:
            checked[name] = utcnow()
            given.add(name)
    dump = validate(entity, schema, checked).model_dump()
    fields = given if record is not None else set(schema.model_fields)
    ref_fields = {ref.field for ref in spec.references}
    columns = model.__table__.c
    values = {f: normalise(model, f, dump[f]) for f in fields if f in columns and f not in ref_fields}
    values.update(_resolve(session, spec, dump, given, direct))
    if getattr(spec, "owned", None) and "owner" in given:
        _owner_by_name(session, spec, dump.get("owner"), values, extras)
    if record is None:
        values = {k: v for k, v in values.items() if v is not None}
        if not values.get(spec.key):
            for ref in spec.references:  # a reference given by id: its natural key, for the derived key
                if dump.get(ref.field) is None and values.get(ref.column) is not None:
                    dump[ref.field] = getattr(session.get(ref.model, values[ref.column]), ref.key)
            values[spec.key] = spec.derive_key(dump) if spec.derive_key else None
    return Prepared(values=values, extras=extras)


__all__ = ["EXTRAS", "MAX_ID", "NOW_FIELDS", "RECORD_ENTITIES", "InteractionFields", "OpportunityFields",
           "OwnerFields", "Prepared", "check_user", "invalid", "label", "normalise", "prepare", "spec_for", "validate"]
