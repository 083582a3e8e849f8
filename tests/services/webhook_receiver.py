"""A real webhook receiver on loopback for the tests: an ``http.server`` thread that checks each POST's signature
with its own HMAC code (not bizpilot's), records what it got, and answers with the statuses the test queues
(200 when none is queued; 401 for a bad signature, whatever is queued)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body.decode("utf-8"))


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.statuses: deque[int] = deque()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.got = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def check(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("x-bizpilot-timestamp", "")
        expected = "sha256=" + hmac.new((self.secret or "").encode(), f"{timestamp}.".encode() + body,
                                        hashlib.sha256).hexdigest()
        return bool(self.secret) and hmac.compare_digest(expected, headers.get("x-bizpilot-signature", ""))

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            ok = self.check(headers, body)
            status = (self.statuses.popleft() if self.statuses else 200) if ok else 401
            self.received.append(Received(headers, body, ok, status))
        self.got.set()
        return status


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            answer = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a receiver that is down)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    server.server_close()
    return f"http://{host}:{port}/down"
