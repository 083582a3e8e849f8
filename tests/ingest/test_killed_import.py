"""An import killed (SIGKILL) half-way through writing leaves the database exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bizpilot.ingest.pipeline import import_file
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV, counts, write

pytestmark = pytest.mark.storage

# Runs the real import in a child process; after the orders and the first batches of order lines have been sent
# to the database (inside the transaction), the process kills itself with SIGKILL: no cleanup code runs.
CHILD = textwrap.dedent("""
    import os, signal, sys
    from bizpilot.ingest import writer
    from bizpilot.ingest.pipeline import import_file

    writer.BATCH_ROWS = 50
    real_records = writer.frame_records
    batches = {"n": 0}

    def records_then_die(frame):
        batches["n"] += 1
        if batches["n"] == 6:  # 200 orders = 4 batches written, then 1 of 12 order-line batches
            os.kill(os.getpid(), signal.SIGKILL)
        return real_records(frame)

    writer.frame_records = records_then_die
    import_file("orders", sys.argv[1])
    print("finished without being killed")
""")


def test_sigkill_mid_import_leaves_database_unchanged(engine: Engine, tmp_path: Path) -> None:
    import_file("accounts", write(tmp_path, "a.csv", ACCOUNTS_CSV), engine=engine)
    import_file("products", write(tmp_path, "p.csv", PRODUCTS_CSV), engine=engine)
    lines = ["order_id,customer_id,date,sku,qty,unit_price"]
    lines += [f"K-{i // 3},A{1 + i % 3},2024-0{1 + i % 9}-1{i % 10},P-{(1 + i % 3) * 100},{1 + i % 7},9.5"
              for i in range(600)]
    big = write(tmp_path, "orders.csv", "\n".join(lines) + "\n")
    before = counts(engine)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(big)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    assert "finished" not in proc.stdout
    assert counts(engine) == before
    # and the workspace is still usable: the same import now completes
    report = import_file("orders", big, engine=engine)
    assert report.tables["order_lines"]["inserted"] == 600
