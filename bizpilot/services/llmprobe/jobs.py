""""Test connection" as a background job: reach the endpoint, then run the capability probe on it, off the request
thread (a remote probe is a handful of generations: seconds to minutes).

One worker thread per process runs the jobs in turn. Each job's state is written to ``llm_probe_jobs.json`` in the
workspace (queued, running, done or failed, with the reachability verdict and the error in words), where the
Settings page and ``bizpilot llm models`` read it; the probe result itself goes to the probe store like any probe.
A job still marked running long after it started belongs to a process that ended; it reads as interrupted.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bizpilot.errors import BizpilotError, LLMTimeout, LLMUnavailable
from bizpilot.services.llmprobe.endpoint import Endpoint, endpoint_backend
from bizpilot.services.llmprobe.store import save_result

log = logging.getLogger("bizpilot.llmprobe")
FILE_NAME = "llm_probe_jobs.json"
STALE_AFTER = timedelta(minutes=30)

_executor: ThreadPoolExecutor | None = None
_futures: dict[tuple[str, str], Future[dict[str, Any]]] = {}
_lock = threading.Lock()
_file_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _path(home: Path) -> Path:
    return home / FILE_NAME


def _read(home: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(_path(home).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(home: Path, key: str, state: dict[str, Any]) -> None:
    with _file_lock:
        jobs = _read(home)
        jobs[key] = state
        path = _path(home)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(jobs, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)


def job_state(key: str, *, home: Path) -> dict[str, Any] | None:
    """The latest test of ``key`` (an ``Endpoint.key``): state, reachable, error, started/finished, served models.
    A job left running by an ended process reads as ``interrupted``."""
    state = _read(home).get(key)
    if state is None:
        return None
    if state.get("state") in ("queued", "running"):
        started = datetime.fromisoformat(state["started"])
        if datetime.now(UTC) - started > STALE_AFTER and not _alive(home, key):
            return {**state, "state": "interrupted", "error": "the server stopped before the test finished"}
    return state


def _alive(home: Path, key: str) -> bool:
    with _lock:
        future = _futures.get((str(home), key))
    return future is not None and not future.done()


def run_endpoint_test(endpoint: Endpoint, *, home: Path) -> dict[str, Any]:
    """Reach the endpoint (a one-token call, which proves the URL, the key and the model), then probe it and store
    the result. Returns the final job state; every failure is a state with the error in words, never raised."""
    key = endpoint.key
    started = _now()
    state: dict[str, Any] = {"state": "running", "stage": "connecting", "started": started, "finished": None,
                             "reachable": None, "error": None, "served_models": None, "passed": None}
    _write(home, key, state)
    try:
        backend = endpoint_backend(endpoint)
        try:
            state["served_models"] = backend.list_models()[:20]  # type: ignore[attr-defined]
        except BizpilotError:
            state["served_models"] = None   # some gateways have no /models; the chat call below decides
        backend.check()
        state.update(reachable=True, stage="probing")
        _write(home, key, state)
        from bizpilot.services.llmprobe.probe import run_probe

        result = run_probe(backend)
        result["endpoint"] = {"base_url": endpoint.base_url, "model": endpoint.model}
        result["model"] = key
        save_result(result, home=home)
        state.update(state="done", stage=None, passed=bool(result["passed"]), score=result["score"])
    except BizpilotError as exc:
        if state["reachable"] is None:  # an answer (401, 404) proves the server is there; silence does not
            state["reachable"] = not isinstance(exc, LLMUnavailable | LLMTimeout) or state["served_models"] is not None
        state.update(state="failed", stage=None, error=exc.message)
    except Exception as exc:  # noqa: BLE001 - a job reports what went wrong instead of dying silently
        log.exception("testing %s failed", key)
        state.update(state="failed", stage=None, error=f"{type(exc).__name__}: {exc}")
    state["finished"] = _now()
    _write(home, key, state)
    return state


def _executor_instance() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bizpilot-probe")
        return _executor


def request_test(endpoint: Endpoint, *, home: Path) -> bool:
    """Queue a test of ``endpoint`` on the background worker; False when one of it is already queued or running."""
    slot = (str(home), endpoint.key)
    with _lock:
        running = _futures.get(slot)
        if running is not None and not running.done():
            return False
    _write(home, endpoint.key, {"state": "queued", "stage": None, "started": _now(), "finished": None,
                                "reachable": None, "error": None, "served_models": None, "passed": None})
    future = _executor_instance().submit(run_endpoint_test, endpoint, home=home)
    with _lock:
        _futures[slot] = future
    return True


def wait_for_tests(timeout_s: float = 60.0) -> None:
    """Block until the queued tests are done (the CLI's foreground test, and tests)."""
    with _lock:
        pending = list(_futures.values())
    for future in pending:
        future.result(timeout=timeout_s)


__all__ = ["job_state", "request_test", "run_endpoint_test", "wait_for_tests"]
