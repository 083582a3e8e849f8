"""Request-scoped dependencies shared by the JSON API and the web pages: a checked database and a session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bizpilot.db.engine import get_engine, session_scope
from bizpilot.db.migrate import current_revision, head_revision
from bizpilot.errors import BizpilotError

# The CLI owns migrations; the app only tells people how to run them.
INIT_HINT = "run `bizpilot init` (or call bizpilot.db.upgrade()) to create or upgrade it"

_ready: set[str] = set()


class DatabaseNotReady(BizpilotError):
    """The database is missing, unreachable or on an older schema: a setup problem, not a server bug."""

    code = "database_not_ready"
    status = 503


def ensure_database(engine: Engine | None = None) -> Engine:
    """Check once per database URL that the schema is at the migrations' head; raise a clear error otherwise."""
    engine = engine or get_engine()
    key = engine.url.render_as_string(hide_password=False)
    if key in _ready:
        return engine
    where = engine.url.render_as_string(hide_password=True)
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseNotReady(f"cannot open the database {where}: {reason}",
                               details=[{"field": "database", "reason": "unreachable"}]) from None
    head = head_revision(engine)
    if current is None:
        raise DatabaseNotReady(f"the database {where} is not initialised; {INIT_HINT}",
                               details=[{"field": "database", "reason": "not initialised"}])
    if current != head:
        raise DatabaseNotReady(
            f"the database {where} is at schema revision {current} but this version needs {head}; {INIT_HINT}",
            details=[{"field": "database", "reason": f"schema revision {current} != {head}"}])
    _ready.add(key)
    return engine


def forget_database_checks() -> None:
    """Re-check on the next request (tests that change workspaces, or after a migration)."""
    _ready.clear()


def get_session() -> Iterator[Session]:
    """One transaction per request on a ready database; rolled back if the handler fails."""
    engine = ensure_database()
    with session_scope(engine) as session:
        yield session


# ``session: SessionDep`` in a route signature gives it a session on a checked database, committed when the route
# function returns and before the response is sent (``scope="function"``): a client that follows a redirect or
# reads what it just wrote never races the commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
