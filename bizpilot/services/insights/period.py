"""The report period and the previous period of the same length, shared by every insights reader."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bizpilot.errors import InvalidParameter


def period_bounds(start: date, end: date) -> tuple[datetime, datetime, datetime]:
    """(previous start, start, end) as datetimes; ``end`` is inclusive (a day), the previous period as long."""
    if end < start:
        raise InvalidParameter(f"--to ({end}) is before --from ({start})", details=[{"field": "to"}])
    lo, hi = datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())
    return lo - (hi - lo), lo, hi


__all__ = ["period_bounds"]
