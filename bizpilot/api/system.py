"""Operational endpoints: health (for probes and the CLI) and row counts of every table."""

from __future__ import annotations

from fastapi import APIRouter

import bizpilot
from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.schemas import ERROR_RESPONSES, Health, Stats
from bizpilot.services.stats import table_counts

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health, operation_id="health", responses=ERROR_RESPONSES,
            summary="Is the app up and its database ready?")
def health() -> Health:
    """503 in the error model when the database is missing or behind on migrations."""
    engine = ensure_database()
    return Health(status="ok", version=getattr(bizpilot, "__version__", "unknown"), database="ready",
                  dialect=engine.dialect.name)


@router.get("/stats", response_model=Stats, operation_id="stats", responses=ERROR_RESPONSES,
            summary="Row count of every table")
def stats(session: SessionDep) -> Stats:
    """The same counts as `bizpilot stats` (one implementation in services.stats)."""
    return Stats(tables=table_counts(session=session))
