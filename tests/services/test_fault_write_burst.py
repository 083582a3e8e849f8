"""Faults (issue 16, item 3), the third case: `bizpilot serve` killed with SIGKILL while several API clients are
creating records. Every create the server acknowledged (201) is in the database with its one audit row, no record
exists without its audit row (they commit together), the database file is sound, and the restarted workspace
serves and takes writes again. Runs on PostgreSQL too (``storage``) when CI sets BIZPILOT_DATABASE_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bizpilot.app import create_app
from tests.api.conftest import auth_headers, new_key
from tests.live_server import free_port
from tests.services.test_faults import restart_and_serve

pytestmark = pytest.mark.storage
CLIENTS = 6
KILL_AFTER = 60  # acknowledged creates before the kill: the burst is well under way, with requests in flight


def start_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "bizpilot.cli.main", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server ended (rc {proc.returncode}): "
                                 f"{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not answer within 120 s")


def burst(url: str, key: str, worker: int, acknowledged: list[str], stop: threading.Event) -> None:
    """Create accounts one after another until stopped or the server is gone; note each acknowledged name."""
    with httpx.Client(base_url=url, headers=auth_headers(key), timeout=30) as client:
        for i in range(10_000):
            if stop.is_set():
                return
            name = f"Burst {worker}-{i}"
            try:
                response = client.post("/api/v1/accounts", json={"name": name, "country": "DE"})
            except httpx.HTTPError:
                return  # the server was killed under this request: its outcome is unknown, so it is not counted
            assert response.status_code == 201, response.text
            acknowledged.append(name)


def test_a_server_killed_during_a_write_burst_keeps_every_acknowledged_write(engine: Engine, workspace: Path) -> None:
    key = new_key(engine, "write")
    port = free_port()
    proc = start_server(port)
    acknowledged: list[str] = []
    stop = threading.Event()
    threads = [threading.Thread(target=burst, args=(f"http://127.0.0.1:{port}", key, w, acknowledged, stop))
               for w in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 240
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert len(acknowledged) >= KILL_AFTER, f"only {len(acknowledged)} creates acknowledged before the deadline"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        stop.set()
        for thread in threads:
            thread.join(60)
    assert proc.returncode == -signal.SIGKILL

    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT name, id FROM accounts WHERE name LIKE 'Burst %'")).all())
        audited = dict(conn.execute(text(
            "SELECT record_id, count(*) FROM audit_log WHERE entity = 'accounts' AND action = 'create' "
            "GROUP BY record_id")).all())
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert set(acknowledged) <= set(stored)  # nothing acknowledged was lost
    assert len(stored) == len(set(stored))  # and nothing was written twice
    # At most the requests in flight at the kill may have committed without their answer reaching the client.
    assert len(stored) - len(acknowledged) <= CLIENTS
    assert {audited.get(record_id) for record_id in stored.values()} == {1}  # each record with its one audit row

    restart_and_serve(engine)  # the next start prepares the workspace and a server on it answers
    with TestClient(create_app(), headers=auth_headers(key)) as client:
        response = client.post("/api/v1/accounts", json={"name": "After the restart", "country": "DE"})
        assert response.status_code == 201, response.text
        assert client.get("/api/v1/accounts", params={"limit": 1}).json()["total"] == len(stored) + 1
