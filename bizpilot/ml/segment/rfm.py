"""RFM scores and named segments (with their definitions), and optional behaviour clusters.

Scores are quintiles learned at ``fit`` (1 = worst, 5 = best; recency is reversed: recent = 5), so a saved
segmenter scores new accounts on the same scale. Segments follow the widely used RFM grid on the recency score
and the mean of the frequency and monetary scores; the first rule that matches names the segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bizpilot.ml.base import Estimator


@dataclass(frozen=True)
class Segment:
    key: str
    name: str
    name_zh: str
    definition: str
    action: str
    r: tuple[int, int]
    fm: tuple[float, float]


# (recency score range, mean(F, M) score range), checked in this order.
SEGMENTS: tuple[Segment, ...] = (
    Segment("new", "New", "新客户", "first order recently (one order day, R 4-5)",
            "welcome and propose a second order", (4, 5), (0, 5)),
    Segment("champions", "Champions", "冠军客户", "bought recently, often and for a lot (R 5, FM >= 4)",
            "reward, ask for referrals and case studies", (5, 5), (4, 5)),
    Segment("loyal", "Loyal", "忠诚客户", "buy regularly (R >= 3, FM >= 3.5)",
            "upsell higher tiers and related ranges", (3, 5), (3.5, 5)),
    Segment("potential_loyalists", "Potential loyalists", "潜力客户",
            "recent with average frequency (R >= 4, FM 2-3.5)", "offer a reorder plan or volume pricing",
            (4, 5), (2, 3.5)),
    Segment("promising", "Promising", "有潜力", "recent but small and infrequent (R >= 4, FM < 2)",
            "build the relationship: samples, catalogue", (4, 5), (0, 2)),
    Segment("need_attention", "Need attention", "需关注", "average recency and value (R 3, FM 2-3.5)",
            "reach out with a limited-time offer", (3, 3), (2, 3.5)),
    Segment("at_risk", "At risk", "有流失风险", "used to buy often and for a lot, not lately (R <= 2, FM >= 3)",
            "call now: win-back offer, check service issues", (1, 2), (3, 5)),
    Segment("about_to_sleep", "About to sleep", "即将沉睡", "below-average recency and value (R 2-3, FM < 2)",
            "share popular products, reactivation discount", (2, 3), (0, 3)),
    Segment("hibernating", "Hibernating", "沉睡客户", "last order long ago, small and infrequent (R 1, FM < 3)",
            "low-cost reactivation campaign or let go", (1, 1), (0, 3)),
)
SEGMENT_BY_KEY = {s.key: s for s in SEGMENTS}


def rfm_values(tx: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    """recency_days, frequency (order days) and monetary (net spend) per account from rows before ``asof``."""
    before = tx[tx["ordered_at"] < asof]
    s = before[~before["is_return"].astype(bool) & (before["quantity"] > 0)]
    if s.empty:
        return pd.DataFrame(columns=["recency_days", "frequency", "monetary"])
    g = s.assign(day=s["ordered_at"].dt.normalize()).groupby("account")
    out = pd.DataFrame({"recency_days": (asof - g["day"].max()).dt.days.astype(float),
                        "frequency": g["day"].nunique().astype(float)})
    out["monetary"] = before.groupby("account")["amount"].sum().reindex(out.index).fillna(0.0)
    return out


class RFMSegmenter(Estimator):
    """Quintile RFM scores and named segments."""

    def __init__(self, *, n_bins: int = 5) -> None:
        self.n_bins = n_bins

    def fit(self, values: pd.DataFrame) -> RFMSegmenter:
        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        self.edges_ = {c: [float(v) for v in np.quantile(values[c].to_numpy(float), qs)] if len(values) else []
                       for c in ("recency_days", "frequency", "monetary")}
        self.n_accounts_ = int(len(values))
        return self

    def _score(self, col: str, x: np.ndarray) -> np.ndarray:
        s = np.searchsorted(np.asarray(self.edges_[col]), x, side="right") + 1
        s = np.clip(s, 1, self.n_bins)
        return (self.n_bins + 1 - s) if col == "recency_days" else s

    def transform(self, values: pd.DataFrame) -> pd.DataFrame:
        """values + r, f, m scores (1-5), ``rfm`` code and ``segment`` key."""
        self.check_fitted()
        out = values.copy()
        out["r"] = self._score("recency_days", values["recency_days"].to_numpy(float))
        # Frequency ties (many accounts with one order day) would all land in one quintile: score by rank edges.
        out["f"] = self._score("frequency", values["frequency"].to_numpy(float))
        out["m"] = self._score("monetary", values["monetary"].to_numpy(float))
        out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
        out["segment"] = [assign_segment(int(r), float(f), float(m), float(n))
                          for r, f, m, n in zip(out["r"], out["f"], out["m"], values["frequency"], strict=True)]
        return out


def assign_segment(r: int, f: float, m: float, order_days: float) -> str:
    fm = (f + m) / 2
    for seg in SEGMENTS:
        if seg.key == "new" and order_days > 1:
            continue
        if seg.r[0] <= r <= seg.r[1] and seg.fm[0] <= fm <= seg.fm[1]:
            return seg.key
    return "need_attention" if r >= 3 else "hibernating"


class BehaviourClusters(Estimator):
    """K-means on standardised log behaviour features (optional view next to the rule-based segments)."""

    def __init__(self, *, n_clusters: int = 5, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state

    def _prep(self, x: pd.DataFrame) -> np.ndarray:
        z = np.log1p(x[self.columns_].clip(lower=0).fillna(0).to_numpy(float))
        return (z - np.asarray(self.mean_)) / np.asarray(self.std_)

    def fit(self, x: pd.DataFrame) -> BehaviourClusters:
        from sklearn.cluster import KMeans

        self.columns_ = list(x.columns)
        z = np.log1p(x.clip(lower=0).fillna(0).to_numpy(float))
        self.mean_ = z.mean(axis=0).tolist()
        self.std_ = np.where(z.std(axis=0) > 0, z.std(axis=0), 1.0).tolist()
        k = max(1, min(self.n_clusters, len(x)))
        km = KMeans(n_clusters=k, n_init=10, random_state=self.random_state).fit(self._prep(x))
        self.centers_ = km.cluster_centers_
        return self

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        self.check_fitted()
        d = ((self._prep(x)[:, None, :] - self.centers_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def describe(self) -> list[dict[str, float]]:
        """Each cluster centre in the features' own units (inverse of the log/standardising)."""
        self.check_fitted()
        raw = np.expm1(self.centers_ * np.asarray(self.std_) + np.asarray(self.mean_))
        return [{c: round(float(v), 2) for c, v in zip(self.columns_, row, strict=True)} for row in raw]
