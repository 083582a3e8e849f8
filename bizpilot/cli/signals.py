"""`bizpilot signals analyse|message|alerts`: intent and sentiment of stored interactions and of one message, and
the dissatisfaction alerts. (`bizpilot train intent|sentiment FILE` trains the models: `cli/train.py`.)"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from bizpilot.cli._common import JsonOpt, err_console, print_json, print_outcome, print_table, workspace_session

signals_app = typer.Typer(help="Intent and sentiment of customer messages; dissatisfaction alerts.",
                          no_args_is_help=True)
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
    from bizpilot.services.signals.analysis import analyse_interactions

    with workspace_session() as session:

        def batch_done(done: int, total: int) -> None:
            # The service flushes a batch before it reports it: committing here keeps it if the run is stopped.
            # (One call over the whole selection rather than a loop of limit=batch calls: with --all a loop would
            # re-select the same first rows forever, and rows without text are never marked analysed.)
            session.commit()
            if done % PROGRESS_EVERY < batch_size or done == total:
                err_console.print(f"  {done}/{total}", highlight=False)

        report = analyse_interactions(session=session, reanalyse=reanalyse, limit=limit, batch_size=batch_size,
                                      on_progress=batch_done)
    print_outcome(as_json, asdict(report), f"analysed {report.analysed} interaction(s) in {report.seconds} s: "
                  f"{report.negative} negative, {report.complaints} complaint(s); {report.skipped_empty} without "
                  "text skipped")


@signals_app.command("message")
def message(
    text: Annotated[str, typer.Argument(help="The customer message")],
    as_json: JsonOpt = False,
) -> None:
    """Intent, confidence, out-of-scope flag and sentiment of one message."""
    from bizpilot.services.signals.analysis import analyse_message

    signals = analyse_message(text)
    print_outcome(as_json, asdict(signals), f"intent {signals.intent} ({signals.intent_confidence:.2f})"
                  f"{' [out of scope]' if signals.out_of_scope else ''}; sentiment {signals.sentiment} "
                  f"({signals.sentiment_score:+.2f})")


@signals_app.command("alerts")
def alerts(
    days: Annotated[int, typer.Option("--days", min=1, help="Look back this many days")] = 30,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many accounts")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Accounts with recent negative or complaint messages, worst first."""
    from bizpilot.services.signals.analysis import dissatisfaction_alerts

    with workspace_session() as session:
        found = dissatisfaction_alerts(session=session, days=days, limit=limit)
        rows = [asdict(a) for a in found]
    if as_json:
        print_json({"alerts": rows})
        return
    print_table(f"dissatisfaction alerts (last {days} days)",
                ("account", "severity", "negative", "complaints", "avg score", "last"),
                ((a.account_name, a.severity, str(a.negative), str(a.complaints), f"{a.average_score:+.2f}",
                  str(a.last_at)[:16]) for a in found))
