"""`bizpilot backup FILE` and `bizpilot restore FILE` (plain functions; `cli/main.py` registers them).

Neither prepares the workspace first: a backup must not change the workspace it copies (no migration), and a
restore checks the archive before it touches anything, then runs the migrations itself.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bizpilot.cli._common import JsonOpt, err_console, print_outcome
from bizpilot.errors import NotFoundError


def backup(file: Path = typer.Argument(..., help="Archive to write (a .zip; replaced atomically)"),  # noqa: B008
           as_json: JsonOpt = False) -> None:
    """Write a consistent snapshot of the live workspace (database, saved models, reports, uploads) to FILE; a
    running server keeps serving and writing meanwhile."""
    from bizpilot.config import get_settings
    from bizpilot.db import get_engine
    from bizpilot.services.backup import create_backup

    settings = get_settings()
    home = settings.resolved_home
    if not settings.database_url and not (home / "bizpilot.sqlite").is_file():
        raise NotFoundError(f"no workspace database at {home / 'bizpilot.sqlite'} (set BIZPILOT_HOME)")
    with err_console.status(f"backing up {home}..."):
        result = create_backup(engine=get_engine(), home=home, target=file)
    rows = sum(result.tables.values())
    print_outcome(as_json, result.to_dict(),
                  f"backup written: {result.path} ({result.size_bytes / 1e6:,.1f} MB, {result.database} at "
                  f"revision {result.revision}, {rows:,} rows in {len(result.tables)} tables, {result.files} files) "
                  f"in {result.seconds:.1f} s")


def restore(file: Path = typer.Argument(..., help="Archive written by `bizpilot backup`"),  # noqa: B008
            force: bool = typer.Option(False, "--force", help="Replace what the workspace holds (its tables and "
                                       "its models, reports and uploads)"),
            as_json: JsonOpt = False) -> None:
    """Restore a backup into the (empty) workspace: checksums and schema revision are checked first, migrations
    run forward when the backup is older than this bizpilot."""
    from bizpilot.config import get_settings
    from bizpilot.db import get_engine
    from bizpilot.services.restore import restore_backup

    home = get_settings().resolved_home
    with err_console.status(f"restoring {file} into {home}..."):
        result = restore_backup(engine=get_engine(), home=home, source=file, force=force)
    rows = sum(result.tables.values())
    migrated = f", migrated {result.backup_revision} -> {result.revision}" if result.migrated else ""
    print_outcome(as_json, result.to_dict(),
                  f"restored {file} (taken {result.created_at}) into {home}: {rows:,} rows, {result.files} files"
                  f"{migrated} in {result.seconds:.1f} s")
