"""Benchmark: import the whole UCI Online Retail file beside pandas.read_parquet of the same file.

    .venv/bin/python bench/import_online_retail.py [--data PATH] [--database-url URL]

Prints both timings and the ratio. The import does far more than the read (validation, four tables, natural-key
dedupe, one transaction), so the ratio says what all of that costs over just reading the bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "online-retail-uci" / "online_retail.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite workspace")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"dataset not found: {args.data} (see ../shared/data/README.md)")

    started = time.perf_counter()
    frame = pd.read_parquet(args.data)
    read_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as home:
        os.environ["BIZPILOT_HOME"] = home
        if args.database_url:
            os.environ["BIZPILOT_DATABASE_URL"] = args.database_url
        from bizpilot.config import reset_settings
        from bizpilot.db import get_engine, upgrade
        from bizpilot.ingest.online_retail import import_online_retail

        reset_settings()
        engine = get_engine()
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        started = time.perf_counter()
        report = import_online_retail(args.data, engine=engine)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = import_online_retail(args.data, engine=engine)
        reimport_seconds = time.perf_counter() - started
        engine.dispose()

    result = {
        "rows": len(frame), "database": engine.dialect.name,
        "pandas_read_parquet_s": round(read_seconds, 3), "bizpilot_import_s": round(import_seconds, 3),
        "ratio_import_over_read": round(import_seconds / read_seconds, 1),
        "bizpilot_reimport_noop_s": round(reimport_seconds, 3),
        "tables": report.tables, "rejected": report.rejected, "outliers_flagged": report.outliers_flagged,
        "reimport_changes": sum(t["inserted"] + t["updated"] for t in again.tables.values()),
    }
    print(f"pandas.read_parquet : {read_seconds:8.3f} s  ({len(frame):,} rows)")
    print(f"bizpilot import     : {import_seconds:8.3f} s  ({engine.dialect.name}; ratio {result['ratio_import_over_read']}x)")
    print(f"re-import (no-op)   : {reimport_seconds:8.3f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
