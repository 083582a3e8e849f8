"""`bizpilot signals analyse|message|alerts`: intent and sentiment of stored interactions and of one message, and
the dissatisfaction alerts. (`bizpilot train intent|sentiment FILE` trains the models: `cli/train.py`.)"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from bizpilot.cli._common import err_console, prepare_workspace, print_json

signals_app = typer.Typer(help="Intent and sentiment of customer messages; dissatisfaction alerts.",
                          no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]
PROGRESS_EVERY = 2048  # interactions between progress lines on stderr


@signals_app.command("analyse")
def analyse(
    reanalyse: Annotated[bool, typer.Option("--all", help="Re-analyse interactions analysed before")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many interactions")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=100_000, help="Interactions per batch; "
                                            "each batch is committed, so an interrupted run keeps its work")] = 256,
    as_json: JsonOpt = False,
) -> None:
    """Fill sentiment and intent of the workspace's interactions (only new ones unless --all)."""
    from bizpilot.db.engine import get_engine, session_scope
    from bizpilot.services.signals import analyse_interactions

    prepare_workspace()
    with session_scope(get_engine()) as session:

        def batch_done(done: int, total: int) -> None:
            # The service flushes a batch before it reports it: committing here keeps it if the run is stopped.
            # (One call over the whole selection rather than a loop of limit=batch calls: with --all a loop would
            # re-select the same first rows forever, and rows without text are never marked analysed.)
            session.commit()
            if done % PROGRESS_EVERY < batch_size or done == total:
                err_console.print(f"  {done}/{total}", highlight=False)

        report = analyse_interactions(session=session, reanalyse=reanalyse, limit=limit, batch_size=batch_size,
                                      on_progress=batch_done)
    if as_json:
        print_json(asdict(report))
        return
    err_console.print(f"analysed {report.analysed} interaction(s) in {report.seconds} s: {report.negative} "
                      f"negative, {report.complaints} complaint(s); {report.skipped_empty} without text skipped",
                      highlight=False)


@signals_app.command("message")
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
def alerts(
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days")] = 30,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many accounts")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Accounts with recent negative or complaint messages, worst first."""
    from bizpilot.db.engine import get_engine, session_scope
    from bizpilot.services.signals import dissatisfaction_alerts

    prepare_workspace()
    with session_scope(get_engine()) as session:
        found = dissatisfaction_alerts(session=session, days=days, limit=limit)
        rows = [asdict(a) for a in found]
    if as_json:
        print_json({"alerts": rows})
        return
    table = Table(title=f"dissatisfaction alerts (last {days} days)")
    for column in ("account", "severity", "negative", "complaints", "avg score", "last"):
        table.add_column(column)
    for a in found:
        table.add_row(a.account_name, a.severity, str(a.negative), str(a.complaints), f"{a.average_score:+.2f}",
                      str(a.last_at)[:16])
    err_console.print(table)
