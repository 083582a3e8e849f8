"""A real uvicorn server on a free loopback port, in a background thread, for client and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bizpilot.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_app(app: Any, name: str) -> Iterator[str]:
    """Serve an ASGI ``app`` with uvicorn in a daemon thread on a free loopback port; yields its base URL once it
    accepts connections (``name`` says which server did not start) and stops it afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_server() -> Iterator[str]:
    """Serve the current workspace; yields the base URL and stops the server afterwards."""
    with serve_app(create_app(), "test server") as url:
        yield url
