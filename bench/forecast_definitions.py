"""Benchmark: which reading of "weekly quantity of the 200 best-selling stock codes, 8-week fixed-origin holdout,
MASE scaled by the in-sample one-step naive" reproduces the issue's baselines (mean-of-history 1.17, AutoETS 1.38,
moving average 1.30)? Prints the peers for each definitional variant, beside `bizpilot eval forecast`'s own.

    OMP_NUM_THREADS=1 .venv/bin/python bench/forecast_definitions.py \
        [--data ../shared/data/online-retail-uci/online_retail.parquet] [--ets]

Variants: weeks as 7-day blocks ending on the last sales day (ours) or pandas calendar weeks ("W-SUN" = resample("W"),
"W-FRI") with the first/last calendar week dropped or kept; quantity on sales lines only or net of returns; top 200
by quantity before the holdout or over the whole file. AutoETS is slow (a minute per variant): only with --ets.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "online-retail-uci" / "online_retail.parquet"
H = 8


def calendar_weeks(tx: pd.DataFrame, anchor: str, drop: str) -> pd.DataFrame:
    wide = (tx.groupby(["product", pd.Grouper(key="ordered_at", freq=f"W-{anchor}")])["quantity"].sum()
            .unstack(fill_value=0.0).astype(float).sort_index(axis=1))
    if drop in ("first", "both"):
        wide = wide.iloc[:, 1:]
    return wide.iloc[:, :-1] if drop == "both" else wide


def main() -> None:
    from bizpilot.ml.evaluation import mase
    from bizpilot.ml.forecast import DemandForecaster, weekly_matrix
    from bizpilot.ml.forecast.methods import METHODS
    from bizpilot.services.intelligence.data import online_retail_transactions

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--ets", action="store_true", help="also run AutoETS (slow)")
    args = ap.parse_args()
    tx = online_retail_transactions(args.data)
    is_sale = ~tx["is_return"] & (tx["quantity"] > 0)
    peers = ["mean", "ma4", "ma8", "naive"] + (["auto_ets"] if args.ets else [])
    print(f"{'weeks':10s} {'drop':6s} {'qty':6s} {'top by':6s} " + " ".join(f"{p:>8s}" for p in peers)
          + f" {'ours':>8s}", file=sys.stderr)
    rows = []
    # W-FRI weeks end on the file's last sales day (Friday 2011-12-09): with the partial first week dropped they are
    # the 7-day blocks of `bizpilot eval forecast` (row "ours-def", built by `weekly_matrix` itself).
    variants = [("ours-def", "-")] + [(f"W-{a}", d) for a in ("SUN", "FRI") for d in ("none", "first", "both")]
    for (weeks, drop), qty, top_by in itertools.product(variants, ("sales", "net"), ("train", "all")):
        if weeks == "ours-def" and qty == "net":
            continue  # weekly_matrix counts sales lines only
        part = tx[is_sale] if qty == "sales" else tx
        wide = weekly_matrix(part) if weeks == "ours-def" else calendar_weeks(part, weeks[2:], drop)
        totals = wide.iloc[:, :-H].sum(axis=1) if top_by == "train" else wide.sum(axis=1)
        codes = totals.sort_values(ascending=False, kind="mergesort").index[:200]
        y = wide.loc[codes].to_numpy(dtype=float)
        train, test = y[:, :-H], y[:, -H:]
        methods = {**METHODS, "ma4": lambda v, h: np.repeat(v[:, -4:].mean(axis=1)[:, None], h, axis=1)}
        scores = {p: mase(test, methods[p](train, H), train) for p in peers}
        scores["ours"] = mase(test, DemandForecaster(horizon=H).fit(train).predict().mean, train)
        rows.append({"weeks": weeks, "drop": drop, "quantity": qty, "top_by": top_by, **scores})
        print(f"{weeks:10s} {drop:6s} {qty:6s} {top_by:6s} " + " ".join(f"{scores[p]:8.3f}" for p in peers)
              + f" {scores['ours']:8.3f}", file=sys.stderr)
    print(pd.DataFrame(rows).to_json(orient="records"))


if __name__ == "__main__":
    main()
