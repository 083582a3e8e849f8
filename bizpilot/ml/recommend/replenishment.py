"""Replenishment: per account and product, the purchase cycle and the date a reorder is due, from order history.

A cycle needs at least ``min_orders`` distinct purchase days. The cycle is the median gap between consecutive
purchase days (robust to one late order); its spread (median absolute deviation / median) says how regular the
account is, and the due date is the last purchase plus the cycle. Everything is one pandas groupby over the
history: no Python loop over order lines.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd


def purchase_cycles(accounts: np.ndarray, products: np.ndarray, dates: np.ndarray, *,
                    as_of: datetime | pd.Timestamp | None = None, min_orders: int = 3,
                    due_window_days: float = 7.0, lapsed_after_cycles: float = 3.0) -> pd.DataFrame:
    """One row per (account, product) bought on ``min_orders``+ distinct days, with columns ``account``,
    ``product``, ``n_orders``, ``cycle_days``, ``regularity`` (0..1, 1 = perfectly regular), ``last_purchase``,
    ``days_since_last``, ``due_date``, ``due_in_days`` (negative = overdue) and ``status`` (overdue / due /
    upcoming, or lapsed when more than ``lapsed_after_cycles`` cycles have passed since the last purchase: a
    relationship to win back rather than a reorder to remind of). Sorted by ``due_in_days``."""
    frame = pd.DataFrame({"account": np.asarray(accounts), "product": np.asarray(products),
                          "day": pd.to_datetime(np.asarray(dates)).normalize()})
    frame = frame.dropna().drop_duplicates().sort_values(["account", "product", "day"])
    columns = ["account", "product", "n_orders", "cycle_days", "regularity", "last_purchase", "days_since_last",
               "due_date", "due_in_days", "status"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    as_of_ts = pd.Timestamp(as_of if as_of is not None else frame["day"].max()).normalize()
    if as_of_ts.tzinfo is not None:
        as_of_ts = as_of_ts.tz_localize(None)
    frame["gap"] = frame.groupby(["account", "product"], sort=False)["day"].diff().dt.total_seconds() / 86400.0
    grouped = frame.groupby(["account", "product"], sort=False)
    stats = grouped.agg(n_orders=("day", "size"), last_purchase=("day", "max"), cycle_days=("gap", "median"))
    stats = stats[stats["n_orders"] >= min_orders].copy()
    if stats.empty:
        return pd.DataFrame(columns=columns)
    gaps = frame.dropna(subset=["gap"]).join(stats["cycle_days"], on=["account", "product"], how="inner")
    gaps["dev"] = (gaps["gap"] - gaps["cycle_days"]).abs()
    mad = gaps.groupby(["account", "product"], sort=False)["dev"].median()
    stats["regularity"] = (1.0 - (mad.reindex(stats.index) / stats["cycle_days"].clip(lower=1.0))).clip(0.0, 1.0)
    stats["cycle_days"] = stats["cycle_days"].clip(lower=1.0)
    stats["days_since_last"] = (as_of_ts - stats["last_purchase"]).dt.total_seconds() / 86400.0
    stats["due_date"] = stats["last_purchase"] + pd.to_timedelta(stats["cycle_days"], unit="D")
    stats["due_in_days"] = stats["cycle_days"] - stats["days_since_last"]
    lapsed = stats["days_since_last"] > lapsed_after_cycles * stats["cycle_days"]
    stats["status"] = np.select([lapsed, stats["due_in_days"] < 0, stats["due_in_days"] <= due_window_days],
                                ["lapsed", "overdue", "due"], default="upcoming")
    out = stats.reset_index()[columns]
    return out.sort_values(["due_in_days", "account", "product"], kind="stable").reset_index(drop=True)


__all__ = ["purchase_cycles"]
