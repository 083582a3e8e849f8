"""`bizpilot eval churn|forecast|winprob`: customer-intelligence models measured on files (one JSON object with
--json; progress on stderr). The measurements live in `bizpilot.services.intelligence.evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console, handle_errors
from bizpilot.cli.eval import emit_result, eval_app
from bizpilot.errors import UnsupportedFormat, ValidationFailed

TX_FORMATS = ("online-retail",)


def _transactions(data: Path, fmt: str):  # noqa: ANN202 - a pandas frame
    from bizpilot.services.intelligence.data import online_retail_transactions

    if fmt.lower() not in TX_FORMATS:
        raise UnsupportedFormat(f"unsupported --format {fmt!r}; one of: {', '.join(TX_FORMATS)}")
    err_console.print(f"reading {data} ...", highlight=False)
    return online_retail_transactions(data)


@eval_app.command("churn")
@handle_errors
def churn(
    data: Annotated[Path, typer.Option("--data", help="Order lines (Online Retail parquet/CSV)")],
    fmt: Annotated[str, typer.Option("--format", help="Data format: online-retail")] = "online-retail",
    cutoff: Annotated[str, typer.Option("--cutoff", help="Score as of this date (YYYY-MM-DD)")] = "2011-09-09",
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1, help="Label: bought within N days")] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")] = False,
) -> None:
    """Repurchase propensity out of time: trained on labels that end by --cutoff, scored on customers active
    before it; AUC, PR-AUC, Brier, lift@10 and the logistic-RFM peer of the same run."""
    import pandas as pd

    from bizpilot.services.intelligence.evaluate import evaluate_churn

    try:
        cut = pd.Timestamp(cutoff)
    except ValueError:
        raise ValidationFailed(f"--cutoff {cutoff!r} is not a date (YYYY-MM-DD)") from None
    tx = _transactions(data, fmt)
    err_console.print(f"eval churn: {len(tx)} lines, cutoff {cut.date()}, horizon {horizon_days} days", highlight=False)
    result = evaluate_churn(tx, cutoff=cut, horizon_days=horizon_days)
    emit_result({"format": fmt.lower(), **result}, as_json, title="eval churn")


@eval_app.command("forecast")
@handle_errors
def forecast(
    data: Annotated[Path, typer.Option("--data", help="Order lines (Online Retail parquet/CSV)")],
    fmt: Annotated[str, typer.Option("--format", help="Data format: online-retail")] = "online-retail",
    top: Annotated[int, typer.Option("--top", min=1, help="Number of best-selling stock codes")] = 200,
    holdout_weeks: Annotated[int, typer.Option("--holdout-weeks", min=1, help="Weeks held out")] = 8,
    level: Annotated[float, typer.Option("--level", min=0.5, max=0.99, help="Prediction interval level")] = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")] = False,
) -> None:
    """Weekly quantity of the top stock codes, fixed origin: MASE, WAPE, interval coverage, and the peers.

    Definition: weeks are complete 7-day blocks ending on the last day with sales (a partial first block is
    dropped); quantity counts sales lines only (cancellations/returns excluded); the top codes are those with the
    largest quantity before the holdout; MASE is each series' holdout MAE over its in-sample one-step naive MAE,
    averaged over series. bench/forecast_definitions.py compares other readings (calendar weeks, net quantity)."""
    from bizpilot.services.intelligence.evaluate import evaluate_forecast

    tx = _transactions(data, fmt)
    err_console.print(f"eval forecast: top {top} codes, {holdout_weeks}-week holdout", highlight=False)
    result = evaluate_forecast(tx, top=top, holdout_weeks=holdout_weeks, level=level)
    emit_result({"format": fmt.lower(), **result}, as_json, title="eval forecast")


@eval_app.command("winprob")
@handle_errors
def winprob(
    data: Annotated[Path, typer.Option("--data", help="Opportunities (CSV/Excel/Parquet/JSON): features + outcome")],
    label_col: Annotated[str | None, typer.Option("--label-col", help="Outcome column (default: detected)")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")] = False,
) -> None:
    """Win probability, cross-validated: AUC and Brier of the model and of the frequency fallback."""
    from bizpilot.ingest.readers import read_table
    from bizpilot.services.intelligence.evaluate import evaluate_winprob

    frame = read_table(data)
    err_console.print(f"eval winprob: {len(frame)} rows from {data}", highlight=False)
    result = evaluate_winprob(frame, label_col=label_col, folds=folds)
    emit_result(result, as_json, title="eval winprob")
