"""Backup and restore (issue 16, item 6): a round trip brings back every table (row counts and content) and every
model, report and upload file (bytes), also for a backup taken while another thread writes; a non-empty workspace
is refused without ``force``, a damaged or newer backup is refused before anything is touched, an older one is
migrated forward. Runs on PostgreSQL too (``storage``: pg_dump/pg_restore) when CI sets BIZPILOT_DATABASE_URL."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, insert, inspect, select, text
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import reset_settings
from bizpilot.db import reset_engine, upgrade
from bizpilot.db.base import Base
from bizpilot.db.migrate import current_revision, head_revision
from bizpilot.domain import Account
from bizpilot.errors import ConflictError, ValidationFailed
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.backup import FILE_DIRS, MANIFEST, create_backup
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.registry import MODELS
from bizpilot.services.restore import restore_backup

from .recommend_data import seed_recommend_workspace

pytestmark = pytest.mark.storage
NOTE = text("INSERT INTO interactions (external_id, channel, direction, account_id, subject, occurred_at) "
            "VALUES (:s, 'note', 'inbound', :a, :s, CURRENT_TIMESTAMP)")
runner = CliRunner()


def _norm(value: Any, home: Path) -> Any:
    """Paths into the workspace compare equal between source and restored workspace."""
    return value.replace(str(home), "<home>") if isinstance(value, str) else value


def contents(engine: Engine, home: Path) -> tuple[dict[str, list[tuple]], dict[str, bytes]]:
    """Every row of every table (sorted) and every carried file's bytes."""
    present = set(inspect(engine).get_table_names())
    tables = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in present:
                rows = [tuple(_norm(v, home) for v in row) for row in conn.execute(select(table))]
                tables[name] = sorted(rows, key=repr)
    files = {p.relative_to(home).as_posix(): p.read_bytes()
             for d in FILE_DIRS if (home / d).is_dir() for p in sorted((home / d).rglob("*")) if p.is_file()}
    return tables, files


@pytest.fixture
def source(engine: Engine, workspace: Path) -> Path:
    """A workspace with orders, two trained models, a rejects report and an upload."""
    seed_recommend_workspace(engine, train=False)
    bad = pd.DataFrame([{"external_id": "X1", "name": "Good Co"}, {"external_id": "X2", "name": ""}])
    report = import_frame("accounts", bad, source="test.csv", engine=engine)
    assert report.rejected == 1 and report.rejects_path is not None
    for name in ("segments", "recommend"):
        assert run_training(MODELS[name], engine=engine, trigger="test").status == "finished"
    (workspace / "uploads").mkdir(exist_ok=True)
    (workspace / "uploads" / "20250101-accounts.csv").write_text("name\nÜber GmbH\n", encoding="utf-8")
    return workspace


def target(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    """An empty workspace to restore into: a fresh SQLite file, or (PostgreSQL) the same database emptied."""
    home = tmp_path / "restored"
    home.mkdir()
    if engine.dialect.name == "sqlite":
        fresh = create_engine(f"sqlite:///{home / 'bizpilot.sqlite'}")
        upgrade(fresh)  # what `bizpilot init` leaves: migrated, no rows
        return fresh, home
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine, home


def test_round_trip_brings_back_every_table_and_file(engine: Engine, source: Path, tmp_path: Path) -> None:
    before = contents(engine, source)
    assert {"models/segments.npz", "models/recommend.npz", "uploads/20250101-accounts.csv"} <= set(before[1])
    assert any(name.startswith("reports/") for name in before[1])
    result = create_backup(engine=engine, home=source, target=tmp_path / "b.zip")
    assert result.revision == head_revision(engine) and result.files == len(before[1])
    assert result.tables["accounts"] == len(before[0]["accounts"]) == 22
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        manifest = json.loads(archive.read(MANIFEST))
    assert manifest["database"] == engine.dialect.name and manifest["home"] == str(source.resolve())
    assert {e["path"] for e in manifest["files"]} >= {"files/models/segments.npz", "files/models/recommend.npz"}
    assert all(len(e["sha256"]) == 64 for e in manifest["files"])

    restored_engine, home = target(engine, tmp_path)
    done = restore_backup(engine=restored_engine, home=home, source=tmp_path / "b.zip")
    assert not done.migrated and done.files == len(before[1])
    after = contents(restored_engine, home)
    assert after[0] == before[0]  # every table, every row, every value (workspace paths moved)
    assert after[1] == before[1]  # every model, report and upload, byte for byte
    with restored_engine.connect() as conn:
        artifact = conn.execute(text("SELECT artifact_path FROM model_runs WHERE task = 'segments'")).scalar_one()
    assert artifact == str(home.resolve() / "models" / "segments.npz")


def test_backup_while_another_thread_writes(engine: Engine, source: Path, tmp_path: Path) -> None:
    """Each write is one transaction adding an account and its interaction: the backup holds a complete prefix
    of the writes (no half transaction, no gap), and the writer never failed on a lock."""
    stop, written, errors = threading.Event(), [0], []
    started = threading.Event()

    def writer() -> None:
        try:
            while not stop.is_set():
                n = written[0]
                with engine.begin() as conn:
                    acc = conn.execute(insert(Account).values(external_id=f"W{n:05d}", name=f"Writer {n}")
                                       .returning(Account.id)).scalar_one()
                    conn.execute(NOTE, {"a": acc, "s": f"W{n:05d}"})
                written[0] = n + 1
                if n >= 20:
                    started.set()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(60)
        create_backup(engine=engine, home=source, target=tmp_path / "live.zip")
        during = written[0]
    finally:
        stop.set()
        thread.join(60)
    assert errors == []
    restored_engine, home = target(engine, tmp_path)
    restore_backup(engine=restored_engine, home=home, source=tmp_path / "live.zip")
    with restored_engine.connect() as conn:
        ids = sorted(conn.execute(text("SELECT external_id FROM accounts WHERE external_id LIKE 'W%'")).scalars())
        notes = sorted(conn.execute(text("SELECT subject FROM interactions WHERE subject LIKE 'W%'")).scalars())
    assert len(ids) >= 21 and len(ids) <= during
    assert ids == [f"W{n:05d}" for n in range(len(ids))] == notes


def test_a_workspace_with_data_is_refused_without_force(engine: Engine, source: Path, tmp_path: Path) -> None:
    create_backup(engine=engine, home=source, target=tmp_path / "b.zip")
    before = contents(engine, source)
    with pytest.raises(ConflictError, match="not empty") as caught:
        restore_backup(engine=engine, home=source, source=tmp_path / "b.zip")
    assert "accounts: 22 rows" in caught.value.message and "models/: 2 files" in caught.value.message
    with engine.begin() as conn:  # a change made after the backup...
        conn.execute(text("UPDATE accounts SET name = 'changed' WHERE external_id = 'X1'"))
    (source / "models" / "extra.npz").write_bytes(b"not from the backup")
    restore_backup(engine=engine, home=source, source=tmp_path / "b.zip", force=True)
    assert contents(engine, source) == before  # ...is replaced by the backup, files included


def _rewrite(archive: Path, out: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change.get(info.filename, src.read(info.filename)))


def test_damaged_or_newer_backups_are_refused_before_anything_changes(engine: Engine, source: Path,
                                                                        tmp_path: Path) -> None:
    create_backup(engine=engine, home=source, target=tmp_path / "b.zip")
    restored_engine, home = target(engine, tmp_path)
    _rewrite(tmp_path / "b.zip", tmp_path / "altered.zip", {"files/models/segments.npz": b"PK\x03\x04 corrupt"})
    with pytest.raises(ValidationFailed, match="segments.npz does not match its checksum"):
        restore_backup(engine=restored_engine, home=home, source=tmp_path / "altered.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        manifest = json.loads(archive.read(MANIFEST))
    _rewrite(tmp_path / "b.zip", tmp_path / "newer.zip",
             {MANIFEST: json.dumps({**manifest, "revision": "9999"}).encode()})
    with pytest.raises(ValidationFailed, match="schema revision 9999 is newer than this bizpilot"):
        restore_backup(engine=restored_engine, home=home, source=tmp_path / "newer.zip")
    (tmp_path / "cut.zip").write_bytes((tmp_path / "b.zip").read_bytes()[:5000])
    with pytest.raises(ValidationFailed, match="not a usable bizpilot backup"):
        restore_backup(engine=restored_engine, home=home, source=tmp_path / "cut.zip")
    tables, files = contents(restored_engine, home)
    assert files == {} and all(rows == [] for rows in tables.values())  # nothing was written


def test_an_older_backup_is_migrated_forward(tmp_path: Path) -> None:
    old_home = tmp_path / "old"
    (old_home / "models").mkdir(parents=True)
    old = create_engine(f"sqlite:///{old_home / 'bizpilot.sqlite'}")
    upgrade(old, "0005")
    with old.begin() as conn:
        conn.execute(text("INSERT INTO accounts (id, external_id, name, created_at) VALUES (7, 'OLD', 'Old Co', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO orders (external_id, account_id, is_guest, kind, status, ordered_at, "
                          "created_at) VALUES ('O1', 7, 0, 'order', 'complete', CURRENT_TIMESTAMP, "
                          "CURRENT_TIMESTAMP)"))
    create_backup(engine=old, home=old_home, target=tmp_path / "old.zip")
    new_home = tmp_path / "new"
    new = create_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    done = restore_backup(engine=new, home=new_home, source=tmp_path / "old.zip")
    assert done.migrated and done.backup_revision == "0005" and current_revision(new) == head_revision(new)
    with new.connect() as conn:
        assert conn.execute(text("SELECT name FROM accounts WHERE external_id = 'OLD'")).scalar_one() == "Old Co"
        # the migrations rebuild `accounts` on SQLite: its orders keep their account (foreign keys off meanwhile)
        assert conn.execute(text("SELECT account_id FROM orders WHERE external_id = 'O1'")).scalar_one() == 7
    old.dispose()
    new.dispose()


def test_cli_backup_and_restore(engine: Engine, source: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the CLI round trip into a second workspace needs a second database (SQLite file)")
    out = runner.invoke(app, ["backup", str(tmp_path / "cli.zip"), "--json"])
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    assert made["path"] == str(tmp_path / "cli.zip") and made["tables"]["accounts"] == 22
    monkeypatch.setenv("BIZPILOT_HOME", str(tmp_path / "cli-ws"))
    reset_settings()
    reset_engine()
    out = runner.invoke(app, ["restore", str(tmp_path / "cli.zip"), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["tables"] == made["tables"]
    out = runner.invoke(app, ["restore", str(tmp_path / "cli.zip")])
    assert out.exit_code == 2 and "not empty" in out.stderr and "--force" in out.stderr
