"""Restore of a backup written by ``services/backup.py`` into an empty workspace.

Nothing is touched before the whole archive is checked: its format, that it holds the database kind of the target
workspace, that its schema revision is one this bizpilot knows (a backup from a newer bizpilot is refused), and the
SHA-256 of every member against the manifest. A workspace that holds rows or files is refused unless ``force``
(which replaces them). The database is then copied in (SQLite's backup API, or ``pg_restore`` into a fresh
``public`` schema), the files are moved into place, paths the database keeps (model files, rejects reports) are
moved from the source workspace to this one, and migrations run forward when the backup is older than this
bizpilot. Last, every table's row count is compared with the manifest. A job: it takes an engine.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine, select, text, update

from bizpilot.db.migrate import alembic_config, current_revision, head_revision, upgrade
from bizpilot.domain import ImportRun
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ConfigError, ConflictError, ValidationFailed
from bizpilot.services.backup import (
    CHUNK,
    FILE_DIRS,
    FORMAT,
    MANIFEST,
    PG_MEMBER,
    SQLITE_MEMBER,
    database_kind,
    pg_command,
    snapshot_counts,
    workspace_files,
)


@dataclass
class RestoreResult:
    """What ``restore_backup`` brought back."""

    source: str
    database: str
    backup_revision: str | None
    revision: str | None
    migrated: bool
    files: int
    seconds: float
    created_at: str | None = None
    tables: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bad(source: Path, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{source} is not a usable bizpilot backup: {reason}",
                            details=[{"field": "file", "reason": reason}])


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        return False
    if name in (SQLITE_MEMBER, PG_MEMBER):
        return True
    return len(path.parts) >= 3 and path.parts[0] == "files" and path.parts[1] in FILE_DIRS


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of the backup at ``source``, checked for shape and format."""
    if not source.is_file():
        raise _bad(source, "no such file")
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise _bad(source, f"no readable {MANIFEST} ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise _bad(source, "the manifest has no file list")
    if manifest.get("format") != FORMAT:
        raise _bad(source, f"backup format {manifest.get('format')!r}; this bizpilot reads format {FORMAT}")
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not _safe_member(str(entry.get("path", ""))):
            raise _bad(source, f"unexpected member {entry!r}")
    return manifest


def verify_archive(source: Path, manifest: dict[str, Any]) -> None:
    """Every member the manifest lists is there with its size and SHA-256 (nothing is extracted)."""
    import hashlib

    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            for entry in manifest["files"]:
                if entry["path"] not in names:
                    raise _bad(source, f"{entry['path']} is missing")
                digest, size = hashlib.sha256(), 0
                with archive.open(entry["path"]) as fh:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                    raise _bad(source, f"{entry['path']} does not match its checksum (damaged or altered)")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC error or a truncated archive
        raise _bad(source, f"the archive is damaged ({exc})") from None


def _check_revision(engine: Engine, source: Path, revision: str | None) -> None:
    from alembic.script import ScriptDirectory

    if revision is None:
        raise _bad(source, "the backup names no schema revision")
    try:
        ScriptDirectory.from_config(alembic_config(engine)).get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        raise _bad(source, f"schema revision {revision} is newer than this bizpilot ({head_revision(engine)}); "
                           "upgrade bizpilot to restore it") from None


def workspace_contents(*, engine: Engine, home: Path) -> list[str]:
    """What the workspace already holds (tables with rows, files); empty when it can take a restore."""
    held = [f"{name}: {n:,} rows" for name, n in snapshot_counts(engine).items() if n]
    by_dir: dict[str, int] = {}
    for rel in workspace_files(home):
        by_dir[rel.parts[0]] = by_dir.get(rel.parts[0], 0) + 1
    return [f"{name}/: {n} files" for name, n in sorted(by_dir.items())] + held


def _restore_sqlite(engine: Engine, snapshot: Path) -> None:
    target = engine.url.database
    if not target or target == ":memory:":
        raise ConfigError("cannot restore into an in-memory SQLite database")
    engine.dispose()
    src = sqlite3.connect(snapshot)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    engine.dispose()


def _restore_postgres(engine: Engine, dump: Path) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    args, env = pg_command(engine, "pg_restore")
    done = subprocess.run([*args, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           str(dump)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigError(f"pg_restore failed: {done.stderr.strip()[:500]}")


def _place_files(home: Path, stage: Path, force: bool) -> int:
    """Move the extracted files into the workspace (``force``: the carried folders are emptied first)."""
    if force:
        for name in FILE_DIRS:
            shutil.rmtree(home / name, ignore_errors=True)
    placed = 0
    root = stage / "files"
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_file():
            target = home / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            placed += 1
    return placed


def _move_paths(engine: Engine, old_home: str | None, home: Path) -> None:
    """Paths the database keeps into the source workspace now point into this one."""
    if not old_home or old_home == str(home):
        return
    prefix = old_home.rstrip(os.sep) + os.sep
    with engine.begin() as conn:
        for column in (ModelRun.__table__.c.artifact_path, ImportRun.__table__.c.rejects_path):
            table = column.table
            rows = conn.execute(select(table.c.id, column).where(column.startswith(prefix, autoescape=True))).all()
            for row_id, value in rows:
                conn.execute(update(table).where(table.c.id == row_id)
                             .values({column.name: str(home / value[len(prefix):])}))


def restore_backup(*, engine: Engine, home: Path, source: Path, force: bool = False) -> RestoreResult:
    """Bring the backup at ``source`` into the workspace at ``home`` (database ``engine``); see the module
    docstring for the checks. ``ConflictError`` when the workspace is not empty and ``force`` is not set."""
    started = time.perf_counter()
    home, source = home.resolve(), source.resolve()
    kind = database_kind(engine)
    manifest = read_manifest(source)
    if manifest.get("database") != kind:
        raise _bad(source, f"it holds a {manifest.get('database')} database and this workspace uses {kind} "
                           "(restore it into a workspace of the same kind)")
    _check_revision(engine, source, manifest.get("revision"))
    verify_archive(source, manifest)
    held = workspace_contents(engine=engine, home=home)
    if held and not force:
        raise ConflictError(f"the workspace {home} is not empty ({'; '.join(held[:8])}); restore into an empty "
                            "workspace or pass --force to replace it",
                            details=[{"field": "workspace", "reason": "not empty"}])
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bizpilot-restore-", dir=home) as tmp:
        stage = Path(tmp)
        with zipfile.ZipFile(source) as archive:
            for entry in manifest["files"]:
                archive.extract(entry["path"], stage)
        if kind == "sqlite":
            _restore_sqlite(engine, stage / SQLITE_MEMBER)
        else:
            _restore_postgres(engine, stage / PG_MEMBER)
        files = _place_files(home, stage, force)
    migrated = current_revision(engine) != head_revision(engine)
    if migrated:
        upgrade(engine)
    _move_paths(engine, manifest.get("home"), home)
    tables = snapshot_counts(engine)
    differ = {name: (n, tables.get(name)) for name, n in manifest.get("tables", {}).items() if tables.get(name) != n}
    if differ:
        raise ValidationFailed("the restored database does not hold what the backup counted: " + ", ".join(
            f"{name} {want} -> {got}" for name, (want, got) in sorted(differ.items())))
    return RestoreResult(source=str(source), database=kind, backup_revision=manifest.get("revision"),
                         revision=current_revision(engine), migrated=migrated, files=files,
                         seconds=round(time.perf_counter() - started, 3), created_at=manifest.get("created_at"),
                         tables=tables)


__all__ = ["RestoreResult", "read_manifest", "restore_backup", "verify_archive", "workspace_contents"]
