"""`bizpilot train churn|winprob|forecast|segments`: retrain a customer-intelligence model from the workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from bizpilot.cli._common import err_console, handle_errors, prepare_workspace, print_json
from bizpilot.cli.train import train_app


def _train(name: str, as_json: bool) -> None:
    from sqlalchemy.orm import Session

    from bizpilot.db.engine import get_engine
    from bizpilot.services.intelligence import train_model

    prepare_workspace()
    with Session(get_engine()) as session:
        result = train_model(session, name=name)
        session.commit()
    if as_json:
        print_json(result)
    else:
        err_console.print(f"trained {name}: {result['model']} ({result['method']}) on {result['n_rows']} rows in "
                          f"{result['seconds']} s -> {result['path']}", highlight=False)
        for key, value in (result["metrics"] or {}).items():
            err_console.print(f"  {key}: {value}", highlight=False)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]


@train_app.command("churn")
@handle_errors
def churn(as_json: JsonOpt = False) -> None:
    """Repurchase propensity (90 days) per account, with an out-of-time check on the last 90 days."""
    _train("churn", as_json)


@train_app.command("winprob")
@handle_errors
def winprob(as_json: JsonOpt = False) -> None:
    """Win probability of opportunities (LightGBM, or the frequency fallback with few closed deals)."""
    _train("winprob", as_json)


@train_app.command("forecast")
@handle_errors
def forecast(as_json: JsonOpt = False) -> None:
    """Weekly demand forecaster chosen by backtest, with empirical intervals."""
    _train("forecast", as_json)


@train_app.command("segments")
@handle_errors
def segments(as_json: JsonOpt = False) -> None:
    """RFM quintile edges and named segments."""
    _train("segments", as_json)
