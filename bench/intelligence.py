"""Benchmark: customer intelligence on Online Retail at several cutoffs/origins, ours beside the peers of the same run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/intelligence.py \
        [--data ../shared/data/online-retail-uci/online_retail.parquet]

Churn (repurchase within 90 days), out of time at four cutoffs: RepurchaseModel (LightGBM, behaviour features, several
training snapshots) vs logistic regression on log RFM (trained on the latest snapshot). Forecast (weekly quantity of
the top 200 codes, 8-week holdout, fixed origin) at three origins (the data cut 0, 4 and 8 weeks earlier):
DemandForecaster (backtest-selected) vs naive, mean-of-history, 8-week moving average, AutoETS, Croston SBA.
Prints a table on stderr and one JSON object on stdout. Timings are not compared (2 shared cores here).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "online-retail-uci" / "online_retail.parquet"
CUTOFFS = ("2011-06-11", "2011-07-11", "2011-08-10", "2011-09-09")
ORIGIN_SHIFTS_WEEKS = (0, 4, 8)


def main() -> None:
    from bizpilot.services.evaluation.intelligence import evaluate_churn, evaluate_forecast
    from bizpilot.services.intelligence.data import online_retail_transactions

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    tx = online_retail_transactions(args.data)
    out: dict[str, list] = {"churn": [], "forecast": []}
    print(f"{'churn cutoff':14s} {'auc':>7s} {'auc_lr':>7s} {'ratio':>6s} {'brier':>7s} {'brier_lr':>8s} "
          f"{'lift10':>7s} {'n':>6s}", file=sys.stderr)
    for cut in CUTOFFS:
        r = evaluate_churn(tx, cutoff=cut, horizon_days=90)
        out["churn"].append(r)
        print(f"{cut:14s} {r['auc']:7.4f} {r['auc_baseline']:7.4f} {r['auc'] / r['auc_baseline']:6.3f} "
              f"{r['brier']:7.4f} {r['brier_baseline']:8.4f} {r['lift@10']:7.3f} {r['n_customers']:6d}",
              file=sys.stderr)
    print(f"\n{'forecast end':14s} {'model':28s} {'mase':>6s} {'naive':>6s} {'mean':>6s} {'ma8':>6s} {'ets':>6s} "
          f"{'sba':>6s} {'ratio/mean':>10s} {'cover80':>7s}", file=sys.stderr)
    last = tx["ordered_at"].max()
    for shift in ORIGIN_SHIFTS_WEEKS:
        end = last - pd.Timedelta(days=7 * shift)
        r = evaluate_forecast(tx[tx["ordered_at"] <= end], top=200, holdout_weeks=8)
        out["forecast"].append({"data_end": str(end.date()), **r})
        print(f"{str(end.date()):14s} {r['model'][18:-1][:28]:28s} {r['mase']:6.3f} {r['mase_naive']:6.3f} "
              f"{r['mase_mean']:6.3f} {r['mase_ma8']:6.3f} {r['mase_auto_ets']:6.3f} {r['mase_croston_sba']:6.3f} "
              f"{r['mase'] / r['mase_mean']:10.3f} {r['interval_coverage']:7.3f}", file=sys.stderr)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
