"""Per-account behaviour features at a point in time, from one transactions frame.

Everything here reads a *transactions frame*: one row per order line with the columns in ``TX_COLUMNS``
(``account``, ``order``, ``product``, ``ordered_at``, ``quantity``, ``amount``, ``is_return``, optional
``country``). The evaluation CLI builds it from a file and the services from the database, so the model sees the
same features in both places. Features at ``asof`` only read rows strictly before ``asof`` (no look-ahead).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizpilot.errors import ValidationFailed

TX_COLUMNS = ("account", "order", "product", "ordered_at", "quantity", "amount", "is_return")
WINDOWS = (30, 90, 180, 365)

# Plain-language names of the features, for the factors shown next to a score.
FEATURE_LABELS: dict[str, str] = {
    "recency_days": "days since the last order",
    "tenure_days": "days since the first order",
    "n_orders": "number of orders",
    "n_order_days": "days with an order",
    "monetary": "total spend",
    "avg_order_value": "average order value",
    "lines_per_order": "lines per order",
    "gap_mean": "average days between orders",
    "gap_std": "variability of days between orders",
    "gap_median": "median days between orders",
    "gap_last": "days between the last two orders",
    "overdue_ratio": "days since last order / usual gap",
    "n_products": "distinct products bought",
    "quantity": "units bought",
    "n_returns": "returns/cancellations",
    "return_value": "value returned/cancelled",
    "trend_90": "orders in the last 90 days vs the 90 before",
    "order_rate": "order days per day of tenure",
    "n_months": "distinct months with an order",
    "home_country": "in the main country",
    **{f"orders_{w}d": f"orders in the last {w} days" for w in WINDOWS},
    **{f"spend_{w}d": f"spend in the last {w} days" for w in WINDOWS},
}


def check_transactions(tx: pd.DataFrame) -> pd.DataFrame:
    """``tx`` with the required columns typed; ``ValidationFailed`` naming the missing columns."""
    missing = [c for c in TX_COLUMNS if c not in tx.columns]
    if missing:
        raise ValidationFailed(f"transactions frame lacks column(s): {', '.join(missing)}",
                               details=[{"row": 1, "field": c, "reason": "missing column"} for c in missing])
    out = tx.copy()
    out["ordered_at"] = pd.to_datetime(out["ordered_at"])
    out["quantity"] = out["quantity"].astype(float)
    out["amount"] = out["amount"].astype(float)
    out["is_return"] = out["is_return"].astype(bool)
    out["account"] = out["account"].astype(str)
    out["product"] = out["product"].astype(str)
    out["order"] = out["order"].astype(str)
    return out


def sales(tx: pd.DataFrame) -> pd.DataFrame:
    """Purchase lines only (no returns/cancellations, positive quantity)."""
    return tx[~tx["is_return"] & (tx["quantity"] > 0)]


def buyers_between(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> set[str]:
    """Accounts with a purchase in ``[start, end)``."""
    s = sales(tx)
    s = s[(s["ordered_at"] >= start) & (s["ordered_at"] < end)]
    return set(s["account"].unique())


def account_features(tx: pd.DataFrame, asof: pd.Timestamp, home_country: str | None = None) -> pd.DataFrame:
    """One row per account that bought before ``asof``: recency, frequency over several windows, monetary,
    tenure, inter-purchase gap statistics, trend, returns, product breadth and (when given) country."""
    asof = pd.Timestamp(asof)
    before = tx[tx["ordered_at"] < asof]
    s = sales(before)
    if s.empty:
        return pd.DataFrame(columns=list(FEATURE_LABELS)).astype(float)
    s = s.assign(day=s["ordered_at"].dt.normalize())
    orders = s.groupby(["account", "order"], sort=False).agg(day=("day", "min"), amount=("amount", "sum"),
                                                              lines=("product", "size")).reset_index()
    g = orders.groupby("account")
    out = pd.DataFrame(index=g.size().index)
    out.index.name = "account"
    out["recency_days"] = (asof - g["day"].max()).dt.days.astype(float)
    out["tenure_days"] = (asof - g["day"].min()).dt.days.astype(float)
    out["n_orders"] = g.size().astype(float)
    days = orders.drop_duplicates(["account", "day"]).sort_values(["account", "day"])
    out["n_order_days"] = days.groupby("account").size().astype(float)
    for w in WINDOWS:
        recent = orders[orders["day"] >= asof - pd.Timedelta(days=w)].groupby("account")
        out[f"orders_{w}d"] = recent.size().reindex(out.index).fillna(0.0)
        out[f"spend_{w}d"] = recent["amount"].sum().reindex(out.index).fillna(0.0)
    out["monetary"] = g["amount"].sum()
    out["avg_order_value"] = g["amount"].mean()
    out["lines_per_order"] = g["lines"].mean()
    gaps = days.assign(gap=days.groupby("account")["day"].diff().dt.days).groupby("account")["gap"]
    out["gap_mean"] = gaps.mean()
    out["gap_std"] = gaps.std()
    out["gap_median"] = gaps.median()
    out["gap_last"] = gaps.last()
    out["overdue_ratio"] = out["recency_days"] / out["gap_mean"]
    out["n_products"] = s.groupby("account")["product"].nunique().astype(float)
    out["quantity"] = s.groupby("account")["quantity"].sum()
    returns = before[before["is_return"]]
    out["n_returns"] = returns.groupby("account")["order"].nunique().reindex(out.index).fillna(0.0)
    out["return_value"] = returns.groupby("account")["amount"].sum().abs().reindex(out.index).fillna(0.0)
    prev_90 = out["orders_180d"] - out["orders_90d"]
    out["trend_90"] = (out["orders_90d"] + 1.0) / (prev_90 + 1.0)
    out["order_rate"] = out["n_order_days"] / np.maximum(out["tenure_days"], 1.0)
    out["n_months"] = s.assign(m=s["ordered_at"].dt.to_period("M")).groupby("account")["m"].nunique().astype(float)
    if "country" in tx.columns and home_country:
        counts = before.dropna(subset=["country"]).groupby(["account", "country"]).size().sort_values()
        country = counts.reset_index().drop_duplicates("account", keep="last").set_index("account")["country"]
        out["home_country"] = (country.reindex(out.index) == home_country).astype(float)
    else:
        out["home_country"] = np.nan
    return out[list(FEATURE_LABELS)].astype(float)


def main_country(tx: pd.DataFrame) -> str | None:
    """The most frequent country of the accounts' lines (None without a country column)."""
    if "country" not in tx.columns or tx["country"].dropna().empty:
        return None
    return str(tx["country"].dropna().mode().iat[0])
