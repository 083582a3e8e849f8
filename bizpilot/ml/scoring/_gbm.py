"""LightGBM pieces the scoring models share: a small, regularised classifier, its text dump for the model file,
per-prediction contributions (``pred_contrib``) turned into top positive/negative factors, and the probability
clip that keeps scores off 0 and 1."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

P_MIN, P_MAX = 0.01, 0.99


@dataclass
class Factor:
    """One reason behind a score: a feature, its value, and its pull on the log-odds (+ raises the score)."""

    feature: str
    label: str
    value: float | str | None
    effect: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clip_proba(p: np.ndarray | float) -> np.ndarray:
    """Probabilities kept inside [1 %, 99 %]: a model never claims certainty."""
    return np.clip(np.asarray(p, dtype=float), P_MIN, P_MAX)


def fit_booster(x: pd.DataFrame, y: np.ndarray, *, n_estimators: int, learning_rate: float, num_leaves: int,
                min_child_samples: int, random_state: int = 0) -> Any:
    """A LightGBM binary booster with bagging and L2 shrinkage (few leaves: small B2B tables overfit easily)."""
    import lightgbm as lgb

    params = {"objective": "binary", "learning_rate": learning_rate, "num_leaves": num_leaves,
              "min_data_in_leaf": min_child_samples, "bagging_fraction": 0.8, "bagging_freq": 1,
              "feature_fraction": 0.8, "lambda_l2": 1.0, "verbose": -1, "num_threads": 1, "seed": random_state,
              "deterministic": True, "force_row_wise": True}
    data = lgb.Dataset(x.to_numpy(dtype=float), label=np.asarray(y, dtype=float), feature_name=list(x.columns),
                       free_raw_data=True)
    return lgb.train(params, data, num_boost_round=n_estimators)


def booster_from_string(text: str) -> Any:
    import lightgbm as lgb

    return lgb.Booster(model_str=text)


def raw_scores(booster: Any, x: pd.DataFrame) -> np.ndarray:
    return np.asarray(booster.predict(x.to_numpy(dtype=float), raw_score=True), dtype=float)


def contributions(booster: Any, x: pd.DataFrame) -> np.ndarray:
    """(n, n_features + 1) log-odds contributions; the last column is the base value."""
    return np.asarray(booster.predict(x.to_numpy(dtype=float), pred_contrib=True), dtype=float)


def top_factors(names: list[str], values: np.ndarray, effects: np.ndarray, labels: dict[str, str], k: int = 3
                ) -> tuple[list[Factor], list[Factor]]:
    """The ``k`` strongest positive and negative effects of one prediction."""
    order = np.argsort(effects)
    pos = [i for i in order[::-1][:k] if effects[i] > 1e-6]
    neg = [i for i in order[:k] if effects[i] < -1e-6]

    def make(i: int) -> Factor:
        v = values[i]
        value: float | str | None = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        if isinstance(value, np.generic):
            value = value.item()
        return Factor(feature=names[i], label=labels.get(names[i], names[i]), value=value,
                      effect=round(float(effects[i]), 4))

    return [make(i) for i in pos], [make(i) for i in neg]


class PlattCalibrator:
    """Logistic calibration of raw scores (fitted on out-of-fold scores): ``p = sigmoid(a * s + b)``."""

    def __init__(self, a: float = 1.0, b: float = 0.0) -> None:
        self.a, self.b = a, b

    def fit(self, scores: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y)) < 2:
            return self
        lr = LogisticRegression(C=100.0).fit(np.asarray(scores).reshape(-1, 1), y)
        self.a, self.b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return clip_proba(1.0 / (1.0 + np.exp(-(self.a * np.asarray(scores) + self.b))))


class CalibratedBoosterMixin:
    """The LightGBM part both scoring models share: fit a booster with the model's own hyperparameters
    (``n_estimators``, ``learning_rate``, ``num_leaves``, ``min_child_samples``, ``random_state``), score folds
    out of fold, finish a fit with a Platt calibration of those scores plus the booster kept as text (``booster_``,
    pickle-free), and read it back for calibrated probabilities and per-feature effects."""

    n_estimators: int
    learning_rate: float
    num_leaves: int
    min_child_samples: int
    random_state: int
    calibration_: list[float]
    booster_: str

    def _booster(self, x: pd.DataFrame, y: np.ndarray) -> Any:
        return fit_booster(x, y, n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                           num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
                           random_state=self.random_state)

    def _finish_calibrated_fit(self, x: pd.DataFrame, y: np.ndarray, oof: np.ndarray) -> None:
        platt = PlattCalibrator().fit(oof, y)
        self.calibration_ = [platt.a, platt.b]
        booster = self._booster(x, y)
        self.booster_ = booster.model_to_string()
        self._booster_obj = booster

    def _out_of_fold(self, x: pd.DataFrame, y: np.ndarray, folds: Iterable[tuple[np.ndarray, np.ndarray]]
                     ) -> np.ndarray:
        """Raw scores of each test fold from a booster fitted on the rest (a fold whose training part holds one
        class only keeps 0), the input of the Platt calibration."""
        oof = np.zeros(len(y))
        for tr, te in folds:
            if len(np.unique(y[tr])) < 2:
                continue
            oof[te] = raw_scores(self._booster(x.iloc[tr], y[tr]), x.iloc[te])
        return oof

    def _get_booster(self) -> Any:
        """The fitted booster, rebuilt once from ``booster_`` after a load."""
        if getattr(self, "_booster_obj", None) is None:
            self._booster_obj = booster_from_string(self.booster_)
        return self._booster_obj

    def _calibrated_proba(self, x: pd.DataFrame) -> np.ndarray:
        """sigmoid(a * raw score + b) of the booster (not yet clipped: a model may blend it first)."""
        a, b = self.calibration_
        s = raw_scores(self._get_booster(), x)
        return 1.0 / (1.0 + np.exp(-(a * s + b)))

    def _booster_effects(self, x: pd.DataFrame) -> np.ndarray:
        """Per-row, per-column pull on the calibrated log-odds (LightGBM contributions without the base value)."""
        return contributions(self._get_booster(), x)[:, :-1] * self.calibration_[0]
