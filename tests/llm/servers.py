"""Real servers on loopback for the openai backend: llama-cpp-python's own OpenAI-compatible server (a subprocess
serving the bundled model) and a small recording proxy in front of it, so tests can read exactly what left the
process (bodies and headers) and make the endpoint fail on purpose (HTTP 503, 401) without a fake backend."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.live_server import free_port, serve_app

MODEL_ALIAS = "smollm2"
# `python -m llama_cpp.server`, plus a watchdog thread that ends the server when the test process is gone (a
# killed pytest run must not leave a model server running).
_WATCHDOG = """
import os, runpy, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


@contextmanager
def llama_server(model_path: Path, *, threads: int, ready_timeout_s: float = 90.0) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL (``.../v1``), stops it after."""
    port = free_port()
    cmd = [sys.executable, "-c", _WATCHDOG, "--model", str(model_path), "--model_alias", MODEL_ALIAS,
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_threads_batch",
           str(threads), "--n_ctx", "2048", "--verbose", "False"]
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bizpilot-llama-server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}: "
                                   f"{log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server not ready after {ready_timeout_s} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log_path.unlink(missing_ok=True)


class RecordingProxy:
    """Forwards every request to ``upstream`` (streaming the answer back) and records what it received.

    ``fail_next(status, n)`` makes the next ``n`` requests fail with that status before reaching upstream.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[dict[str, Any]] = []
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    def fail_next(self, status: int, n: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, headers or {})] * n)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.requests.append({"method": request.method, "path": request.url.path,
                                  "headers": dict(request.headers), "body": body.decode("utf-8", "replace")})
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, headers = failure
            return JSONResponse({"error": {"message": f"injected HTTP {status}", "type": "test"}},
                                status_code=status, headers=headers)
        client = httpx.AsyncClient(timeout=120)
        upstream = client.build_request(request.method, self.upstream + request.url.path.removeprefix("/v1"),
                                        content=body, headers={"content-type": "application/json"})
        answer = await client.send(upstream, stream=True)

        async def relay() -> Any:
            try:
                async for chunk in answer.aiter_raw():
                    yield chunk
            finally:
                await answer.aclose()
                await client.aclose()

        return StreamingResponse(relay(), status_code=answer.status_code,
                                 media_type=answer.headers.get("content-type", "application/json"))


@contextmanager
def serve_proxy(proxy: RecordingProxy) -> Iterator[str]:
    """Run the proxy with uvicorn in a thread; yields its base URL (``.../v1``)."""
    with serve_app(proxy.app, "recording proxy") as url:
        yield f"{url}/v1"
