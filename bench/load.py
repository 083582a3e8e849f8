"""A bounded load test of the REST API on loopback: requests/s, p50/p95/p99 and errors per route.

    BIZPILOT_HOME=ws .venv/bin/python bench/load.py [--workers 1 2] [--clients 50] [--requests 1000]
        [--duration 20] [--database-url postgresql+psycopg://...] [--out bench/load.md] [--append --title T]

Build the workspace once (`BIZPILOT_HOME=ws bizpilot demo --build-only`: the demo business with its models
trained) and reuse it. For each ``--workers`` count this starts the app under uvicorn (``--factory
bizpilot.app:create_app --workers N``; ``bizpilot serve`` runs one process), creates an API key in the workspace,
warms every route up (models load on their first read in each worker) and then drives each route on its own with
``--clients`` concurrent clients (a small asyncio + httpx client in this process) until ``--requests`` requests
are answered or ``--duration`` seconds have passed, whichever comes first. The read routes are the accounts list
and detail, next-best products for an account, the account's intelligence profile and the demand forecasts;
ids rotate over the workspace's accounts. The assistant (``POST /assistant/ask``, one turn with retrieval and the
configured LLM backend) runs with ``--assistant-clients`` clients and ``--assistant-requests`` requests. A last
``mixed`` scenario runs the read routes together while assistant clients ask, to show that per-request work on
one route does not hold up the others.

An error is any answer other than 2xx, or no answer within ``--timeout`` seconds. Prints a table per run and
writes Markdown to ``--out`` (``--append`` adds a section under ``--title`` instead of replacing the file), with
the load average at the start of each measurement: the machine is shared, so the figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
QUESTIONS = (
    "What is your return policy for damaged goods?",
    "When will my last order arrive?",
    "How do I change the delivery address of an order?",
    "你们的退货政策是什么？",
    "Do you offer volume discounts for wholesale orders?",
    "我的订单什么时候发货？",
)


@dataclass
class Route:
    """One thing to request: a name for the table and a function giving the i-th request (method, path, json)."""

    name: str
    make: Any
    read: bool = True


@dataclass
class Result:
    route: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def count(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def pct(self, q: float) -> float | None:
        """Nearest-rank percentile of the answered requests' latencies, in ms."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]

    def row(self) -> dict[str, Any]:
        return {"route": self.route, "clients": self.clients, "requests": self.count,
                "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                "rps": round(self.count / self.elapsed, 1) if self.elapsed else 0.0,
                "p50_ms": _r(self.pct(0.50)), "p95_ms": _r(self.pct(0.95)), "p99_ms": _r(self.pct(0.99)),
                "max_ms": _r(1000 * max(self.latencies)) if self.latencies else None,
                "seconds": round(self.elapsed, 1), "loadavg": [round(x, 2) for x in self.loadavg]}


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


# --- the server ---------------------------------------------------------------------------------------------------

def _env(database_url: str | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the server runs the code of this checkout
    if database_url:
        env["BIZPILOT_DATABASE_URL"] = database_url
    return env


def create_key(env: dict[str, str]) -> str:
    """A write key (the assistant's ask is a POST) in the workspace, through the CLI as a person would."""
    name = f"load-{os.getpid()}-{int(time.time())}"
    out = subprocess.run([sys.executable, "-m", "bizpilot.cli.main", "keys", "create", "--name", name, "--role",
                          "write", "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["key"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "bizpilot.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{API}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("server did not answer /health within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's own process group (uvicorn and its workers), nothing else."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the client ---------------------------------------------------------------------------------------------------

def routes(client: httpx.Client) -> list[Route]:
    """The routes under test, with ids from the workspace's accounts (those with orders first)."""
    page = client.get(f"{API}/accounts", params={"limit": 200}).raise_for_status().json()
    items = page["items"] if isinstance(page, dict) else page
    accounts = [(a["id"], a.get("external_id") or str(a["id"])) for a in items]
    if not accounts:
        raise SystemExit("the workspace has no accounts: build it with `bizpilot demo --build-only`")

    def pick(i: int) -> tuple[int, str]:
        return accounts[i % len(accounts)]

    return [
        Route("GET /accounts?limit=50", lambda i: ("GET", f"{API}/accounts", {"limit": 50, "offset": (i % 4) * 50},
                                                   None)),
        Route("GET /accounts/{id}", lambda i: ("GET", f"{API}/accounts/{pick(i)[0]}", None, None)),
        Route("GET /recommend/accounts/{ref}", lambda i: ("GET", f"{API}/recommend/accounts/{pick(i)[1]}", None,
                                                          None)),
        Route("GET /intelligence/accounts/{id}/profile",
              lambda i: ("GET", f"{API}/intelligence/accounts/{pick(i)[0]}/profile", None, None)),
        Route("GET /intelligence/forecasts", lambda i: ("GET", f"{API}/intelligence/forecasts", {"top": 20}, None)),
        Route("POST /assistant/ask", lambda i: ("POST", f"{API}/assistant/ask", None, {
            "question": QUESTIONS[i % len(QUESTIONS)], "account_id": pick(i)[1]}), read=False),
    ]


async def drive(base: str, key: str, plan: list[tuple[Route, int, int]], duration: float,
                timeout: float) -> list[Result]:
    """Run every (route, clients, requests) of ``plan`` at once; each stops at its request count or the duration."""
    limits = httpx.Limits(max_connections=sum(c for _, c, _ in plan) + 4, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=timeout) as client:
        loadavg = os.getloadavg()
        results = [Result(route.name, clients, loadavg=loadavg) for route, clients, _ in plan]
        start = time.perf_counter()

        async def one_route(route: Route, clients: int, total: int, result: Result) -> None:
            counter = itertools.count()

            async def worker() -> None:
                while time.perf_counter() - start < duration:
                    i = next(counter)
                    if i >= total:
                        return
                    method, path, params, body = route.make(i)
                    t0 = time.perf_counter()
                    try:
                        resp = await client.request(method, path, params=params, json=body)
                        await resp.aread()
                    except httpx.TimeoutException:
                        result.errors["timeout"] += 1
                        continue
                    except httpx.HTTPError as exc:
                        result.errors[type(exc).__name__] += 1
                        continue
                    if 200 <= resp.status_code < 300:
                        result.latencies.append(time.perf_counter() - t0)
                    else:
                        result.errors[str(resp.status_code)] += 1

            await asyncio.gather(*(worker() for _ in range(clients)))
            result.elapsed = time.perf_counter() - start

        await asyncio.gather(*(one_route(r, c, n, res) for (r, c, n), res in zip(plan, results, strict=True)))
    return results


def warm_up(client: httpx.Client, all_routes: list[Route], workers: int) -> dict[str, str]:
    """A few sequential requests per route so each worker has loaded its models; the first status of each."""
    seen: dict[str, str] = {}
    for route in all_routes:
        for i in range(3 * workers):
            method, path, params, body = route.make(i)
            try:
                resp = client.request(method, path, params=params, json=body, timeout=120)
                seen.setdefault(route.name, str(resp.status_code))
            except httpx.HTTPError as exc:
                seen.setdefault(route.name, type(exc).__name__)
    return seen


def run_config(args: argparse.Namespace, workers: int, database: str) -> dict[str, Any]:
    env = _env(args.database_url if database == "postgresql" else None)
    key = create_key(env)
    port = free_port()
    proc = start_server(env, workers, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as sync:
            all_routes = routes(sync)
            warm = warm_up(sync, all_routes, workers)
        reads = [r for r in all_routes if r.read]
        assistant = [r for r in all_routes if not r.read]
        results: list[Result] = []
        for route in reads:
            results += asyncio.run(drive(base, key, [(route, args.clients, args.requests)], args.duration,
                                         args.timeout))
            _print(results[-1], database, workers)
        for route in assistant:
            results += asyncio.run(drive(base, key, [(route, args.assistant_clients, args.assistant_requests)],
                                         args.duration, args.timeout))
            _print(results[-1], database, workers)
        if args.mixed:
            per_route = max(1, args.clients // len(reads))
            plan = [(r, per_route, args.requests) for r in reads]
            plan += [(r, args.assistant_clients, args.assistant_requests) for r in assistant]
            mixed = asyncio.run(drive(base, key, plan, args.duration, args.timeout))
            for res in mixed:
                res.route = f"mixed: {res.route}"
                _print(res, database, workers)
            results += mixed
    finally:
        stop_server(proc)
    return {"database": database, "workers": workers, "warm_up": warm, "results": [r.row() for r in results]}


def _print(res: Result, database: str, workers: int) -> None:
    row = res.row()
    print(f"{database:10} w={workers} {row['route']:48} c={row['clients']:3} n={row['requests']:5} "
          f"err={row['errors']:4} {row['rps']:7.1f} req/s  p50={row['p50_ms']}  p95={row['p95_ms']}  "
          f"p99={row['p99_ms']} ms  load={row['loadavg'][0]}", file=sys.stderr, flush=True)


# --- the report ---------------------------------------------------------------------------------------------------

def markdown(args: argparse.Namespace, runs: list[dict[str, Any]], title: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = [f"## {title}", "",
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, {platform.python_implementation()} "
             f"{platform.python_version()}, {os.cpu_count()} CPUs; client and server on the same machine. "
             f"Read routes: {args.clients} concurrent clients, {args.requests} requests or {args.duration:g} s "
             f"per route, whichever first; assistant: {args.assistant_clients} clients, {args.assistant_requests} "
             f"requests. Timeout {args.timeout:g} s. Load average (1/5/15 min) at the start of each measurement: "
             "the machine is shared with other test runs, so the figures are noisy.", ""]
    for run in runs:
        lines += [f"### {run['database']}, {run['workers']} worker{'s' if run['workers'] > 1 else ''}", "",
                  "| route | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | load avg |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for row in run["results"]:
            kinds = ", ".join(f"{k}×{v}" for k, v in sorted(row["error_kinds"].items()))
            lines.append(f"| {row['route']} | {row['clients']} | {row['requests']} | {row['errors']}"
                         f"{f' ({kinds})' if kinds else ''} | {row['rps']} | {row['p50_ms']} | {row['p95_ms']} | "
                         f"{row['p99_ms']} | {row['max_ms']} | {' / '.join(str(x) for x in row['loadavg'])} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000, help="per read route")
    parser.add_argument("--duration", type=float, default=20.0, help="cap per measurement, seconds")
    parser.add_argument("--assistant-clients", type=int, default=4)
    parser.add_argument("--assistant-requests", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--no-mixed", dest="mixed", action="store_false")
    parser.add_argument("--database-url", default=None,
                        help="also run against this PostgreSQL workspace (BIZPILOT_HOME still holds its models)")
    parser.add_argument("--postgres-home", default=None, help="BIZPILOT_HOME of the PostgreSQL workspace")
    parser.add_argument("--only-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "load.md")
    parser.add_argument("--append", action="store_true", help="add a section to --out instead of replacing it")
    parser.add_argument("--title", default="Load test")
    parser.add_argument("--json", action="store_true", help="also print one JSON object on stdout")
    args = parser.parse_args()
    if not os.environ.get("BIZPILOT_HOME"):
        raise SystemExit("set BIZPILOT_HOME to a built workspace (bizpilot demo --build-only)")

    runs = []
    databases = ([] if args.only_postgres else ["sqlite"]) + (["postgresql"] if args.database_url else [])
    for database in databases:
        home = os.environ["BIZPILOT_HOME"]
        if database == "postgresql" and args.postgres_home:
            os.environ["BIZPILOT_HOME"] = args.postgres_home
        try:
            for workers in args.workers:
                runs.append(run_config(args, workers, database))
        finally:
            os.environ["BIZPILOT_HOME"] = home
    text = markdown(args, runs, args.title)
    if args.append and args.out.exists():
        args.out.write_text(args.out.read_text() + "\n" + text)
    else:
        args.out.write_text("# Load test of the REST API (bench/load.py)\n\n" + text)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(runs))


if __name__ == "__main__":
    main()
