"""Data-quality flags that do not reject a row: outliers worth a second look."""

from __future__ import annotations

import numpy as np
import pandas as pd

OUTLIER_Z = 6.0


def outlier_mask(values: pd.Series, *, z: float = OUTLIER_Z) -> np.ndarray:
    """Robust z-score on log1p(|x|) (median/MAD): order quantities and prices are heavy-tailed, so raw z-scores
    would flag every large wholesale order. Needs at least 20 values to say anything."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    mask = np.zeros(len(x), dtype=bool)
    ok = ~np.isnan(x)
    if ok.sum() < 20:
        return mask
    logx = np.log1p(np.abs(x[ok]))
    med = np.median(logx)
    mad = np.median(np.abs(logx - med))
    if mad == 0:
        mad = np.mean(np.abs(logx - med)) or 1.0
    mask[ok] = 0.6745 * np.abs(logx - med) / mad > z
    return mask
