"""Backup of a live workspace into one archive file: the database and the files the database points at.

A backup is a zip file: ``manifest.json`` (format, bizpilot version, schema revision, when, which database, the
source workspace, row counts of every table, size and SHA-256 of every file), ``database/bizpilot.sqlite`` (a
SQLite snapshot taken with SQLite's online backup API, so a running server keeps writing) or
``database/pg.dump`` (``pg_dump --format=custom`` of a PostgreSQL workspace), and ``files/<dir>/...``: the saved
models, reports (import rejects) and uploaded files. The embeddings cache and logs are left out (recomputed and
operational), as are packaged LLM weights that are assembled into ``models/`` on first use (``*.gguf``).

Files and database are taken as one consistent point: the model files are copied first, the database is
snapshotted, and the copy is repeated when a model file changed meanwhile (a training finished), so the archive
never pairs a model file with a database that does not know its run. This is a job: it takes an engine and reads
in transactions of its own (see ``tests/services/test_unit_of_work.py``); ``services/restore.py`` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from bizpilot import __version__
from bizpilot.db.base import Base
from bizpilot.errors import ConfigError, ValidationFailed

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/bizpilot.sqlite"
PG_MEMBER = "database/pg.dump"
FILE_DIRS = ("models", "reports", "uploads")  # under the workspace home; what the database refers to
SKIPPED_SUFFIXES = (".tmp", ".partial", ".gguf")  # half-written files, packaged LLM weights (re-assembled)
SNAPSHOT_ATTEMPTS = 5
CHUNK = 1 << 20
# Already-compressed files are stored as they are; deflating them again costs time and saves nothing.
STORED_SUFFIXES = (".npz", ".gz", ".zip", ".xlsx", ".parquet", ".png", ".jpg")


@dataclass
class BackupResult:
    """What ``create_backup`` wrote."""

    path: str
    database: str
    revision: str | None
    size_bytes: int
    seconds: float
    files: int
    tables: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def database_kind(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``; another database has no backup here."""
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise ConfigError(f"backup supports SQLite and PostgreSQL workspaces, not {name}")
    return name


def workspace_files(home: Path) -> list[Path]:
    """The files of the workspace that a backup carries (relative to ``home``), in a stable order."""
    found = []
    for name in FILE_DIRS:
        root = home / name
        if root.is_dir():
            found.extend(p.relative_to(home) for p in root.rglob("*")
                         if p.is_file() and not p.is_symlink() and not p.name.endswith(SKIPPED_SUFFIXES))
    return sorted(found)


def _stamps(home: Path, files: list[Path]) -> dict[str, tuple[int, int] | None]:
    out: dict[str, tuple[int, int] | None] = {}
    for rel in files:
        try:
            stat = (home / rel).stat()
            out[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            out[rel.as_posix()] = None
    return out


def _copy_files(home: Path, stage: Path) -> tuple[list[Path], dict[str, tuple[int, int] | None]]:
    """Copy the workspace files into ``stage/files`` and return them with their (size, mtime) before the copy; a
    file removed meanwhile is skipped."""
    files = workspace_files(home)
    stamps = _stamps(home, files)
    shutil.rmtree(stage / "files", ignore_errors=True)
    copied = []
    for rel in files:
        target = stage / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(home / rel, target)
        except FileNotFoundError:
            continue
        copied.append(rel)
    return copied, stamps


def _sqlite_snapshot(engine: Engine, target: Path) -> None:
    """A consistent copy of the live SQLite database by the online backup API, in one step: one read transaction,
    so (in WAL mode) writers go on meanwhile and the copy is the database as of one commit."""
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise ConfigError("an in-memory SQLite database has no backup")
    src = sqlite3.connect(source_path, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def pg_command(engine: Engine, program: str) -> tuple[list[str], dict[str, str]]:
    """``program`` (pg_dump, pg_restore) with the connection of ``engine``; the password goes in the environment,
    never on the command line (where `ps` shows it)."""
    path = shutil.which(program)
    if path is None:
        raise ConfigError(f"{program} is not installed; a PostgreSQL workspace is backed up and restored with the "
                          "PostgreSQL client tools (Debian: apt-get install postgresql-client)")
    url = engine.url
    args = [path, "--no-password"]
    for flag, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args += [flag, str(value)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args + ["--dbname", str(url.database)], env


def _pg_dump(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    """``pg_dump`` in its custom format (no owners or grants, so it restores into a database of another role), run
    on a snapshot exported by a repeatable-read transaction that also reads the revision and the row counts: the
    dump and the manifest describe the same instant while writers go on."""
    args, env = pg_command(engine, "pg_dump")
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, tables = _revision_and_counts(conn)
            done = subprocess.run([*args, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                   "--file", str(target)], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return revision, tables


def _revision_and_counts(conn: Connection) -> tuple[str | None, dict[str, int]]:
    from sqlalchemy import inspect

    present = set(inspect(conn).get_table_names())
    revision = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in present else None)
    return revision, {name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                      for name, table in sorted(Base.metadata.tables.items()) if name in present}


def snapshot_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table of the data model that the database has."""
    with engine.connect() as conn:
        return _revision_and_counts(conn)[1]


def _sqlite_info(database: Path) -> tuple[str | None, dict[str, int]]:
    """Schema revision and row counts, read from the SQLite snapshot itself."""
    from sqlalchemy import create_engine

    snap = create_engine(f"sqlite:///{database}")
    try:
        with snap.connect() as conn:
            return _revision_and_counts(conn)
    finally:
        snap.dispose()


class ConflictRetry(ValidationFailed):
    """The workspace did not hold still long enough for a consistent backup."""


def _take_snapshot(kind: str, engine: Engine, home: Path,
                   stage: Path) -> tuple[Path, list[Path], str | None, dict[str, int]]:
    """Files and database as of one point (see the module docstring), with the database's revision and counts."""
    database = stage / (SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER)
    database.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(SNAPSHOT_ATTEMPTS):
        files, before = _copy_files(home, stage)
        database.unlink(missing_ok=True)
        if kind == "sqlite":
            _sqlite_snapshot(engine, database)
            revision, tables = _sqlite_info(database)
        else:
            revision, tables = _pg_dump(engine, database)
        if _stamps(home, workspace_files(home)) == before:
            return database, files, revision, tables
    raise ConflictRetry(f"the workspace's files kept changing during {SNAPSHOT_ATTEMPTS} attempts (models being "
                        "trained); try again when training has finished")


def _write_archive(target: Path, stage: Path, members: list[str], manifest: dict[str, Any]) -> None:
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False), zipfile.ZIP_DEFLATED)
        for name in members:
            method = zipfile.ZIP_STORED if name.endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            archive.write(stage / name, name, compress_type=method, compresslevel=1)
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)


def create_backup(*, engine: Engine, home: Path, target: Path) -> BackupResult:
    """Write a backup of the workspace at ``home`` (database ``engine``) to ``target`` (written atomically: a
    file that exists is complete)."""
    started = time.perf_counter()
    kind = database_kind(engine)
    home, target = home.resolve(), target.resolve()
    if any(target.is_relative_to(home / name) for name in FILE_DIRS):
        raise ValidationFailed(f"write the backup outside the workspace's {', '.join(FILE_DIRS)} folders",
                               details=[{"field": "file", "reason": "inside the workspace"}])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bizpilot-backup-", dir=target.parent) as tmp:
        stage = Path(tmp)
        database, files, revision, tables = _take_snapshot(kind, engine, home, stage)
        members = [database.relative_to(stage).as_posix(), *(f"files/{rel.as_posix()}" for rel in files)]
        manifest = {
            "format": FORMAT, "bizpilot": __version__, "created_at": datetime.now(UTC).isoformat(),
            "database": kind, "revision": revision, "home": str(home), "tables": tables,
            "files": [{"path": name, "size": (stage / name).stat().st_size, "sha256": sha256_file(stage / name)}
                      for name in members],
        }
        _write_archive(target, stage, members, manifest)
    return BackupResult(path=str(target), database=kind, revision=revision, size_bytes=target.stat().st_size,
                        seconds=round(time.perf_counter() - started, 3), files=len(files), tables=tables)


__all__ = ["FORMAT", "MANIFEST", "BackupResult", "create_backup", "database_kind", "pg_command", "sha256_file",
           "snapshot_counts", "workspace_files"]
