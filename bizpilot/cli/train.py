"""`bizpilot train <model>|all`: (re)train workspace models from the workspace's own data, one command per model
in the registry (``services/models/registry.py``), plus `train intent|sentiment FILE` for models learned from a
team's labelled file. Each records a ModelRun; `--json` prints the outcome as one JSON object on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bizpilot.cli._common import JsonOpt, err_console, handle_errors, prepare_workspace, print_json
from bizpilot.errors import BizpilotError, InsufficientData, ValidationFailed

train_app = typer.Typer(help="Train workspace models from the workspace's own data and save them.",
                        no_args_is_help=True)


def _show(outcome: Any) -> None:
    mark = {"finished": "[green]ok[/green]", "skipped": "[yellow]skipped[/yellow]",
            "failed": "[red]failed[/red]"}[outcome.status]
    err_console.print(f"  {outcome.name:<10} {mark} {outcome.seconds:6.1f} s"
                      + (f"  {outcome.message}" if outcome.message else ""))


def train_one(name: str, *, as_json: bool, params: dict[str, Any] | None = None, trigger: str = "cli") -> None:
    """Train one registered model now; a model that cannot be trained is an error (exit 2) with the reason."""
    from bizpilot.db import get_engine
    from bizpilot.services.models.jobs import run_training
    from bizpilot.services.models.registry import get_spec

    spec = get_spec(name)
    prepare_workspace()
    with err_console.status(f"training {name}...") as status:
        outcome = run_training(spec, engine=get_engine(), trigger=trigger, params=params,
                               progress=lambda f, note="": status.update(f"training {name}: {f:.0%} {note}"))
    if outcome.status == "skipped":
        raise InsufficientData(f"{name} was not trained: {outcome.message}")
    if outcome.status == "failed":
        raise ValidationFailed(f"{name} failed to train: {outcome.message}")
    if as_json:
        print_json(outcome.to_dict())
        return
    err_console.print(f"trained {name}: {outcome.model} on {outcome.n_rows} rows in {outcome.seconds} s "
                      f"(run {outcome.run_id}{', ' + str(outcome.outputs) + ' outputs' if outcome.outputs else ''})"
                      + (f" -> {outcome.artifact}" if outcome.artifact else ""), highlight=False)
    for key, value in (outcome.metrics or {}).items():
        err_console.print(f"  {key}: {value}", highlight=False)


def run_all_training(*, skip: list[str] | None = None, trigger: str = "cli") -> list[dict[str, Any]]:
    """Train every `train all` model but ``skip``, one line per model on stderr; their outcomes."""
    from bizpilot.db import get_engine
    from bizpilot.services.models.jobs import train_many
    from bizpilot.services.models.registry import train_all_specs

    specs = train_all_specs(tuple(skip or ()))
    with err_console.status("training workspace models...") as status:
        outcomes = train_many(specs, engine=get_engine(), trigger=trigger,
                              on_step=lambda spec, i, n: status.update(f"training {spec.name} ({i + 1}/{n})..."))
    for outcome in outcomes:
        _show(outcome)
    refresh_tasks_after_training()
    return [o.to_dict() for o in outcomes]


def refresh_tasks_after_training() -> None:
    """Open and close the automatic tasks for what the new models see (one line on stderr)."""
    from bizpilot.db import get_engine
    from bizpilot.db.engine import session_scope
    from bizpilot.services.tasks import refresh_tasks

    try:
        with err_console.status("refreshing tasks..."), session_scope(get_engine()) as session:
            result = refresh_tasks(session=session)
    except BizpilotError as exc:  # the models are trained all the same; `bizpilot tasks refresh` retries
        err_console.print(f"  {'tasks':<10} [red]not refreshed[/red]  {exc.message}", highlight=False)
        return
    counts = ", ".join(f"{sum(result[k].values())} {k}" for k in ("created", "kept", "closed"))
    err_console.print(f"  {'tasks':<10} {counts}" + "".join(f"; {note}" for note in result["skipped"].values()),
                      highlight=False)


@train_app.command("all")
@handle_errors
def train_everything(
    skip: Annotated[list[str] | None, typer.Option("--skip", help="A model to leave out (repeatable)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train every workspace model from the workspace's data. A model without the data it needs (say, win
    probability before any deal closed) is reported as skipped; exit code 1 only when one failed."""
    prepare_workspace()
    results = run_all_training(skip=skip)
    if as_json:
        print_json({"steps": results})
    if any(r["status"] == "failed" for r in results):
        raise typer.Exit(1)


def _register_workspace_models() -> None:
    """One `train <name>` command per registered model trained from the workspace's own data."""
    from bizpilot.services.models.registry import MODELS

    for spec in MODELS.values():
        if spec.name in (*FILE_MODELS, "embedder", "recommend", "industry"):
            continue

        def command(as_json: JsonOpt = False, _name: str = spec.name) -> None:
            train_one(_name, as_json=as_json)

        command.__doc__ = spec.summary + "."
        train_app.command(spec.name)(handle_errors(command))


@train_app.command("industry")
@handle_errors
def train_industry(
    workspace_embedding: Annotated[bool | None, typer.Option(
        "--workspace-embedding/--base-embedding", help="Embed through the workspace embedding model (`train "
        "embedder`) if there is one, or the base model as shipped; without either, as the previous run chose (off "
        "at first: on company sectors it did not help, see bench/intent_fewshot.md)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Classify the accounts' industries from their descriptions: trained on the accounts that have one (zero-shot
    among the taxonomy's labels with fewer); the account pages and the review queue read its predictions."""
    train_one("industry", as_json=as_json,
              params={} if workspace_embedding is None else {"workspace_embedding": workspace_embedding})


@train_app.command("recommend")
@handle_errors
def train_recommend(
    content_weight: Annotated[float, typer.Option("--content-weight", min=0.0, max=1.0,
                                                  help="Weight of product-text similarity for accounts with "
                                                  "many orders (sparse accounts lean on it more)")] = 0.15,
    as_json: JsonOpt = False,
) -> None:
    """Fit the hybrid recommender (purchases + product text) and record a model run."""
    train_one("recommend", as_json=as_json, params={"content_weight": content_weight})


FILE_MODELS = ("intent", "sentiment")
TextColOpt = Annotated[str | None, typer.Option("--text-col", help="Text column")]
HoldoutOpt = Annotated[float, typer.Option("--holdout", min=0.0, max=0.5, help="First measure on this share of "
                                           "the rows (stratified)")]
WorkspaceEmbeddingOpt = Annotated[bool, typer.Option("--workspace-embedding", help="Embed through the workspace "
                                  "embedding model (`train embedder`) if there is one; off by default: on banking77 "
                                  "and company sectors it did not help (see bench/intent_fewshot.md)")]


@train_app.command("intent")
@handle_errors
def train_intent(
    file: Annotated[Path, typer.Argument(help="Labelled messages (CSV: text,category)")],
    text_col: TextColOpt = None,
    label_col: Annotated[str | None, typer.Option("--label-col", help="Intent column")] = None,
    with_defaults: Annotated[bool, typer.Option("--with-defaults", help="Add the shipped seed utterances (keep "
                                                "the default intents; a few examples of new ones suffice)")] = False,
    holdout: HoldoutOpt = 0.0,
    workspace_embedding: WorkspaceEmbeddingOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Train the workspace intent model; `bizpilot signals message` and the assistant use it from then on."""
    from bizpilot.services.evaluation.files import read_labelled

    texts, labels, _ = read_labelled(file, text_col, label_col)
    err_console.print(f"training intent model on {len(texts)} rows ({len(set(labels))} intents) from {file}",
                      highlight=False)
    train_one("intent", as_json=as_json, params={"texts": texts, "labels": labels, "with_defaults": with_defaults,
                                                 "holdout": holdout, "workspace_embedding": workspace_embedding})


@train_app.command("sentiment")
@handle_errors
def train_sentiment(
    file: Annotated[Path, typer.Argument(help="Labelled reviews (CSV label,review or TSV sentence<TAB>score)")],
    text_col: TextColOpt = None,
    label_col: Annotated[str | None, typer.Option("--label-col", help="Label column")] = None,
    holdout: HoldoutOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Train the workspace sentiment model; message signals and alerts use it from then on."""
    from bizpilot.services.evaluation.files import read_labelled

    texts, labels, _ = read_labelled(file, text_col, label_col)
    err_console.print(f"training sentiment model on {len(texts)} rows from {file}", highlight=False)
    train_one("sentiment", as_json=as_json, params={"texts": texts, "labels": labels, "holdout": holdout})


@train_app.command("embedder")
@handle_errors
def train_embedder(
    pairs: Annotated[Path | None, typer.Option("--pairs", help="Pairs to learn from: ATEC TSV (id, q1, q2, label) "
                                               "or CSV/JSONL with query,positive[,negative] or q1,q2,label. "
                                               "Without it: the knowledge base's article titles and chunks")] = None,
    holdout: Annotated[float, typer.Option("--holdout", min=0.0, max=0.5, help="First measure the gain on this "
                                           "share of the question groups, held out")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the held-out split and the training order")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Train the workspace embedding model (an adapter over the pre-trained embedder); the knowledge base and the
    sentiment models trained after it use it, intent and industry models when trained with --workspace-embedding
    (the shipped defaults and older models keep their vectors)."""
    params: dict[str, Any] = {"holdout": holdout, "seed": seed}
    if pairs is not None:
        from bizpilot.services.embedder.pairs import read_pairs

        pair_set = read_pairs(pairs)
        err_console.print(f"training the workspace embedder on {len(pair_set.pairs)} matching and "
                          f"{len(pair_set.negatives)} non-matching pairs from {pairs}", highlight=False)
        params.update(pairs_file=str(pairs), pair_set=pair_set)
    train_one("embedder", as_json=as_json, params=params)


_register_workspace_models()

__all__ = ["run_all_training", "train_app", "train_one"]
