"""Declarative base shared by every table, with a naming convention so migrations are stable on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, MetaData, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB on PostgreSQL so later features can index into attributes.
JsonType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
# Money and quantities: exact NUMERIC on PostgreSQL, floats in Python (analytics code wants floats).
Money = Numeric(16, 4, asdecimal=False)
Quantity = Numeric(16, 4, asdecimal=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC timestamp: both dialects store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)
