"""Weekly demand forecasts: candidates backtested on the training part only, the best single method or an
ensemble (median of the best three) chosen by that backtest, and empirical prediction intervals.

Selection never sees the holdout: ``fit(train)`` backtests every candidate at ``n_origins`` rolling origins inside
``train`` (each predicting ``horizon`` weeks), scores them by MASE, and keeps the winner. The same backtest errors,
divided by each series' naive scale, give the interval quantiles per horizon step (so intervals are as wide as
the method has actually been wrong, not as a Gaussian assumes). Forecasts and intervals are never negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bizpilot.errors import InvalidParameter
from bizpilot.ml.base import Estimator
from bizpilot.ml.evaluation import mase, naive_scale
from bizpilot.ml.forecast.methods import BASELINES, METHODS

DEFAULT_CANDIDATES = ("mean", "ma8", "median8", "median13", "trimmed8", "trimmed13", "croston_sba", "adida",
                      "imapa", "auto_ets")
ENSEMBLE_SIZE = 3


@dataclass
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: str


class DemandForecaster(Estimator):
    """Backtest-selected weekly forecaster with empirical intervals, for a matrix of series (rows)."""

    def __init__(self, *, horizon: int = 8, level: float = 0.8, n_origins: int = 3,
                 candidates: tuple[str, ...] = DEFAULT_CANDIDATES) -> None:
        self.horizon = horizon
        self.level = level
        self.n_origins = n_origins
        self.candidates = candidates

    def fit(self, y: np.ndarray) -> DemandForecaster:
        y = np.atleast_2d(np.asarray(y, dtype=float))
        h = self.horizon
        unknown = [c for c in self.candidates if c not in METHODS]
        if unknown:
            raise InvalidParameter(f"candidates: unknown forecast method(s) {', '.join(unknown)}; known: "
                                   f"{', '.join(METHODS)}")
        origins = [y.shape[1] - h * (i + 1) for i in range(self.n_origins) if y.shape[1] - h * (i + 1) >= 8]
        scores: dict[str, list[float]] = {c: [] for c in self.candidates}
        preds: dict[str, list[np.ndarray]] = {c: [] for c in self.candidates}
        actuals: list[np.ndarray] = []
        scales: list[np.ndarray] = []
        for o in origins:
            tr, te = y[:, :o], y[:, o:o + h]
            actuals.append(te)
            scales.append(naive_scale(tr))
            for c in self.candidates:
                p = METHODS[c](tr, h)
                preds[c].append(p)
                scores[c].append(mase(te, p, tr))
        self.backtest_ = {c: float(np.nanmean(v)) if v else float("nan") for c, v in scores.items()}
        # Rank by the geometric mean over origins of MASE relative to the best method at that origin: one
        # turbulent origin (new products, short scales) must not decide alone.
        best = np.nanmin(np.array([scores[c] for c in self.candidates], dtype=float), axis=0) if origins else []
        self.relative_ = {c: float(np.exp(np.nanmean(np.log(np.asarray(v) / best)))) if v else float("nan")
                          for c, v in scores.items()}
        ranked = sorted((c for c in self.candidates if np.isfinite(self.relative_[c])), key=self.relative_.get)
        if not ranked:
            ranked = [self.candidates[0]]
        members = ranked[:ENSEMBLE_SIZE]
        ensemble_score = float("nan")
        if origins and len(members) > 1:
            ens = [np.median(np.stack([preds[c][i] for c in members]), axis=0) for i in range(len(origins))]
            ens_scores = np.array([mase(actuals[i], ens[i], y[:, :origins[i]]) for i in range(len(origins))])
            self.backtest_["ensemble"] = float(np.nanmean(ens_scores))
            ensemble_score = float(np.exp(np.nanmean(np.log(ens_scores / np.minimum(best, ens_scores)))))
            self.relative_["ensemble"] = ensemble_score
        if np.isfinite(ensemble_score) and ensemble_score < self.relative_[ranked[0]]:
            self.method_, self.members_ = "ensemble", members
            chosen = ens
        else:
            self.method_, self.members_ = ranked[0], [ranked[0]]
            chosen = preds[ranked[0]] if origins else []
        self.quantiles_ = self._residual_quantiles(chosen, actuals, scales)
        self.train_ = y
        return self

    def _residual_quantiles(self, preds: list[np.ndarray], actuals: list[np.ndarray], scales: list[np.ndarray]
                            ) -> np.ndarray:
        """(2, horizon) lower/upper quantiles of scaled backtest errors; wide defaults without a backtest."""
        alpha = (1 - self.level) / 2
        if not preds:
            return np.array([[-1.5] * self.horizon, [1.5] * self.horizon])
        errs = []
        for p, a, s in zip(preds, actuals, scales, strict=True):
            ok = (s > 0) & (p[:, 0] > 0)  # zero forecasts can only be wrong upwards: they would skew the pool
            errs.append((a[ok] - p[ok]) / s[ok, None])
        e = np.concatenate(errs, axis=0)
        if len(e) == 0:
            return np.array([[-1.5] * self.horizon, [1.5] * self.horizon])
        return np.vstack([np.quantile(e, alpha, axis=0), np.quantile(e, 1 - alpha, axis=0)])

    def predict(self, y: np.ndarray | None = None) -> Forecast:
        """Forecast ``horizon`` weeks after ``y`` (default: the training matrix) with intervals."""
        self.check_fitted()
        y = self.train_ if y is None else np.atleast_2d(np.asarray(y, dtype=float))
        h = self.horizon
        fc = np.median(np.stack([METHODS[c](y, h) for c in self.members_]), axis=0)
        fc = np.clip(fc, 0, None)
        scale = naive_scale(y)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.maximum(fc[:, 0], 1.0))
        lower = np.clip(fc + self.quantiles_[0][None, :] * scale[:, None], 0, None)
        upper = np.maximum(fc + self.quantiles_[1][None, :] * scale[:, None], fc)
        return Forecast(mean=fc, lower=np.minimum(lower, fc), upper=upper, method=self.method_)

    def describe(self) -> str:
        self.check_fitted()
        if self.method_ == "ensemble":
            return "median of " + ", ".join(self.members_)
        return self.method_

    def baselines(self, y: np.ndarray) -> dict[str, np.ndarray]:
        """The peers' forecasts for the same origin (naive, mean, moving average, AutoETS, Croston SBA)."""
        return {name: METHODS[name](np.atleast_2d(np.asarray(y, dtype=float)), self.horizon) for name in BASELINES}


def weekly_matrix(tx: pd.DataFrame, *, by: str = "product", start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Weekly quantity sold per ``by`` (rows) over complete 7-day weeks ending on the last day with data (or on
    ``end``; columns: each week's first day) from the first day (or ``start``); sales lines only
    (returns/cancellations excluded); a partial first week is dropped."""
    s = tx[~tx["is_return"].astype(bool) & (tx["quantity"] > 0)]
    if s.empty:
        return pd.DataFrame()
    day = pd.to_datetime(s["ordered_at"]).dt.normalize()
    last = day.max() if end is None else pd.Timestamp(end).normalize()
    first = pd.to_datetime(tx["ordered_at"]).min().normalize() if start is None else pd.Timestamp(start).normalize()
    n_weeks = int((last - first).days + 1) // 7
    back = ((last - day).dt.days // 7).to_numpy()
    keep = (back < n_weeks) & (back >= 0)
    col = n_weeks - 1 - back[keep]
    frame = pd.DataFrame({"key": s[by].to_numpy()[keep], "col": col, "q": s["quantity"].to_numpy(float)[keep]})
    wide = frame.pivot_table(index="key", columns="col", values="q", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=range(n_weeks), fill_value=0.0)
    wide.columns = [last - pd.Timedelta(days=7 * (n_weeks - i) - 1) for i in range(n_weeks)]
    wide.index.name = by
    return wide.astype(float)
