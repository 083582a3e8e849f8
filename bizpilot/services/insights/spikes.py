"""Sudden spikes: weekly counts of each topic, each listed competitor and all customer messages, and the weeks whose
count is far above the series' own recent rate.

The test is a Poisson tail against the trailing rate, not a robust z-score: the series are small counts (a topic
gets 0-10 messages a week in most workspaces), where the trailing median absolute deviation is 0 in most weeks, so a
z-score is undefined or explodes on a single extra message, while a count over a known rate is exactly what the
Poisson tail describes. A week ``w`` is a spike when

- the series has at least ``MIN_HISTORY`` earlier weeks (a full window: the first weeks of a workspace's history
  ramp up as accounts arrive, and a new topic is not a spike in its first weeks),
- its count is at least ``MIN_COUNT`` and at least ``MIN_RATIO`` times the expected count,
- ``P(X >= count | X ~ Poisson(rate)) < ALPHA``, where ``rate`` is the mean of the ``WINDOW`` weeks before ``w``
  leaving out weeks already flagged (one burst does not hide the next), and at least ``RATE_FLOOR`` (a topic
  silent for two months needs 5 messages in a week to count: P(X >= 5 | 0.5) = 0.00017, P(X >= 4) = 0.0018).

``ALPHA`` = 0.001 keeps false alarms rare when a workspace has a dozen topics over a year of weeks (12 x 52 tests:
under one false alarm a year on steady series). The series count all customer messages too, so a surge of every
topic at once shows as a spike of the whole volume, next to the topics'.

Weeks start on Monday. Everything here is computed when the ``topics`` model trains (``training.py``) and stored
with its outputs (subject ``series``); the page and the report only read and filter them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from scipy.stats import poisson

WINDOW = 8
MIN_HISTORY = 8
MIN_COUNT = 3
MIN_RATIO = 2.0
ALPHA = 0.001
RATE_FLOOR = 0.5


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly_counts(days: Iterable[date], first: date, last: date) -> list[int]:
    """Counts per week from ``first``'s week to ``last``'s week, both included (days outside are ignored)."""
    start, end = week_start(first), week_start(last)
    n = (end - start).days // 7 + 1
    counts = [0] * max(n, 0)
    for day in days:
        i = (week_start(day) - start).days // 7
        if 0 <= i < n:
            counts[i] += 1
    return counts


def detect_spikes(counts: Sequence[int], *, window: int = WINDOW, min_history: int = MIN_HISTORY,
                  min_count: int = MIN_COUNT, min_ratio: float = MIN_RATIO, alpha: float = ALPHA,
                  rate_floor: float = RATE_FLOOR) -> list[dict[str, Any]]:
    """The spike weeks of ``counts`` (see the module docstring): index, count, expected (the trailing rate) and
    the Poisson tail probability of a count at least this high."""
    flagged: set[int] = set()
    out = []
    for i, count in enumerate(counts):
        if i < min_history or count < min_count:
            continue
        trailing = [counts[j] for j in range(max(0, i - window), i) if j not in flagged]
        if not trailing:
            continue
        rate = max(sum(trailing) / len(trailing), rate_floor)
        if count < min_ratio * rate:
            continue
        p = float(poisson.sf(count - 1, rate))
        if p < alpha:
            flagged.add(i)
            out.append({"index": i, "count": int(count), "expected": round(rate, 2), "p_value": float(f"{p:.3g}")})
    return out


def series(*, kind: str, key: str | int, label: str, days: Sequence[date], first: date, last: date,
           quotes_for: Any = None) -> dict[str, Any]:
    """One stored series: its weekly counts from ``first``'s week and its spikes with the week's start date and,
    from ``quotes_for(week_start, week_end)``, example quotes of that week."""
    counts = weekly_counts(days, first, last)
    start = week_start(first)
    spikes = []
    for s in detect_spikes(counts):
        week = start + timedelta(weeks=s["index"])
        spike = {"week": week.isoformat(), "count": s["count"], "expected": s["expected"], "p_value": s["p_value"]}
        spike["quotes"] = quotes_for(week, week + timedelta(days=7)) if quotes_for else []
        spikes.append(spike)
    return {"kind": kind, "key": key, "label": label, "start": start.isoformat(), "counts": counts,
            "spikes": spikes}


def spikes_in(stored: Iterable[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """The spikes of stored series whose week starts within [start, end], strongest first (lowest tail
    probability, then the larger excess), each with its series' kind, key, label and the weekly counts of the
    period (with the eight weeks before it, for the small chart)."""
    out = []
    for s in stored:
        first = date.fromisoformat(s["start"])
        lo = max(0, (week_start(start) - first).days // 7 - WINDOW)
        hi = (week_start(end) - first).days // 7 + 1
        for spike in s["spikes"]:
            if start <= date.fromisoformat(spike["week"]) + timedelta(days=6) and date.fromisoformat(
                    spike["week"]) <= end:
                window = s["counts"][lo:hi]
                out.append({**spike, "kind": s["kind"], "key": s["key"], "label": s["label"],
                            "weeks": [{"week": (first + timedelta(weeks=lo + j)).isoformat(), "count": c}
                                      for j, c in enumerate(window)]})
    out.sort(key=lambda r: (r["p_value"], -(r["count"] - r["expected"]), r["week"], str(r["key"])))
    return out


__all__ = ["ALPHA", "MIN_COUNT", "MIN_HISTORY", "WINDOW", "detect_spikes", "series", "spikes_in", "week_start",
           "weekly_counts"]
