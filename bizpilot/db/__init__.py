"""Engine, sessions and migrations. SQLite in the workspace by default, PostgreSQL by URL."""

from bizpilot.db.engine import get_engine, reset_engine, session_scope
from bizpilot.db.migrate import upgrade

__all__ = ["get_engine", "reset_engine", "session_scope", "upgrade"]
