"""What every command shares: stderr console, error translation, progress bars, workspace preparation."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from bizpilot.errors import BizpilotError

err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Expected failures become one readable message on stderr (with row/field details) and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BizpilotError as exc:
            err_console.print(f"[bold red]error[/]: {exc.message}", highlight=False, markup=True)
            for detail in exc.details[:20]:
                where = ", ".join(f"{k} {detail[k]}" for k in ("row", "field") if detail.get(k) is not None)
                err_console.print(f"  - {where}: {detail.get('reason', '')}", highlight=False, markup=False)
            if len(exc.details) > 20:
                err_console.print(f"  ... and {len(exc.details) - 20} more", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def print_json(obj: Any) -> None:
    """Exactly one JSON object on stdout (scripts and independent checks parse it)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr, handed to services as a plain ``(label, done, total)`` callback."""
    if not enabled or not err_console.is_terminal:
        yield lambda label, done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"writing {label}", total=total)
            progress.update(tasks[label], completed=done, total=total)

        yield update


def prepare_workspace() -> None:
    """Create the workspace directories and bring the database schema up to date."""
    from bizpilot.config import get_settings
    from bizpilot.db import get_engine, upgrade

    get_settings().ensure_dirs()
    upgrade(get_engine())
