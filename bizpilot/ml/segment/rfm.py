"""RFM scores and named segments (with their definitions), and optional behaviour clusters.

Scores are quintiles learned at ``fit`` (1 = worst, 5 = best; recency is reversed: recent = 5), so a saved
segmenter scores new accounts on the same scale. Segments follow the widely used RFM grid on the recency score
and the mean of the frequency and monetary scores; the first rule that matches names the segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from bizpilot.ml.base import Estimator


@dataclass(frozen=True)
class Segment:
    """A named cell of the RFM grid: ``r`` is its recency score range, ``fm`` its range of mean(F, M) scores."""

    key: str
    name: str
    name_zh: str
    definition: str
    action: str
    r: tuple[int, int]
    fm: tuple[float, float]


def _load_segments() -> tuple[Segment, ...]:
    """The grid, from data/segments.json (names, definitions and suggested actions are data the team may
    reword); checked in file order, so the first matching rule names the segment."""
    rows = json.loads((resources.files("bizpilot.ml.segment") / "data" / "segments.json").read_text(encoding="utf-8"))
    return tuple(Segment(**{**row, "r": tuple(row["r"]), "fm": tuple(row["fm"])}) for row in rows)


SEGMENTS: tuple[Segment, ...] = _load_segments()
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
