"""`bizpilot eval churn|forecast|winprob`: customer-intelligence models measured on files (one JSON object with
--json; progress on stderr). The measurements live in `bizpilot.services.evaluation.intelligence`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result
from bizpilot.errors import ValidationFailed

FormatOpt = Annotated[str, typer.Option("--format", help="Data format: online-retail")]
TxDataOpt = Annotated[Path, typer.Option("--data", help="Order lines (Online Retail parquet/CSV)")]


def churn(
    data: TxDataOpt,
    fmt: FormatOpt = "online-retail",
    cutoff: Annotated[str, typer.Option("--cutoff", help="Score as of this date (YYYY-MM-DD)")] = "2011-09-09",
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1, help="Label: bought within N days")] = 90,
    as_json: JsonOpt = False,
) -> None:
    """Repurchase propensity out of time: trained on labels that end by --cutoff, scored on customers active
    before it; AUC, PR-AUC, Brier, lift@10 and the logistic-RFM peer of the same run."""
    import pandas as pd

    from bizpilot.services.evaluation.intelligence import evaluate_churn, read_transactions

    try:
        cut = pd.Timestamp(cutoff)
    except ValueError:
        raise ValidationFailed(f"--cutoff {cutoff!r} is not a date (YYYY-MM-DD)") from None
    err_console.print(f"reading {data} ...", highlight=False)
    tx = read_transactions(data, fmt=fmt)
    err_console.print(f"eval churn: {len(tx)} lines, cutoff {cut.date()}, horizon {horizon_days} days", highlight=False)
    result = evaluate_churn(tx, cutoff=cut, horizon_days=horizon_days)
    emit_result({"format": fmt.lower(), **result}, as_json, title="eval churn")


def forecast(
    data: TxDataOpt,
    fmt: FormatOpt = "online-retail",
    top: Annotated[int, typer.Option("--top", min=1, help="Number of best-selling stock codes")] = 200,
    holdout_weeks: Annotated[int, typer.Option("--holdout-weeks", min=1, help="Weeks held out")] = 8,
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.99, help="Prediction interval level")] = 0.8,
    as_json: JsonOpt = False,
) -> None:
    """Weekly quantity of the top stock codes, fixed origin: MASE, WAPE, interval coverage, and the peers.

    Definition: weeks are complete 7-day blocks ending on the last day with sales (a partial first block is
    dropped); quantity counts sales lines only (cancellations/returns excluded); the top codes are those with the
    largest quantity before the holdout; MASE is each series' holdout MAE over its in-sample one-step naive MAE,
    averaged over series. bench/forecast_definitions.py compares other readings (calendar weeks, net quantity)."""
    from bizpilot.services.evaluation.intelligence import evaluate_forecast, read_transactions

    err_console.print(f"reading {data} ...", highlight=False)
    tx = read_transactions(data, fmt=fmt)
    err_console.print(f"eval forecast: top {top} codes, {holdout_weeks}-week holdout", highlight=False)
    result = evaluate_forecast(tx, top=top, holdout_weeks=holdout_weeks, level=level)
    emit_result({"format": fmt.lower(), **result}, as_json, title="eval forecast")


def winprob(
    data: Annotated[Path, typer.Option("--data", help="Opportunities (CSV/Excel/Parquet/JSON): features + outcome")],
    label_col: Annotated[str | None, typer.Option("--label-col", help="Outcome column (default: detected)")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Win probability, cross-validated: AUC and Brier of the model and of the frequency fallback."""
    from bizpilot.ingest.readers import read_table
    from bizpilot.services.evaluation.intelligence import evaluate_winprob

    frame = read_table(data)
    err_console.print(f"eval winprob: {len(frame)} rows from {data}", highlight=False)
    result = evaluate_winprob(frame, label_col=label_col, folds=folds)
    emit_result(result, as_json, title="eval winprob")
