"""`bizpilot signals ...` (analyse stored interactions, one message, dissatisfaction alerts) and
`bizpilot train intent FILE` (the workspace intent model from a team's labelled messages)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bizpilot.cli._common import err_console, handle_errors, prepare_workspace, print_json
from bizpilot.cli.train import train_app

signals_app = typer.Typer(help="Intent and sentiment of customer messages; dissatisfaction alerts.",
                          no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]


@signals_app.command("analyse")
@handle_errors
def analyse(
    reanalyse: Annotated[bool, typer.Option("--all", help="Re-analyse interactions analysed before")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many interactions")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fill sentiment and intent of the workspace's interactions (only new ones unless --all)."""
    from sqlalchemy.orm import Session

    from bizpilot.db.engine import get_engine
    from bizpilot.services.signals import analyse_interactions

    prepare_workspace()
    with Session(get_engine()) as session:
        report = analyse_interactions(session, reanalyse=reanalyse, limit=limit,
                                      on_progress=lambda done, total: err_console.print(
                                          f"  {done}/{total}", highlight=False) if done % 2048 == 0 else None)
    if as_json:
        print_json(asdict(report))
        return
    err_console.print(f"analysed {report.analysed} interaction(s) in {report.seconds} s: {report.negative} "
                      f"negative, {report.complaints} complaint(s); {report.skipped_empty} without text skipped",
                      highlight=False)


@signals_app.command("message")
@handle_errors
def message(
    text: Annotated[str, typer.Argument(help="The customer message")],
    as_json: JsonOpt = False,
) -> None:
    """Intent, confidence, out-of-scope flag and sentiment of one message."""
    from bizpilot.services.signals import analyse_message

    signals = analyse_message(text)
    if as_json:
        print_json(asdict(signals))
        return
    err_console.print(f"intent {signals.intent} ({signals.intent_confidence:.2f})"
                      f"{' [out of scope]' if signals.out_of_scope else ''}; sentiment {signals.sentiment} "
                      f"({signals.sentiment_score:+.2f})", highlight=False)


@signals_app.command("alerts")
@handle_errors
def alerts(
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days")] = 30,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many accounts")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Accounts with recent negative or complaint messages, worst first."""
    from sqlalchemy.orm import Session

    from bizpilot.db.engine import get_engine
    from bizpilot.services.signals import dissatisfaction_alerts

    prepare_workspace()
    with Session(get_engine()) as session:
        found = dissatisfaction_alerts(session, days=days, limit=limit)
    if as_json:
        print_json({"alerts": [asdict(a) for a in found]})
        return
    table = Table(title=f"dissatisfaction alerts (last {days} days)")
    for column in ("account", "severity", "negative", "complaints", "avg score", "last"):
        table.add_column(column)
    for a in found:
        table.add_row(a.account_name, a.severity, str(a.negative), str(a.complaints), f"{a.average_score:+.2f}",
                      str(a.last_at)[:16])
    err_console.print(table)


@train_app.command("intent")
@handle_errors
def train_intent(
    file: Annotated[Path, typer.Argument(help="Labelled messages (CSV: text,category)")],
    text_col: Annotated[str | None, typer.Option("--text-col", help="Text column")] = None,
    label_col: Annotated[str | None, typer.Option("--label-col", help="Intent column")] = None,
    with_defaults: Annotated[bool, typer.Option("--with-defaults", help="Add the shipped seed utterances (keep "
                                                "the default intents; a few examples of new ones suffice)")] = False,
    holdout: Annotated[float, typer.Option("--holdout", min=0.0, max=0.5, help="First measure on this share "
                                           "of the rows (stratified)")] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Train the workspace intent model; `bizpilot signals message` and the assistant use it from then on."""
    from bizpilot.cli.eval_signals import read_labelled
    from bizpilot.services.signals import train_intent as train

    prepare_workspace()
    texts, labels, _ = read_labelled(file, text_col, label_col)
    err_console.print(f"training intent model on {len(texts)} rows ({len(set(labels))} intents) from {file}",
                      highlight=False)
    result = train(texts=texts, labels=labels, with_defaults=with_defaults, holdout=holdout)
    if as_json:
        print_json(result)
        return
    err_console.print(f"trained intent: {len(result['intents'])} intents, {result['n_rows']} rows "
                      f"(+{result['n_seed_rows']} seeds), {result['embedder']} embedding, {result['seconds']} s "
                      f"-> {result['path']}", highlight=False)
    if result["metrics"]:
        for key, value in result["metrics"].items():
            err_console.print(f"  {key}: {value}", highlight=False)
