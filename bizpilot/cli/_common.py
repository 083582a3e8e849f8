"""What every command shares: stderr console, error translation, registration, the ``--json`` option, tables and
progress bars on stderr, workspace preparation and the command's session (``workspace_session``).

Errors are translated in one place: the root command group (``ErrorTranslatingGroup``) turns any ``BizpilotError``
raised below it into one readable message on stderr and exit code 2, so command functions are plain functions.
``handle_errors`` does the same for one function (commands written before the group did it still carry it).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from bizpilot.errors import BizpilotError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
MAX_DETAILS = 20
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout")]


def report_error(exc: BizpilotError) -> NoReturn:
    """An expected failure as one readable message on stderr (with row/field details), then exit code 2."""
    err_console.print(f"[bold red]error[/]: {exc.message}", highlight=False, markup=True)
    for detail in exc.details[:MAX_DETAILS]:
        where = ", ".join(f"{k} {detail[k]}" for k in ("row", "field") if detail.get(k) is not None)
        err_console.print(f"  - {where}: {detail.get('reason', '')}", highlight=False, markup=False)
    if len(exc.details) > MAX_DETAILS:
        err_console.print(f"  ... and {len(exc.details) - MAX_DETAILS} more", highlight=False)
    raise typer.Exit(code=2) from None


class ErrorTranslatingGroup(TyperGroup):
    """The root group of the CLI: a ``BizpilotError`` from any command or sub-command below it is reported by
    ``report_error`` (exit 2), so no command has to remember a decorator."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BizpilotError as exc:
            report_error(exc)


def handle_errors(fn: F) -> F:
    """``report_error`` for one function, for commands that carry it themselves (the root group already does
    this for every registered command)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BizpilotError as exc:
            report_error(exc)

    return wrapper  # type: ignore[return-value]


Command = tuple[str, Callable[..., Any]]
SubApp = tuple[str, typer.Typer]


def register(app: typer.Typer, *, commands: Sequence[Command] = (), subapps: Sequence[SubApp] = ()) -> typer.Typer:
    """Add plain command functions and sub-apps to ``app`` by name, in list order (the order of ``--help``)."""
    for name, fn in commands:
        app.command(name)(fn)
    for name, sub in subapps:
        app.add_typer(sub, name=name)
    return app


def print_json(obj: Any) -> None:
    """Exactly one JSON object on stdout (scripts and independent checks parse it)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *,
                right: Collection[str] = ()) -> None:
    """A human-readable table on stderr (stdout stays for ``--json``); ``right``: columns of numbers, aligned right."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in rows:
        table.add_row(*row)
    err_console.print(table)


def print_outcome(as_json: bool, data: Any, message: Any) -> None:
    """A command's one result: ``data`` as the JSON object on stdout with ``--json``, else ``message`` for people
    on stderr (rich markup allowed, no highlighting of numbers and names)."""
    if as_json:
        print_json(data)
    else:
        err_console.print(message, highlight=False)


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
    """Create the workspace directories, bring the database schema up to date and mark runs whose process was
    killed mid-way as interrupted (``services/recovery.py``), so none stays "running" forever."""
    from bizpilot.config import get_settings
    from bizpilot.db import get_engine, upgrade
    from bizpilot.db.engine import session_scope
    from bizpilot.services.recovery import mark_interrupted

    settings = get_settings()
    settings.ensure_dirs()
    engine = get_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        found = mark_interrupted(session=session, models_dir=settings.models_dir)
    if found.model_runs or found.import_runs:
        err_console.print(f"[yellow]interrupted runs[/] (their process ended mid-way): model runs "
                          f"{found.model_runs or '-'}, import runs {found.import_runs or '-'}", highlight=False)


@contextmanager
def workspace_session() -> Iterator[Session]:
    """The workspace, prepared, and the command's one unit of work: committed when the block ends, rolled back on
    an error (the CLI edge owns the session; the services it calls only flush)."""
    from bizpilot.db import get_engine
    from bizpilot.db.engine import session_scope

    prepare_workspace()
    with session_scope(get_engine()) as session:
        yield session


T = TypeVar("T")


def read_with_models(read: Callable[[], T]) -> T:
    """Run ``read`` (which opens its own session); when a model it needs was missing, the read queued it for
    training in this process: a person at the terminal waits for that here, with a status line, and reads again.
    A model training in another process (the server) or one that failed is reported as the error it is."""
    from bizpilot.db import get_engine
    from bizpilot.errors import ModelNotReady
    from bizpilot.services.models import jobs

    for _ in range(10):  # each round trains what the previous read found missing
        try:
            return read()
        except ModelNotReady as exc:
            if not jobs.in_flight(get_engine(), exc.model):
                raise
            with err_console.status(f"training the {exc.model} model (first use)..."):
                jobs.wait()
    return read()
