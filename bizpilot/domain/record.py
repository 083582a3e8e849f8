"""What every record a person edits carries: a version for optimistic concurrency, an archive mark (soft delete,
restorable) and the time of the last change.

``version`` is SQLAlchemy's version counter: every ORM update writes ``WHERE version = <the version read>`` and
bumps it, so two people who loaded the same record can never both save over each other; the records service
also compares the version the client saw (``If-Match`` or a ``version`` field) and answers 409 on a mismatch.
Archived records keep their rows (and their history) but leave lists unless asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from bizpilot.db.base import utcnow


class Editable:
    """Mixin of the tables people edit from the dashboard and the API (accounts, contacts, products,
    opportunities, interactions)."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1", sort_order=100)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime, sort_order=101)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, sort_order=102)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - a declarative directive takes the class
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


EDITABLE_FIELDS = ("version", "archived_at", "updated_at")

__all__ = ["EDITABLE_FIELDS", "Editable"]
