"""Repurchase (the inverse of churn) propensity: P(account buys within the next ``horizon_days``), with factors.

Trained only on what was known at each training date: features at snapshot ``T`` read rows before ``T``, the label
is "bought in ``[T, T + horizon)``", and every snapshot ends by the cutoff, so ``fit(tx, cutoff=C)`` never reads
a purchase after ``C``. Several snapshots, a few weeks apart, give the booster more (and more varied) examples.
Scores are Platt-calibrated on out-of-fold scores (grouped by account), kept inside [1 %, 99 %], and come with
their top positive/negative factors from LightGBM's per-prediction contributions. With too few labelled
accounts it falls back to a smoothed purchase-rate model (and ``method_`` says ``frequency-fallback``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizpilot.ml.base import Estimator
from bizpilot.ml.scoring._gbm import CalibratedBoosterMixin, Factor, clip_proba, top_factors
from bizpilot.ml.scoring.features import FEATURE_LABELS, account_features, buyers_between, main_country

MIN_TRAIN_ROWS = 200


class RepurchaseModel(CalibratedBoosterMixin, Estimator):
    """LightGBM repurchase propensity over behaviour features, with a smoothed-rate fallback.

    Small trees (3 leaves, 400 rounds at 0.02): on Online Retail, out of time at four cutoffs, they beat 7 leaves x
    500 rounds at every cutoff (mean AUC 0.760 vs 0.756); deeper or longer boosting only fits snapshot noise."""

    def __init__(self, *, horizon_days: int = 90, n_snapshots: int = 5, snapshot_step_days: int = 14,
                 min_history_days: int = 30, n_estimators: int = 400, learning_rate: float = 0.02,
                 num_leaves: int = 3, min_child_samples: int = 100, random_state: int = 0) -> None:
        self.horizon_days = horizon_days
        self.n_snapshots = n_snapshots
        self.snapshot_step_days = snapshot_step_days
        self.min_history_days = min_history_days
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state

    # -- training --------------------------------------------------------------------------------------------

    def training_set(self, tx: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """(features, labels, snapshot index) from snapshots whose label window ends by ``cutoff``."""
        start = tx["ordered_at"].min()
        home = main_country(tx)
        xs, ys, groups = [], [], []
        for i in range(self.n_snapshots):
            t = pd.Timestamp(cutoff) - pd.Timedelta(days=self.horizon_days + i * self.snapshot_step_days)
            if (t - start).days < self.min_history_days:
                break
            x = account_features(tx, t, home)
            buyers = buyers_between(tx, t, t + pd.Timedelta(days=self.horizon_days))
            xs.append(x)
            ys.append(x.index.isin(list(buyers)).astype(int))
            groups.append(np.full(len(x), i))
        if not xs:
            return pd.DataFrame(columns=list(FEATURE_LABELS)), np.zeros(0, int), np.zeros(0, int)
        x = pd.concat(xs)
        return x, np.concatenate(ys), x.index.to_numpy()

    def fit(self, tx: pd.DataFrame, cutoff: pd.Timestamp | str | None = None) -> RepurchaseModel:
        """Learn from ``tx`` as known at ``cutoff`` (default: the day after the last transaction)."""
        cutoff = _cutoff(tx, cutoff)
        x, y, accounts = self.training_set(tx, cutoff)
        self.home_country_ = main_country(tx)
        self.features_ = list(FEATURE_LABELS)
        self.cutoff_ = str(cutoff.date())
        self.n_train_ = int(len(y))
        self.base_rate_ = float(y.mean()) if len(y) else 0.5
        if len(y) < MIN_TRAIN_ROWS or len(np.unique(y)) < 2:
            self.method_ = "frequency-fallback"
            self.fallback_reason_ = (f"only {len(y)} labelled account snapshots (need {MIN_TRAIN_ROWS}, both "
                                     "outcomes): smoothed purchase-rate model")
            self.booster_ = ""
            self.calibration_ = [1.0, 0.0]
            return self
        self.method_ = "lightgbm"
        self.fallback_reason_ = None
        from sklearn.model_selection import GroupKFold

        folds = GroupKFold(n_splits=3).split(x, y, groups=accounts)
        self._finish_calibrated_fit(x, y, self._out_of_fold(x, y, folds))
        return self

    # -- scoring ---------------------------------------------------------------------------------------------

    def features(self, tx: pd.DataFrame, asof: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Features of the accounts that bought before ``asof`` (default: the day after the last row)."""
        self.check_fitted()
        return account_features(tx, _cutoff(tx, asof), self.home_country_)[self.features_]

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """P(buys within the horizon) per row of ``features(...)``."""
        self.check_fitted()
        if self.method_ != "lightgbm":
            return self._rate_proba(x)
        return clip_proba(self._calibrated_proba(x[self.features_]))

    def explain(self, x: pd.DataFrame, k: int = 3) -> list[tuple[list[Factor], list[Factor]]]:
        """Top ``k`` positive and negative factors of each row's score."""
        self.check_fitted()
        names = self.features_
        values = x[names].to_numpy(dtype=float)
        if self.method_ == "lightgbm":
            effects = self._booster_effects(x[names])
        else:
            effects = self._rate_effects(x)
        return [top_factors(names, values[i], effects[i], FEATURE_LABELS, k) for i in range(len(x))]

    def score(self, tx: pd.DataFrame, asof: pd.Timestamp | str | None = None, k: int = 3) -> pd.DataFrame:
        """Per account: ``probability``, ``positive`` and ``negative`` factor lists (dicts), and ``method``."""
        x = self.features(tx, asof)
        p = self.predict_proba(x)
        factors = self.explain(x, k)
        return pd.DataFrame({"probability": p, "positive": [[f.to_dict() for f in pos] for pos, _ in factors],
                             "negative": [[f.to_dict() for f in neg] for _, neg in factors],
                             "method": self.method_}, index=x.index)

    # -- fallback: smoothed purchase rate ----------------------------------------------------------------------

    def _rate(self, x: pd.DataFrame) -> np.ndarray:
        # Order days per day, shrunk toward one order per horizon, decayed when the account is overdue.
        rate = (x["n_order_days"].to_numpy(float) + 1.0) / (x["tenure_days"].to_numpy(float) + self.horizon_days)
        overdue = np.nan_to_num(x["overdue_ratio"].to_numpy(float), nan=1.0)
        return rate * np.exp(-np.maximum(overdue - 1.0, 0.0) / 3.0)

    def _rate_proba(self, x: pd.DataFrame) -> np.ndarray:
        return clip_proba(1.0 - np.exp(-self._rate(x) * self.horizon_days))

    def _rate_effects(self, x: pd.DataFrame) -> np.ndarray:
        effects = np.zeros((len(x), len(self.features_)))
        freq = np.log((x["n_order_days"].to_numpy(float) + 1.0) / 2.0)
        overdue = -np.maximum(np.nan_to_num(x["overdue_ratio"].to_numpy(float), nan=1.0) - 1.0, 0.0) / 3.0
        effects[:, self.features_.index("n_order_days")] = freq
        effects[:, self.features_.index("overdue_ratio")] = overdue
        return effects


def _cutoff(tx: pd.DataFrame, cutoff: pd.Timestamp | str | None) -> pd.Timestamp:
    if cutoff is None:
        return pd.Timestamp(tx["ordered_at"].max()).normalize() + pd.Timedelta(days=1)
    return pd.Timestamp(cutoff)


RFM_BASELINE_FEATURES = ("recency_days", "n_orders", "monetary")


def logistic_rfm_baseline(x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame) -> np.ndarray:
    """The classic peer: logistic regression on log recency, frequency and monetary value."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cols = list(RFM_BASELINE_FEATURES)

    def prep(x: pd.DataFrame) -> np.ndarray:
        return np.log1p(x[cols].clip(lower=0).fillna(0).to_numpy(float))

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(prep(x_train), y_train)
    return model.predict_proba(prep(x_test))[:, 1]
