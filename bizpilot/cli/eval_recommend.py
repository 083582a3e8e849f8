"""`bizpilot eval recommend`: rating error and top-k ranking quality of the recommenders on labelled data
(formats, protocols and the models scored: `bizpilot.services.evaluation.recommend`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console
from bizpilot.cli._eval import JsonOpt, emit_result, eval_progress


def recommend(
    data: Annotated[Path, typer.Option("--data", help="ml-100k folder, ratings CSV (gzip ok) or Online Retail file")],
    fmt: Annotated[str, typer.Option("--format", help="movielens | csv | online-retail")] = "movielens",
    protocol: Annotated[str, typer.Option("--protocol", help="kfold (MovieLens: official u1..u5) | stratified "
                                          "(per-user 75/25) | temporal (per-user, latest 25% to test)")] = "kfold",
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Folds for --protocol kfold")] = 5,
    k: Annotated[int, typer.Option("--k", min=1, max=1000, help="List length for the ranking metrics")] = 10,
    model: Annotated[str | None, typer.Option("--model", help="One model to score (default: bayes-mf for "
                                              "ratings and ease for ranking)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random splits")] = 42,
    as_json: JsonOpt = False,
) -> None:
    """Recommenders: RMSE/MAE (rating models), precision/recall/nDCG/MAP/hit rate@k and coverage (ranking)."""
    from bizpilot.services.evaluation.recommend import evaluate_recommend, prepare_recommend

    plan = prepare_recommend(data=data, fmt=fmt, protocol=protocol, folds=folds, k=k, model=model, seed=seed)
    models = ", ".join(m for m in (plan.rating_model, plan.ranking_model) if m)
    err_console.print(f"eval recommend: {len(plan.interactions)} interactions from {data} ({plan.fmt}), protocol "
                      f"{plan.protocol}" + (" (official u1..u5 folds)" if plan.uses_official_folds else "")
                      + f", models: {models}", highlight=False)
    with eval_progress(True, "folds", plan.n_folds) as update:
        out = evaluate_recommend(plan=plan, on_progress=update)
    emit_result(out if as_json else {key: v for key, v in out.items() if key != "per_fold"}, as_json,
                title=f"eval recommend ({plan.fmt}, {plan.protocol})")
