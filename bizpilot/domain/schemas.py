"""What every domain module's pydantic schemas share: the input base (Create/Update), the public base (rows as the
API returns them) and the Update schema derived from a Create schema, so each module lists its fields once per
purpose and an update can never accept a value its Create schema (what imports validate with) rejects."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, create_model


class InputSchema(BaseModel):
    """Data coming in (import rows, API bodies): white space around text is never part of the value."""

    model_config = ConfigDict(str_strip_whitespace=True)


class PublicSchema(BaseModel):
    """A stored row as the API returns it, read straight from the table model's attributes."""

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
