"""The workspace's "today": one definition for scores, due dates, alerts and training.

A live workspace's today is the calendar day (UTC). A workspace whose data ends in the past (an old export, the
demo, a test fixture) would otherwise show every account as lapsed and every reorder as overdue, so when the newest
order or interaction is more than ``STALE_AFTER_DAYS`` old, today is the day of that newest activity: the data's own
present. ``BIZPILOT_AS_OF`` (``Settings.as_of``) pins it explicitly.

``as_of`` is the moment models score at: midnight after today, so everything that happened today counts as past.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.domain import Interaction, Order

STALE_AFTER_DAYS = 30


def utc_today() -> date:
    return datetime.now(UTC).date()


def last_activity(*, session: Session) -> datetime | None:
    """The newest order or interaction timestamp, or None in an empty workspace."""
    newest_order = session.scalar(select(func.max(Order.ordered_at)))
    newest_message = session.scalar(select(func.max(Interaction.occurred_at)))
    stamps = [s for s in (newest_order, newest_message) if s is not None]
    return max(stamps) if stamps else None


def workspace_today(*, session: Session, now: date | None = None) -> date:
    """The workspace's today (see the module docstring)."""
    pinned = get_settings().as_of
    if pinned is not None:
        return pinned
    today = now or utc_today()
    newest = last_activity(session=session)
    if newest is None:
        return today
    newest_day = newest.date()
    return today if newest_day >= today - timedelta(days=STALE_AFTER_DAYS) else newest_day


def as_of(*, session: Session, now: date | None = None) -> datetime:
    """Midnight after the workspace's today: models score the history strictly before it."""
    return datetime.combine(workspace_today(session=session, now=now) + timedelta(days=1), time())


__all__ = ["STALE_AFTER_DAYS", "as_of", "last_activity", "utc_today", "workspace_today"]
