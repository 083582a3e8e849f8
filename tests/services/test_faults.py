"""Faults (issue 16, item 3): a real `bizpilot import` and `bizpilot train` killed with SIGKILL mid-way leave the
database consistent (no partial import rows, no outputs or model file of the killed run), the run is marked
interrupted at the next start instead of "running" forever, and the workspace serves again; model files are
written atomically and a damaged one is never loaded. Runs on PostgreSQL too (``storage``) when CI sets
BIZPILOT_DATABASE_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.base import utcnow
from bizpilot.domain import ImportRun
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ModelFileError, ModelNotReady
from bizpilot.services.imports import run_import
from bizpilot.services.models import access
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.registry import MODELS
from bizpilot.services.models.store import get_store
from bizpilot.services.recovery import mark_interrupted, process_token
from tests.live_server import serve_app

pytestmark = pytest.mark.storage
CLI = [sys.executable, "-m", "bizpilot.cli.main"]
DATA_TABLES = ("accounts", "products", "orders", "order_lines")


def write_retail(path: Path, lines: int, seed: int = 3) -> Path:
    """An Online Retail file: 8 lines per invoice, 1,500 customers, 1,200 products over one year."""
    rng = np.random.default_rng(seed)
    inv = np.arange(lines) // 8
    sku = rng.integers(0, 1200, lines)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta((inv * 365) // (lines // 8 + 1), unit="D")
    pd.DataFrame({"InvoiceNo": 500000 + inv, "StockCode": [f"S{s:05d}" for s in sku],
                  "Description": [f"PRODUCT NUMBER {s}" for s in sku], "Quantity": rng.integers(1, 24, lines),
                  "InvoiceDate": days.strftime("%Y-%m-%d 10:00:00"), "UnitPrice": (sku % 50 + 1) * 0.5,
                  "CustomerID": 10000 + (inv * 7919) % 1500, "Country": "United Kingdom"}).to_csv(path, index=False)
    return path


def wait_for(check: Callable[[], Any], what: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"the process ended (rc {proc.returncode}) before {what}: "
                                 f"{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def counts(engine: Engine) -> dict[str, int]:
    return {t: scalar(engine, f"SELECT count(*) FROM {t}") for t in DATA_TABLES}


def writing(engine: Engine, workspace: Path, table: str) -> Callable[[], bool]:
    """True once the import's transaction is writing rows (not only reading the file): SQLite's write-ahead log
    grows, or PostgreSQL shows an INSERT into ``table`` in progress."""
    if engine.dialect.name == "sqlite":
        wal = workspace / "bizpilot.sqlite-wal"
        return lambda: wal.exists() and wal.stat().st_size > 1_000_000
    return lambda: bool(scalar(engine, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> "
                                       "pg_backend_pid() AND query ILIKE :q", q=f"%INSERT INTO {table}%"))


def restart_and_serve(engine: Engine) -> str:
    """The next start (a CLI command prepares the workspace) and a server on it answering."""
    done = subprocess.run([*CLI, "stats", "--json"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    with serve_app(create_app(), "the restarted server") as url:
        assert httpx.get(f"{url}/api/v1/health", timeout=30).status_code == 200
    return done.stderr


def test_an_import_killed_mid_write_leaves_nothing_and_is_interrupted(engine: Engine, workspace: Path,
                                                                      tmp_path: Path) -> None:
    big = write_retail(tmp_path / "big.csv", 120_000)
    proc = subprocess.Popen([*CLI, "import", "online-retail", str(big)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        run_id = wait_for(lambda: scalar(engine, "SELECT id FROM import_runs WHERE status = 'running'"),
                          "the import run started", proc)
        wait_for(writing(engine, workspace, "order_lines"), "the import writing rows", proc)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL
    assert scalar(engine, "SELECT status FROM import_runs WHERE id = :i", i=run_id) == "running"
    assert counts(engine) == dict.fromkeys(DATA_TABLES, 0)  # the transaction never committed: nothing partial
    stderr = restart_and_serve(engine)
    assert "interrupted runs" in stderr and f"import runs [{run_id}]" in stderr
    with Session(engine) as session:
        run = session.get(ImportRun, run_id)
        assert run is not None and run.status == "interrupted" and run.finished_at is not None
        assert run.message == f"interrupted: its process (pid {proc.pid}) ended before it finished"
    small = write_retail(tmp_path / "small.csv", 800)
    assert run_import(engine=engine, entity="online-retail", path=small).rows_read == 800  # imports work again
    assert counts(engine)["order_lines"] == 800


def test_a_training_killed_mid_way_is_interrupted_and_leaves_no_model(engine: Engine, workspace: Path,
                                                                      tmp_path: Path) -> None:
    run_import(engine=engine, entity="online-retail", path=write_retail(tmp_path / "orders.csv", 40_000))
    proc = subprocess.Popen([*CLI, "train", "recommend"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        run_id = wait_for(lambda: scalar(engine, "SELECT id FROM model_runs WHERE task = 'recommend' AND status = "
                                                 "'running'"), "the training started", proc)
        time.sleep(1.0)
        assert proc.poll() is None, "the training ended before it could be killed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
    spec = MODELS["recommend"]
    assert not get_store().exists(spec)  # no model file, and no half of one
    assert list((workspace / "models").glob("*recommend*")) == [] or all(
        p.name.endswith(".tmp") for p in (workspace / "models").glob("*recommend*"))
    assert scalar(engine, "SELECT count(*) FROM model_outputs WHERE run_id = :i", i=run_id) == 0
    with Session(engine) as session:
        assert access.model_state(session=session, spec=spec).state == "training"  # what it looks like before
    stderr = restart_and_serve(engine)
    assert f"model runs [{run_id}]" in stderr
    assert list((workspace / "models").glob(".*.tmp")) == []  # the killed writer's temp file is gone
    with Session(engine) as session:
        run = session.get(ModelRun, run_id)
        assert run is not None and run.status == "interrupted" and run.progress is None
        assert access.model_state(session=session, spec=spec).state == "missing"  # trainable again, not "training"


def test_mark_interrupted_judges_each_run_by_its_process(engine: Engine) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = process_token().rsplit(":", 2)[0]
    tokens = {"mine": process_token(), "gone": f"{host}:{gone.pid}:", "other-host": "elsewhere:1:1",
              "legacy": None, "reused-pid": f"{host}:{os.getpid()}:1"}
    with Session(engine) as session:
        ids = {}
        for name, token in tokens.items():
            run = ModelRun(task=name, model_name=name, status="running", process=token, started_at=utcnow())
            imp = ImportRun(entity="accounts", source=name, status="running", process=token, counts={})
            session.add_all([run, imp])
            session.flush()
            ids[name] = (run.id, imp.id)
        found = mark_interrupted(session=session)
        session.commit()
        interrupted = {"gone", "legacy", "reused-pid"}
        assert sorted(found.model_runs) == sorted(ids[n][0] for n in interrupted)
        assert sorted(found.import_runs) == sorted(ids[n][1] for n in interrupted)
        for name, (run_id, imp_id) in ids.items():
            want = "interrupted" if name in interrupted else "running"
            assert (session.get(ModelRun, run_id).status, session.get(ImportRun, imp_id).status) == (want, want)


def test_a_damaged_model_file_is_never_loaded(engine: Engine, workspace: Path, tmp_path: Path) -> None:
    run_import(engine=engine, entity="online-retail", path=write_retail(tmp_path / "orders.csv", 2_000))
    spec = MODELS["segments"]
    assert run_training(spec, engine=engine, trigger="test").status == "finished"
    path = get_store().path(spec)
    assert path is not None and [p.name for p in path.parent.iterdir()] == ["segments.npz"]  # no temp file left
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # what a non-atomic writer killed mid-way would leave
    get_store().forget()
    with pytest.raises(ModelFileError, match="is not a bizpilot model file or is damaged"):
        get_store().load(spec)
    with Session(engine) as session, pytest.raises(ModelNotReady, match="model file does not load"):
        access.load_model(session=session, spec=spec)
