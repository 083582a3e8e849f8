"""Point forecasts for many weekly series at once (rows = series, columns = weeks), flat over the horizon.

Simple robust methods are numpy one-liners; the intermittent-demand methods (Croston SBA, ADIDA, IMAPA) and
AutoETS come from statsforecast (pure Python/numpy here: no numba needed at these sizes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import trim_mean


def _flat(values: np.ndarray, h: int) -> np.ndarray:
    return np.repeat(np.asarray(values, dtype=float)[:, None], h, axis=1)


def naive(y: np.ndarray, h: int) -> np.ndarray:
    return _flat(y[:, -1], h)


def mean(y: np.ndarray, h: int) -> np.ndarray:
    return _flat(y.mean(axis=1), h)


def moving_average(k: int) -> Callable[[np.ndarray, int], np.ndarray]:
    return lambda y, h: _flat(y[:, -k:].mean(axis=1), h)


def moving_median(k: int) -> Callable[[np.ndarray, int], np.ndarray]:
    return lambda y, h: _flat(np.median(y[:, -k:], axis=1), h)


def trimmed_mean(k: int, cut: float = 0.2) -> Callable[[np.ndarray, int], np.ndarray]:
    return lambda y, h: _flat(trim_mean(y[:, -k:], cut, axis=1), h)


def statsforecast_method(name: str) -> Callable[[np.ndarray, int], np.ndarray]:
    """A statsforecast model by name: croston_sba, adida, imapa, auto_ets."""

    def run(y: np.ndarray, h: int) -> np.ndarray:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import ADIDA, IMAPA, AutoETS, CrostonSBA

        model = {"croston_sba": CrostonSBA, "adida": ADIDA, "imapa": IMAPA,
                 "auto_ets": lambda: AutoETS(season_length=1)}[name]()
        n, t = y.shape
        long = pd.DataFrame({"unique_id": np.repeat(np.arange(n), t), "ds": np.tile(np.arange(t), n),
                             "y": y.ravel()})
        out = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=long, h=h)
        col = [c for c in out.columns if c not in ("unique_id", "ds")][0]
        out = out.sort_values(["unique_id", "ds"])
        return np.clip(out[col].to_numpy(dtype=float).reshape(n, h), 0, None)

    return run


METHODS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naive": naive,
    "mean": mean,
    "ma8": moving_average(8),
    "ma13": moving_average(13),
    "median8": moving_median(8),
    "median13": moving_median(13),
    "trimmed8": trimmed_mean(8),
    "trimmed13": trimmed_mean(13),
    "croston_sba": statsforecast_method("croston_sba"),
    "adida": statsforecast_method("adida"),
    "imapa": statsforecast_method("imapa"),
    "auto_ets": statsforecast_method("auto_ets"),
}
BASELINES = ("naive", "mean", "ma8", "auto_ets", "croston_sba")
