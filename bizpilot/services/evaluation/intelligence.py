"""Measurements behind `bizpilot eval churn|forecast|winprob` (also bench/intelligence.py, and win-probability
training, which cross-validates with ``evaluate_winprob``): fit on what is known at a cutoff, score what follows,
and report the metrics next to the simple peers of the same run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizpilot.errors import UnsupportedFormat, ValidationFailed
from bizpilot.ml.evaluation import classification_report, interval_coverage, mase, wape

TX_FORMATS = ("online-retail",)


def read_transactions(path: Path, *, fmt: str = "online-retail") -> pd.DataFrame:
    """Order lines of a transactions file in a known format (Online Retail parquet/CSV), the input of
    ``evaluate_churn`` and ``evaluate_forecast``; an unknown format or a bad line is an error naming it."""
    from bizpilot.services.intelligence.data import online_retail_transactions

    if fmt.lower() not in TX_FORMATS:
        raise UnsupportedFormat(f"unsupported --format {fmt!r}; one of: {', '.join(TX_FORMATS)}")
    return online_retail_transactions(path)


def evaluate_churn(tx: pd.DataFrame, *, cutoff: str | pd.Timestamp, horizon_days: int = 90,
                   model_params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Out-of-time repurchase evaluation: the model learns from snapshots whose labels end by ``cutoff``; it scores
    every account that bought before ``cutoff``; the label is "bought in [cutoff, cutoff + horizon)"."""
    from bizpilot.ml.scoring.churn import RepurchaseModel, logistic_rfm_baseline
    from bizpilot.ml.scoring.features import buyers_between
    from bizpilot.services.intelligence.data import account_transactions

    tx = account_transactions(tx)
    cutoff = pd.Timestamp(cutoff)
    if tx.empty or tx["ordered_at"].min() >= cutoff:
        raise ValidationFailed(f"no purchases by known customers before the cutoff {cutoff.date()}")
    last = tx["ordered_at"].max()
    end = cutoff + pd.Timedelta(days=horizon_days)
    started = time.perf_counter()
    model = RepurchaseModel(horizon_days=horizon_days, **(model_params or {})).fit(tx[tx["ordered_at"] < cutoff],
                                                                                 cutoff)
    fit_seconds = time.perf_counter() - started
    x = model.features(tx, cutoff)
    y = x.index.isin(list(buyers_between(tx, cutoff, end))).astype(int)
    p = model.predict_proba(x)
    result: dict[str, Any] = {"task": "churn", "target": f"bought within {horizon_days} days after the cutoff",
                              "cutoff": str(cutoff.date()), "horizon_days": horizon_days,
                              "model": f"RepurchaseModel ({model.method_})", **classification_report(y, p),
                              "n_customers": int(len(y)), "n_train": model.n_train_}
    if model.fallback_reason_:
        result["fallback_reason"] = model.fallback_reason_
    # Peer of the same run: logistic regression on log RFM, trained on the first (latest) training snapshot.
    train_cut = cutoff - pd.Timedelta(days=horizon_days)
    x_tr = model.features(tx[tx["ordered_at"] < cutoff], train_cut)
    y_tr = x_tr.index.isin(list(buyers_between(tx, train_cut, cutoff))).astype(int)
    if len(np.unique(y_tr)) == 2:
        base = classification_report(y, logistic_rfm_baseline(x_tr, y_tr, x))
        result.update({"auc_baseline": base["auc"], "pr_auc_baseline": base["pr_auc"],
                       "brier_baseline": base["brier"], "lift@10_baseline": base["lift@10"],
                       "baseline": "logistic regression on log recency/frequency/monetary"})
    if end > last + pd.Timedelta(days=1):
        result["warning"] = (f"the data ends {last.date()}, before the end of the label window {end.date()}: "
                             "late buyers are counted as not buying")
    result["fit_seconds"] = round(fit_seconds, 3)
    return result


def evaluate_forecast(tx: pd.DataFrame, *, top: int = 200, holdout_weeks: int = 8,
                      level: float = 0.8) -> dict[str, Any]:
    """Fixed-origin weekly forecast of the ``top`` stock codes by quantity sold before the holdout: MASE (mean over
    series, scaled by the in-sample one-step naive MAE) and WAPE of the model and of every peer it ran."""
    from bizpilot.ml.forecast import DemandForecaster, weekly_matrix

    weeks = weekly_matrix(tx)
    if weeks.shape[1] < holdout_weeks + 8:
        raise ValidationFailed(f"{weeks.shape[1]} complete weeks of data: need at least {holdout_weeks + 8} for an "
                               f"{holdout_weeks}-week holdout")
    train_part = weeks.iloc[:, :-holdout_weeks]
    codes = train_part.sum(axis=1).sort_values(ascending=False, kind="mergesort").index[:top]
    y = weeks.loc[codes].to_numpy(dtype=float)
    train, test = y[:, :-holdout_weeks], y[:, -holdout_weeks:]
    started = time.perf_counter()
    model = DemandForecaster(horizon=holdout_weeks, level=level).fit(train)
    fc = model.predict()
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "task": "forecast", "n_series": int(len(codes)), "holdout_weeks": holdout_weeks,
        "train_weeks": int(train.shape[1]),
        "weeks": f"{weeks.columns[0].date()} .. {(weeks.columns[-1] + pd.Timedelta(days=6)).date()}",
        "holdout_from": str(weeks.columns[-holdout_weeks].date()),
        "top_definition": "stock codes with the largest quantity sold (sales lines, cancellations excluded) in the "
                          "weeks before the holdout",
        "model": f"DemandForecaster ({model.describe()})",
        "mase": mase(test, fc.mean, train), "wape": wape(test, fc.mean),
        "interval_level": level, "interval_coverage": interval_coverage(test, fc.lower, fc.upper),
    }
    for name, pred in model.baselines(train).items():
        result[f"mase_{name}"] = mase(test, pred, train)
        result[f"wape_{name}"] = wape(test, pred)
    result["fit_seconds"] = round(seconds, 3)
    return result


OUTCOME_NAMES = ("outcome", "won", "is_won", "win", "label", "target", "result", "status", "y")
ID_HINTS = ("id", "external_id", "opportunity_id", "name", "opportunity", "account_external_id")


def detect_outcome_column(frame: pd.DataFrame) -> str:
    """The outcome column: a known name, else the only column whose values are all won/lost-like."""
    lower = {c.lower().strip(): c for c in frame.columns}
    for name in OUTCOME_NAMES:
        if name in lower:
            return lower[name]
    outcome_like = {"won", "lost", "0", "1", "true", "false", "yes", "no"}
    candidates = [c for c in frame.columns
                  if frame[c].notna().all() and set(frame[c].astype(str).str.strip().str.lower()) <= outcome_like]
    if len(candidates) == 1:
        return candidates[0]
    raise ValidationFailed("cannot tell which column holds the outcome (won/lost, 1/0, true/false); name it with "
                           f"--label-col (columns: {', '.join(map(str, frame.columns))})")


def opportunity_features(frame: pd.DataFrame, label_col: str) -> pd.DataFrame:
    """Feature columns of an opportunities file: numbers as numbers, dates as day numbers, identifier-like and
    free-text columns (unique per row) dropped; the outcome column and ``stage`` of closed rows dropped."""
    feats = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        if c == label_col or str(c).startswith("__") or str(c).lower() in ID_HINTS or str(c).lower() == "stage":
            continue
        col = frame[c].replace("", np.nan)
        num = pd.to_numeric(col, errors="coerce")
        if num.notna().sum() >= 0.9 * col.notna().sum() and col.notna().any():
            feats[c] = num
            continue
        dates = pd.to_datetime(col, errors="coerce", format="mixed")
        if dates.notna().sum() >= 0.9 * col.notna().sum() and col.notna().any():
            continue  # absolute dates leak the era (closed deals are older); durations belong in their own column
        text = col.astype(str)
        if text.nunique() > 0.5 * len(text) and len(text) > 20:
            continue
        feats[c] = col.fillna("(missing)").astype(str)
    return feats


def evaluate_winprob(frame: pd.DataFrame, *, label_col: str | None = None, folds: int = 5,
                     model_params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cross-validated AUC/Brier of the win-probability model (and of the frequency fallback as the peer)."""
    from sklearn.model_selection import StratifiedKFold

    from bizpilot.ml.scoring.winprob import WinProbabilityModel
    from bizpilot.services.intelligence.data import outcome_labels

    label_col = label_col or detect_outcome_column(frame)
    if label_col not in frame.columns:
        raise ValidationFailed(f"no column {label_col!r} (columns: {', '.join(map(str, frame.columns))})")
    known = frame[label_col].astype(str).str.strip().str.lower() != "open"
    frame = frame[known]
    y = outcome_labels(frame[label_col], label_col)
    x = opportunity_features(frame, label_col)
    if x.shape[1] == 0:
        raise ValidationFailed("no feature columns besides the outcome")
    n_pos = int(y.sum())
    k = min(folds, n_pos, len(y) - n_pos)
    if k < 2:
        raise ValidationFailed(f"need at least 2 won and 2 lost rows, got {n_pos} won of {len(y)}")
    p_model = np.zeros(len(y))
    p_freq = np.zeros(len(y))
    methods = set()
    started = time.perf_counter()
    for tr, te in StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(x, y):
        model = WinProbabilityModel(**(model_params or {})).fit(x.iloc[tr], y[tr])
        methods.add(model.method_)
        p_model[te] = model.predict_proba(x.iloc[te])
        freq = WinProbabilityModel(min_closed=10 ** 9).fit(x.iloc[tr], y[tr])
        p_freq[te] = freq.predict_proba(x.iloc[te])
    rep = classification_report(y, p_model)
    base = classification_report(y, p_freq)
    return {"task": "winprob", "label_col": label_col, "features": list(x.columns), "n": int(len(y)),
            "n_won": n_pos, "folds": k, "model": "WinProbabilityModel (" + "/".join(sorted(methods)) + ")",
            "auc": rep["auc"], "brier": rep["brier"], "pr_auc": rep["pr_auc"],
            "auc_frequency": base["auc"], "brier_frequency": base["brier"],
            "baseline": "smoothed frequency model (per field value, Odoo-style)",
            "brier_base_rate": float(np.mean((y.mean() - y) ** 2)),
            "seconds": round(time.perf_counter() - started, 3)}
