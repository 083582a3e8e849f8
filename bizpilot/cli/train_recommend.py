"""`bizpilot train recommend`: retrain the workspace's recommender from its order lines and save it."""

from __future__ import annotations

from typing import Annotated

import typer

from bizpilot.cli._common import err_console, handle_errors, prepare_workspace, print_json
from bizpilot.cli.train import train_app


@train_app.command("recommend")
@handle_errors
def train_recommend(
    content_weight: Annotated[float, typer.Option("--content-weight", min=0.0, max=1.0,
                                                  help="Weight of product-text similarity for accounts with "
                                                  "many orders (sparse accounts lean on it more)")] = 0.15,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")] = False,
) -> None:
    """Fit the hybrid recommender (purchases + product text) and record a model run."""
    from bizpilot.db import get_engine
    from bizpilot.services.recommend import train

    prepare_workspace()
    result = train(engine=get_engine(), content_weight=content_weight)
    if as_json:
        print_json(result)
        return
    m = result["metrics"]
    err_console.print(f"trained {result['model']} on {m['n_pairs']} account-product pairs ({m['n_accounts']} "
                      f"accounts, {m['n_products']} products, {m['n_cold_products']} without history) in "
                      f"{m['fit_seconds']:.1f} s; saved {result['path']} (run {result['run_id']})", highlight=False)
    if "holdout_ndcg@10" in m:
        err_console.print(f"holdout (per-account 75/25): nDCG@10 {m['holdout_ndcg@10']:.3f}, precision@10 "
                          f"{m['holdout_precision@10']:.3f}", highlight=False)
