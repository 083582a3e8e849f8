"""What the `bizpilot eval <task>` commands share: the ``--json`` option, the result printer (exactly one JSON
object on stdout with ``--json``, a table on stderr otherwise) and a progress bar on stderr that services drive
through a plain ``on_progress(done)`` callback. The task modules import this; it imports none of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from bizpilot.cli._common import JsonOpt, err_console, print_json, print_table

__all__ = ["JsonOpt", "emit_result", "eval_progress", "note"]


def emit_result(result: dict[str, Any], as_json: bool, title: str) -> None:
    """One JSON object on stdout, or a two-column table on stderr."""
    if as_json:
        print_json(result)
        return
    print_table(title, ("metric", "value"), _metric_rows(result), right=("value",))


def _metric_rows(result: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(metric, value) lines; a nested dict's entries read as ``key.sub``."""
    for key, value in result.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                yield f"{key}.{sub}", _fmt(v)
        else:
            yield key, _fmt(value)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class _Bar:
    """A transient rich progress bar whose ``__enter__`` gives the ``on_progress(done)`` callback."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total

    def __enter__(self) -> Callable[[int], None]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=err_console, transient=True)
        self.progress.__enter__()
        task = self.progress.add_task(self.label, total=self.total)
        return lambda done: self.progress.update(task, completed=done)

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def eval_progress(enabled: bool, label: str, total: int) -> AbstractContextManager[Callable[[int], None] | None]:
    """A transient progress bar on stderr when it is a terminal (yields the callback to hand to a service);
    ``None`` otherwise, which services take as "no progress reporting"."""
    if not enabled or not err_console.is_terminal:
        return nullcontext(None)
    return _Bar(label, total)


def note(message: str) -> None:
    """A status line on stderr (services report stages through such a callback)."""
    err_console.print(message, highlight=False)


__all__ = ["JsonOpt", "emit_result", "eval_progress", "note"]
