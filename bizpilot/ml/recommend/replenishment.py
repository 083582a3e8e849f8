"""Replenishment: per account and product, the purchase cycle, the date a reorder is due, the chance of a reorder
within a horizon and the units it would bring, all from one cycle, so every page tells the same story.

A cycle needs at least ``min_orders`` distinct purchase days. The cycle is the median gap between consecutive
purchase days (robust to one late order); its spread (median absolute deviation / median) says how regular the
account is, and the due date is the last purchase plus the cycle. The pair reorders as a renewal process at one
order per cycle, damped once it is more than two cycles overdue (a relationship that is fading), so within
``horizon_days`` it expects ``horizon / cycle x damping`` orders: the reorder probability is the Poisson chance of
at least one, and the expected units are that many orders of its usual (median) quantity, with an 80 % range from
the Poisson quantiles. Everything is one pandas groupby over the history: no Python loop over order lines.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from scipy.stats import poisson

PROBABILITY_RANGE = (0.01, 0.99)


def purchase_cycles(accounts: np.ndarray, products: np.ndarray, dates: np.ndarray, *,
                    quantities: np.ndarray | None = None, as_of: datetime | pd.Timestamp | None = None,
                    min_orders: int = 3, due_window_days: float = 7.0, lapsed_after_cycles: float = 3.0,
                    horizon_days: float = 30.0) -> pd.DataFrame:
    """One row per (account, product) bought on ``min_orders``+ distinct days, with columns ``account``,
    ``product``, ``n_orders``, ``cycle_days``, ``regularity`` (0..1, 1 = perfectly regular), ``last_purchase``,
    ``days_since_last``, ``due_date``, ``due_in_days`` (negative = overdue), ``status`` (overdue / due /
    upcoming, or lapsed when more than ``lapsed_after_cycles`` cycles have passed since the last purchase: a
    relationship to win back rather than a reorder to remind of), ``probability`` (of a reorder within
    ``horizon_days``), ``units_per_order`` (median quantity of a purchase day; 1 without ``quantities``) and
    ``expected_units``/``expected_low``/``expected_high`` over the horizon. Sorted by ``due_in_days``."""
    qty = np.ones(len(np.asarray(accounts))) if quantities is None else np.asarray(quantities, dtype=float)
    frame = pd.DataFrame({"account": np.asarray(accounts), "product": np.asarray(products),
                          "day": pd.to_datetime(np.asarray(dates)).normalize(), "quantity": qty})
    frame = frame.dropna(subset=["account", "product", "day"])
    frame = (frame.groupby(["account", "product", "day"], sort=False, as_index=False)["quantity"].sum()
             .sort_values(["account", "product", "day"]))
    columns = ["account", "product", "n_orders", "cycle_days", "regularity", "last_purchase", "days_since_last",
               "due_date", "due_in_days", "status", "probability", "units_per_order", "expected_units",
               "expected_low", "expected_high"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    as_of_ts = pd.Timestamp(as_of if as_of is not None else frame["day"].max()).normalize()
    if as_of_ts.tzinfo is not None:
        as_of_ts = as_of_ts.tz_localize(None)
    frame["gap"] = frame.groupby(["account", "product"], sort=False)["day"].diff().dt.total_seconds() / 86400.0
    grouped = frame.groupby(["account", "product"], sort=False)
    stats = grouped.agg(n_orders=("day", "size"), last_purchase=("day", "max"), cycle_days=("gap", "median"),
                        units_per_order=("quantity", "median"))
    stats = stats[stats["n_orders"] >= max(min_orders, 2)].copy()
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
    damping = np.exp(-np.maximum(stats["days_since_last"] / stats["cycle_days"] - 2.0, 0.0) / 2.0)
    orders = horizon_days / stats["cycle_days"] * damping
    stats["probability"] = np.clip(1.0 - np.exp(-orders), *PROBABILITY_RANGE)
    stats["units_per_order"] = stats["units_per_order"].clip(lower=0.0)
    stats["expected_units"] = orders * stats["units_per_order"]
    stats["expected_low"] = stats["units_per_order"] * poisson_quantile(orders, 0.1)
    stats["expected_high"] = stats["units_per_order"] * poisson_quantile(orders, 0.9)
    out = stats.reset_index()[columns]
    return out.sort_values(["due_in_days", "account", "product"], kind="stable").reset_index(drop=True)


def poisson_quantile(mean: pd.Series, q: float) -> np.ndarray:
    """The ``q`` quantile of a Poisson count with this mean (the order count of an 80 % range)."""
    return poisson.ppf(q, np.maximum(mean.to_numpy(dtype=float), 1e-9))


__all__ = ["purchase_cycles"]
