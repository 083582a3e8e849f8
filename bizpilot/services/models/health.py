"""Model health: did a retrain get worse than the run before it, and has the data moved since training?

* **Metric changes**: each retrain compares the spec's key metrics with the previous finished run; a move the wrong
  way by more than ``METRIC_TOLERANCE`` (relative) is flagged.
* **Input drift**: at training, the main features' distribution is kept as decile bins (the reference); later the
  same features are binned again and compared by the population stability index (PSI). PSI above
  ``PSI_ALERT`` is the usual "significant shift" threshold; above ``PSI_WATCH`` a moderate one.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

METRIC_TOLERANCE = 0.05
PSI_WATCH = 0.1
PSI_ALERT = 0.2
N_BINS = 10
_EPS = 1e-4


def lookup(metrics: dict[str, Any], key: str) -> float | None:
    """A metric by name; dotted names reach into nested dicts (``backtest.mase``). None when absent or not a
    number."""
    value: Any = metrics
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        return None
    return float(value)


def metric_changes(key_metrics: dict[str, Literal["higher", "lower"]], previous: dict[str, Any] | None,
                   current: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per key metric present in both runs: previous, current, change, and ``flagged`` when it got worse
    by more than the tolerance."""
    if not previous:
        return []
    rows = []
    for key, better in key_metrics.items():
        old, new = lookup(previous, key), lookup(current, key)
        if old is None or new is None:
            continue
        change = new - old
        worse = change < 0 if better == "higher" else change > 0
        flagged = bool(worse and abs(change) > METRIC_TOLERANCE * max(abs(old), 1e-9))
        rows.append({"metric": key, "previous": round(old, 6), "current": round(new, 6),
                     "change": round(change, 6), "better": better, "flagged": flagged})
    return rows


def reference_bins(frame: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """Decile edges and shares of each numeric column (what ``psi`` compares later)."""
    ref: dict[str, dict[str, list[float]]] = {}
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(dtype=float)
        if values.size < N_BINS:
            continue
        # The shares are counted with the edges as stored (rounded): a value tied with an edge must land in the
        # same bin now as when ``psi`` bins the same value later, or an unchanged sample reads as drift.
        edges = np.unique(np.quantile(values, np.linspace(0, 1, N_BINS + 1)[1:-1]).round(6))
        ref[str(column)] = {"edges": edges.tolist(), "shares": _shares(values, edges).round(6).tolist()}
    return ref


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return counts / max(values.size, 1)


def psi(reference: dict[str, dict[str, list[float]]], frame: pd.DataFrame) -> dict[str, float]:
    """Population stability index per feature of ``reference`` found in ``frame``."""
    out: dict[str, float] = {}
    for column, ref in reference.items():
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(dtype=float)
        if values.size == 0:
            continue
        expected = np.clip(np.asarray(ref["shares"], dtype=float), _EPS, None)
        actual = np.clip(_shares(values, np.asarray(ref["edges"], dtype=float)), _EPS, None)
        out[column] = round(float(np.sum((actual - expected) * np.log(actual / expected))), 4)
    return out


def drift_level(value: float) -> str:
    return "alert" if value > PSI_ALERT else "watch" if value > PSI_WATCH else "stable"


def drift_report(reference: dict[str, dict[str, list[float]]], frame: pd.DataFrame) -> dict[str, Any]:
    """PSI per feature, the worst one, and the features past the alert threshold."""
    scores = psi(reference, frame)
    worst = max(scores.values(), default=0.0)
    return {"psi": scores, "max_psi": round(worst, 4), "level": drift_level(worst), "n": int(len(frame)),
            "flagged": sorted(k for k, v in scores.items() if v > PSI_ALERT)}


__all__ = ["METRIC_TOLERANCE", "PSI_ALERT", "PSI_WATCH", "drift_level", "drift_report", "lookup",
           "metric_changes", "psi", "reference_bins"]
