"""`bizpilot train all`: every workspace model in one go (segments, churn, win probability, forecasts,
recommendations, message signals, knowledge-base index); also run by `bizpilot demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from bizpilot.cli._common import err_console, handle_errors, prepare_workspace, print_json
from bizpilot.cli.train import train_app


def run_all_training(*, skip: list[str] | None = None) -> list[dict]:
    """Train every step but ``skip`` with a status line on stderr; prints one line per step."""
    from dataclasses import asdict

    from bizpilot.db import get_engine
    from bizpilot.services.training import STEPS, train_all

    steps = tuple(s for s in STEPS if s not in set(skip or []))
    with err_console.status("training workspace models...") as status:
        results = train_all(engine=get_engine(), steps=steps,
                            on_step=lambda step, i, n: status.update(f"training {step} ({i + 1}/{n})..."))
    for r in results:
        mark = "[green]ok[/green]" if r.ok else "[yellow]skipped[/yellow]"
        err_console.print(f"  {r.step:<10} {mark} {r.seconds:6.1f} s" + (f"  {r.error}" if r.error else ""))
    return [asdict(r) for r in results]


@train_app.command("all")
@handle_errors
def train_everything(
    skip: Annotated[list[str] | None, typer.Option("--skip", help="A step to leave out (repeatable): segments, "
                                                   "churn, winprob, forecast, recommend, signals, knowledge")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")] = False,
) -> None:
    """Train every workspace model from the workspace's data; a step that cannot be trained is reported, the
    others still run (exit code 1 when any step failed)."""
    prepare_workspace()
    results = run_all_training(skip=skip)
    if as_json:
        print_json({"steps": results})
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


__all__ = ["run_all_training"]
