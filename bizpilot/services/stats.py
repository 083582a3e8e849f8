"""Row counts of every table: what `bizpilot stats` and `/api/v1/stats` report."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import bizpilot.domain  # noqa: F401  (registers every table)
from bizpilot.db.base import Base


def table_counts(*, session: Session) -> dict[str, int]:
    """{table name: row count} for every table of the data model, in a stable order."""
    return {name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in sorted(Base.metadata.tables.items())}
