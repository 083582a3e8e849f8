"""Opportunity win probability: calibrated LightGBM with per-prediction factors, or, with too few closed deals, a
smoothed frequency model (Odoo's predictive lead scoring: per field value, won/lost frequencies with Laplace
smoothing, combined as naive Bayes) that says so. Probabilities stay inside [1 %, 99 %].

With enough closed deals the score is the mean of the calibrated booster and the frequency model: on a few
hundred deals the booster alone is noisy (cross-validated on demo data, the blend matched or beat either part).

Input is a frame of features (numbers and categories); categories are one-hot encoded with the levels seen in
training (rare levels and unseen ones go to ``__other__``), numbers pass through (missing stays missing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bizpilot.errors import ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.scoring._gbm import CalibratedBoosterMixin, Factor, clip_proba, top_factors

OTHER = "__other__"


class WinProbabilityModel(CalibratedBoosterMixin, Estimator):
    """P(won) for open opportunities; ``method_`` is ``lightgbm`` or ``frequency-fallback``."""

    def __init__(self, *, min_closed: int = 40, min_level_count: int = 3, n_estimators: int = 300,
                 learning_rate: float = 0.01, num_leaves: int = 4, min_child_samples: int = 30,
                 random_state: int = 0) -> None:
        self.min_closed = min_closed
        self.min_level_count = min_level_count
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state

    # -- encoding --------------------------------------------------------------------------------------------

    def _learn_encoding(self, x: pd.DataFrame) -> None:
        self.numeric_ = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c]) and
                         not pd.api.types.is_bool_dtype(x[c])]
        self.categorical_ = {}
        for c in x.columns:
            if c in self.numeric_:
                continue
            counts = x[c].astype(str).value_counts()
            self.categorical_[c] = sorted(counts[counts >= self.min_level_count].index.tolist())

    def encode(self, x: pd.DataFrame) -> pd.DataFrame:
        """The numeric design matrix the booster reads (one-hot categories with the training levels)."""
        cols: dict[str, Any] = {c: pd.to_numeric(x[c], errors="coerce").astype(float).to_numpy()
                                if c in x.columns else np.full(len(x), np.nan) for c in self.numeric_}
        for c, levels in self.categorical_.items():
            values = x[c].astype(str) if c in x.columns else pd.Series([OTHER] * len(x), index=x.index)
            values = values.where(values.isin(levels), OTHER)
            for level in [*levels, OTHER]:
                cols[f"{c}={level}"] = (values == level).to_numpy(dtype=float)
        return pd.DataFrame(cols, index=x.index)

    def _raw_view(self, x: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=x.index)
        for c in self.numeric_:
            out[c] = pd.to_numeric(x[c], errors="coerce") if c in x.columns else np.nan
        for c, levels in self.categorical_.items():
            values = x[c].astype(str) if c in x.columns else pd.Series([OTHER] * len(x), index=x.index)
            out[c] = values.where(values.isin(levels), OTHER)
        return out

    # -- fit -------------------------------------------------------------------------------------------------

    def fit(self, x: pd.DataFrame, y: np.ndarray | pd.Series) -> WinProbabilityModel:
        y = np.asarray(y, dtype=int)
        if len(x) != len(y):
            raise ValidationFailed(f"{len(x)} rows but {len(y)} outcomes")
        self._learn_encoding(x)
        self.n_closed_ = int(len(y))
        self.win_rate_ = float((y.sum() + 1) / (len(y) + 2))
        self._fit_frequency(x, y)
        if len(y) < self.min_closed or min(y.sum(), len(y) - y.sum()) < 5:
            self.method_ = "frequency-fallback"
            self.fallback_reason_ = (f"{len(y)} closed opportunities ({int(y.sum())} won): fewer than "
                                     f"{self.min_closed} closed or 5 of each outcome, so a smoothed frequency "
                                     "model (per field value) scores them")
            self.booster_, self.calibration_ = "", [1.0, 0.0]
            return self
        self.method_, self.fallback_reason_ = "lightgbm", None
        enc = self.encode(x)
        self.columns_ = list(enc.columns)
        from sklearn.model_selection import StratifiedKFold

        # n_splits <= the smaller class, so every training part holds both classes
        folds = StratifiedKFold(n_splits=min(5, int(min(y.sum(), len(y) - y.sum()))), shuffle=True,
                                random_state=self.random_state)
        self._finish_calibrated_fit(enc, y, self._out_of_fold(enc, y, folds.split(enc, y)))
        return self

    def _fit_frequency(self, x: pd.DataFrame, y: np.ndarray) -> None:
        """Per field value: log((won + 1) / (lost + 1) * (lost_total + 2) / (won_total + 2)); numbers by quartile."""
        raw = self._raw_view(x)
        self.bins_ = {}
        self.freq_ = {}
        won_t, lost_t = int(y.sum()), int(len(y) - y.sum())
        for c in raw.columns:
            values = self._freq_values(raw[c], c, fit=True)
            table = {}
            for level in pd.unique(values):
                m = (values == level).to_numpy()
                won, lost = int(y[m].sum()), int(m.sum() - y[m].sum())
                table[str(level)] = float(np.log((won + 1) / (lost + 1) * (lost_t + 2) / (won_t + 2)))
            self.freq_[c] = table

    def _freq_values(self, col: pd.Series, name: str, fit: bool = False) -> pd.Series:
        if name not in self.numeric_:
            return col.astype(str)
        num = pd.to_numeric(col, errors="coerce")
        if fit:
            qs = np.unique(np.nanquantile(num.dropna(), [0.25, 0.5, 0.75])) if num.notna().any() else np.array([])
            self.bins_[name] = [float(q) for q in qs]
        edges = np.asarray(self.bins_.get(name, []))
        labels = np.searchsorted(edges, num.fillna(0).to_numpy(), side="right").astype(str)
        return pd.Series(np.where(num.isna(), "missing", labels), index=col.index)

    # -- predict ---------------------------------------------------------------------------------------------

    def _frequency_effects(self, x: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
        raw = self._raw_view(x)
        names = list(raw.columns)
        effects = np.zeros((len(x), len(names)))
        for j, c in enumerate(names):
            values = self._freq_values(raw[c], c)
            effects[:, j] = values.map(self.freq_[c]).fillna(0.0).to_numpy(dtype=float)
        return names, raw.to_numpy(dtype=object), effects

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        self.check_fitted()
        _, _, effects = self._frequency_effects(x)
        prior = np.log(self.win_rate_ / (1 - self.win_rate_))
        # Naive Bayes over-counts correlated fields; dividing by sqrt(number of fields) keeps it humble.
        logit = prior + effects.sum(axis=1) / max(1, np.sqrt(effects.shape[1]))
        freq = 1.0 / (1.0 + np.exp(-logit))
        if self.method_ != "lightgbm":
            return clip_proba(freq)
        return clip_proba((self._calibrated_proba(self.encode(x)[self.columns_]) + freq) / 2)

    def explain(self, x: pd.DataFrame, k: int = 3) -> list[tuple[list[Factor], list[Factor]]]:
        """Top ``k`` positive/negative factors per row (one-hot effects are summed back onto their field)."""
        self.check_fitted()
        names, values, effects = self._frequency_effects(x)
        effects = effects / max(1, np.sqrt(effects.shape[1]))
        if self.method_ == "lightgbm":
            freq_effects = effects
            contrib = self._booster_effects(self.encode(x)[self.columns_])
            raw = self._raw_view(x)
            names = list(raw.columns)
            values = raw.to_numpy(dtype=object)
            effects = np.zeros((len(x), len(names)))
            for j, col in enumerate(self.columns_):
                effects[:, names.index(col.split("=", 1)[0] if col not in names else col)] += contrib[:, j]
            effects = (effects + freq_effects) / 2  # the score is the mean of both models
        labels = {n: n.replace("_", " ") for n in names}
        return [top_factors(names, values[i], effects[i], labels, k) for i in range(len(x))]
