"""`bizpilot eval recommend`: rating error and top-k ranking quality of the recommenders on labelled data.

``--format movielens`` takes the ml-100k folder (k-fold uses its official u1..u5 files), ``--format csv`` a file
of ``user_id,item_id,rating`` (gzip ok; seeded k-fold), ``--format online-retail`` the UCI Online Retail file
(implicit purchases; ranking metrics only). Without ``--model`` explicit data is scored by the default rating model
(RMSE/MAE) and the default ranking model (top-k metrics); with ``--model NAME`` only that model is scored (a
rating model is also ranked by its predicted ratings). ``fit_seconds`` is the mean fit time per fold of the
rating model when there is one (else of the ranking model); ``fit_seconds_all`` adds both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import err_console, handle_errors
from bizpilot.cli.eval import emit_result, eval_app, eval_progress
from bizpilot.errors import ValidationFailed


@eval_app.command("recommend")
@handle_errors
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
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")] = False,
) -> None:
    """Recommenders: RMSE/MAE (rating models), precision/recall/nDCG/MAP/hit rate@k and coverage (ranking)."""
    from bizpilot.ml.recommend import (
        DEFAULT_RANKING_MODEL,
        DEFAULT_RATING_MODEL,
        MODELS,
        RATING_MODELS,
    )
    from bizpilot.ml.recommend.data import movielens_folds, read_interactions
    from bizpilot.ml.recommend.evaluate import PROTOCOLS, evaluate

    fmt, protocol = fmt.lower(), protocol.lower()
    if protocol not in PROTOCOLS:
        raise ValidationFailed(f"unknown --protocol {protocol!r}; one of: {', '.join(PROTOCOLS)}")
    if model is not None and model.lower() not in MODELS:
        raise ValidationFailed(f"unknown --model {model!r}; one of: {', '.join(MODELS)}")
    interactions = read_interactions(data, fmt)
    official = movielens_folds(data) if fmt == "movielens" and protocol == "kfold" else None
    if model is None:
        rating_model = DEFAULT_RATING_MODEL if interactions.explicit else None
        ranking_model = DEFAULT_RANKING_MODEL
    elif model.lower() in RATING_MODELS:
        if not interactions.explicit:
            raise ValidationFailed(f"--model {model} predicts ratings; --format {fmt} has implicit purchases only")
        rating_model, ranking_model = model.lower(), None
    else:
        rating_model, ranking_model = None, model.lower()
    n_folds = len(official) if official and folds == len(official) else (folds if protocol == "kfold" else 1)
    err_console.print(f"eval recommend: {len(interactions)} interactions from {data} ({fmt}), protocol {protocol}"
                      + (" (official u1..u5 folds)" if official and folds == len(official) else "")
                      + f", models: {', '.join(m for m in (rating_model, ranking_model) if m)}", highlight=False)
    with eval_progress(True, "folds", n_folds) as update:
        result = evaluate(interactions, protocol=protocol, n_folds=folds, k=k, rating_model=rating_model,
                          ranking_model=ranking_model, seed=seed, official=official, on_fold=update)
    per_fold = result.pop("folds")
    out = {"task": "recommend", "format": fmt, "protocol": protocol, "folds": len(per_fold), "k": k,
           "model": model.lower() if model else None, "rating_model": rating_model, "ranking_model": ranking_model,
           "n_ratings": len(interactions), "n_users": int(len(set(interactions.users.tolist()))),
           "n_items": int(len(set(interactions.items.tolist()))), **result, "per_fold": per_fold}
    emit_result(out if as_json else {k_: v for k_, v in out.items() if k_ != "per_fold"}, as_json,
                title=f"eval recommend ({fmt}, {protocol})")
