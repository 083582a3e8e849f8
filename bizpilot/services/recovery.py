"""Runs cut short by a killed process: found at the next start and marked interrupted, not "running" forever.

Every model run and import run records the process that runs it (``process``: ``host:pid:start``, the start being
the process's start time in clock ticks from ``/proc`` where there is one, so a pid reused after a restart, as in a
container where the server is always pid 1, is not mistaken for the old process). At start-up (`bizpilot serve`
and every CLI command through ``prepare_workspace``) ``mark_interrupted`` looks at the runs still queued or
running: one whose process on this host is gone is marked ``interrupted`` with the reason; one of another host
(a shared PostgreSQL) is left alone, since its process cannot be checked from here. Rows written before runs
recorded their process (``process`` empty) can only be leftovers and are interrupted too. Half-written model files
of dead processes (``.<name>.<pid>.tmp``, see ``ml/base.py``) are removed.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import ImportRun
from bizpilot.domain.model_run import ModelRun


def _start_ticks(pid: int) -> str:
    """The process's start time (clock ticks since boot, field 22 of /proc/<pid>/stat); empty where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else ""


@lru_cache(maxsize=1)
def _this_process() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def process_token() -> str:
    """``host:pid:start`` of this process, what a run records as its ``process``."""
    if _this_process().split(":")[1] != str(os.getpid()):  # a forked child
        _this_process.cache_clear()
    return _this_process()


def process_alive(token: str | None) -> bool | None:
    """Whether the process a run recorded still runs: True, False, or None when it cannot be told from here
    (another host)."""
    if not token:
        return False
    host, pid_text, start = (token.rsplit(":", 2) + ["", ""])[:3]
    if host != socket.gethostname():
        return None
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    return not start or _start_ticks(pid) in ("", start)


@dataclass(frozen=True)
class Interrupted:
    """What ``mark_interrupted`` found."""

    model_runs: list[int]
    import_runs: list[int]
    temp_files: int = 0

    def __bool__(self) -> bool:
        return bool(self.model_runs or self.import_runs or self.temp_files)


def _reason(token: str | None) -> str:
    if not token:
        return "interrupted: the process that ran it ended before it finished"
    _, pid, _ = (token.rsplit(":", 2) + ["", ""])[:3]
    return f"interrupted: its process (pid {pid}) ended before it finished"


def mark_interrupted(*, session: Session, models_dir: Path | None = None) -> Interrupted:
    """Mark the runs whose process is gone as interrupted (see the module docstring); the caller commits."""
    now = utcnow()
    model_ids, import_ids = [], []
    for run in session.scalars(select(ModelRun).where(ModelRun.status.in_(("queued", "running")))):
        if process_alive(run.process) is False:
            run.status, run.message, run.progress, run.finished_at = "interrupted", _reason(run.process), None, now
            model_ids.append(run.id)
    for imp in session.scalars(select(ImportRun).where(ImportRun.status == "running")):
        if process_alive(imp.process) is False:
            imp.status, imp.message, imp.finished_at = "interrupted", _reason(imp.process), now
            import_ids.append(imp.id)
    session.flush()
    return Interrupted(model_ids, import_ids, remove_dead_temp_files(models_dir) if models_dir else 0)


def remove_dead_temp_files(directory: Path) -> int:
    """Delete ``.<name>.<pid>.tmp`` files whose writing process is gone (a model file cut short by a kill)."""
    removed = 0
    for path in directory.glob(".*.tmp") if directory.is_dir() else []:
        pid_text = path.name[:-len(".tmp")].rpartition(".")[2]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


__all__ = ["Interrupted", "mark_interrupted", "process_alive", "process_token", "remove_dead_temp_files"]
