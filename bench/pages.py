"""How long every dashboard page takes to render on a workspace, p50/p95 per page and over all of them.

    BIZPILOT_HOME=ws .venv/bin/python bench/pages.py [--repeat 5] [--accounts 20] [--json]

Pages read what training computed (run `bizpilot train all` first); this measures that they do so: every page of
the navigation, the account detail page of ``--accounts`` accounts (the biggest buyers and a sample of the rest),
the Recommendations page for the same accounts, and the Models page, each ``--repeat`` times after one warm-up
request, signed in through a one-time login link as a person would be. Prints a table on stderr and one JSON
object on stdout. A page that answers anything but 200 is reported, not timed.

To build the Online Retail workspace the issue measures:
    BIZPILOT_HOME=ws bizpilot init && BIZPILOT_HOME=ws bizpilot import online-retail online_retail.parquet
    BIZPILOT_HOME=ws bizpilot train all
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def page_paths(engine: Any, n_accounts: int) -> list[str]:
    """Every built page of the navigation, account pages and per-account recommendations."""
    from sqlalchemy import func, select

    from bizpilot.domain import Account, Order
    from bizpilot.web.pages import BUILT_PATHS, NAV

    paths = [item.path for item in NAV if item.path in BUILT_PATHS]
    with engine.connect() as conn:
        top = [a for (a,) in conn.execute(select(Order.account_id).where(Order.account_id.is_not(None))
                                          .group_by(Order.account_id).order_by(func.count().desc())
                                          .limit(max(1, n_accounts // 2)))]
        ids = [a for (a,) in conn.execute(select(Account.id).order_by(Account.id))]
        refs = dict(conn.execute(select(Account.id, Account.external_id)).all())
    step = max(1, len(ids) // max(1, n_accounts - len(top)))
    chosen = list(dict.fromkeys(top + ids[::step]))[:n_accounts]
    paths += [f"/accounts/{a}" for a in chosen]
    paths += [f"/recommendations?account={refs.get(a) or a}" for a in chosen[: max(1, n_accounts // 2)]]
    return list(dict.fromkeys(paths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="only the JSON object (no table)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from bizpilot.app import create_app
    from bizpilot.db import get_engine, session_scope
    from bizpilot.services.auth import create_login_token

    engine = get_engine()
    client = TestClient(create_app())
    with session_scope(engine) as session:
        token = create_login_token(session=session)
    client.get(f"/login/token/{token}", follow_redirects=False)
    client.get("/")  # builds the page registry (BUILT_PATHS)
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for path in page_paths(engine, args.accounts):
        status = client.get(path).status_code  # warm-up: loads models into the store's cache once
        if status != 200:
            errors[path] = status
            continue
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(path)
            times.setdefault(path, []).append(1000 * (time.perf_counter() - started))
    everything = [t for values in times.values() for t in values]
    rows = {path: {"p50_ms": round(statistics.median(v), 1), "p95_ms": round(percentile(v, 0.95), 1)}
            for path, v in times.items()}
    result = {"pages": len(times), "requests": len(everything), "repeat": args.repeat,
              "p50_ms": round(statistics.median(everything), 1) if everything else None,
              "p95_ms": round(percentile(everything, 0.95), 1) if everything else None,
              "max_ms": round(max(everything), 1) if everything else None,
              "slowest": sorted(rows.items(), key=lambda kv: -kv[1]["p95_ms"])[:5], "errors": errors,
              "per_page": rows}
    if not args.json:
        for path, row in sorted(rows.items(), key=lambda kv: -kv[1]["p95_ms"]):
            print(f"{row['p50_ms']:8.1f} {row['p95_ms']:8.1f}  {path}", file=sys.stderr)
        print(f"all pages: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms over {len(everything)} requests",
              file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
