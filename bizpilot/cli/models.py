"""`bizpilot models`: every workspace model with its state, latest run and health flags; `bizpilot doctor`: checks
of the set-up (settings, unknown BIZPILOT_* variables, database, models)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bizpilot.cli._common import err_console, handle_errors, prepare_workspace, print_json

JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]


@handle_errors
def models(
    check_drift: Annotated[bool, typer.Option("--check-drift", help="Recompute input drift since training for "
                                              "the models that have a drift check (reads the data)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every registered model: state, latest run (metrics, data size, duration, trigger) and flags (a retrain
    that made a key metric worse, input drift since training, a fallback in use)."""
    from bizpilot.db import get_engine
    from bizpilot.db.engine import session_scope
    from bizpilot.services.models.overview import check_drift as check
    from bizpilot.services.models.overview import overview
    from bizpilot.services.models.registry import MODELS

    prepare_workspace()
    with session_scope(get_engine()) as session:
        if check_drift:
            for spec in MODELS.values():
                check(session, spec)
        rows = overview(session, list(MODELS.values()))
    if as_json:
        print_json({"models": rows})
        return
    table = Table(title="workspace models")
    for column in ("model", "state", "trained", "rows", "seconds", "by", "flags"):
        table.add_column(column)
    for row in rows:
        run = row["current"] or {}
        state = row["state"] + (f" {row['progress']:.0%}" if row["state"] == "training" and row["progress"] else "")
        table.add_row(row["name"], state, str(run.get("finished_at") or "")[:16], str(run.get("n_rows") or ""),
                      str(run.get("duration_s") or ""), str(run.get("trigger") or ""),
                      "; ".join(row["flags"]) or (row["message"] or row["last_error"] or ""))
    err_console.print(table)


@handle_errors
def doctor(as_json: JsonOpt = False) -> None:
    """Check the set-up: the workspace, the database schema, unknown BIZPILOT_* variables (typos are otherwise
    ignored), the LLM backend and every model's state. Exit code 1 when something needs attention."""
    from bizpilot.services.doctor import run_checks

    checks = run_checks()
    if as_json:
        print_json({"checks": checks})
    else:
        for check in checks:
            mark = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]fail[/red]"}
            err_console.print(f"{mark[check['status']]:<24} {check['name']}: {check['detail']}", highlight=False)
    if any(c["status"] == "fail" for c in checks):
        raise typer.Exit(1)


__all__ = ["doctor", "models"]
