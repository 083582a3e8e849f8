"""What every domain module's pydantic schemas share: the input base (Create/Update), the public base (rows as the
API returns them) and the Update schema derived from a Create schema, so each module lists its fields once per
purpose and an update can never accept a value its Create schema (what imports validate with) rejects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
)


def as_utc(value: datetime) -> datetime:
    """The database stores naive UTC (``db.base.utcnow``): say so, so a client never reads it as local time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_datetimes(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists) with every datetime in it made UTC-aware, for answers built as plain
    dicts whose datetimes would otherwise leave without an offset."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, dict):
        return {key: utc_datetimes(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [utc_datetimes(item) for item in value]
    return value


# A datetime field written in JSON as UTC with its offset (``2024-03-07T10:00:00Z``), for schemas that do not
# derive from ``UTCSchema`` (dataclasses). Python values stay as stored (naive UTC), so comparisons in services
# keep working; only what leaves the process carries the offset.
UTCDateTime = Annotated[datetime, PlainSerializer(as_utc, return_type=datetime, when_used="json")]


class UTCSchema(BaseModel):
    """A model whose datetimes are written in JSON as UTC with their offset (the OpenAPI ``date-time`` format
    promises one), whatever the field; Python values (``model_dump()``) are left as they are."""

    @model_serializer(mode="wrap", when_used="json")
    def _utc_datetimes(self, handler: SerializerFunctionWrapHandler):  # no return type: the fields' schema stays
        naive = {name: as_utc(value) for name, value in self.__dict__.items()
                 if isinstance(value, datetime) and value.tzinfo is None}
        return handler(self.model_copy(update=naive) if naive else self)


class InputSchema(BaseModel):
    """Data coming in (import rows, API bodies): white space around text is never part of the value."""

    model_config = ConfigDict(str_strip_whitespace=True)


class PublicSchema(UTCSchema):
    """A stored row as the API returns it, read straight from the table model's attributes (datetimes in JSON as
    UTC with their offset)."""

    model_config = ConfigDict(from_attributes=True)


def update_schema(create: type[InputSchema], *fields: str) -> type[InputSchema]:
    """``<Entity>Update``: the named fields of ``create`` that a change may set, each optional (``None`` leaves the
    stored value as it is) and checked with the same constraints (lengths, ranges, patterns) as on create."""
    definitions: dict[str, Any] = {}
    for name in fields:
        info = create.model_fields[name]
        optional = info.annotation | None  # type: ignore[operator]
        definitions[name] = (Annotated[(optional, *info.metadata)] if info.metadata else optional, None)
    return create_model(create.__name__.removesuffix("Create") + "Update", __base__=InputSchema,
                        __module__=create.__module__, **definitions)
