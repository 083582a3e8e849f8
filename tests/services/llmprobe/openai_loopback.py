"""A tiny OpenAI-compatible chat server on loopback (stdlib ``http.server``): ``GET /v1/models`` and streamed
``POST /v1/chat/completions`` (server-sent events, as the openai backend asks for), answering with ``reply(body)``.
It records every request (path, headers, body) so tests can read exactly what left the process, and can answer
with an HTTP error instead (``status``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.services.llmprobe.test_probe import GOOD

MODEL = "probe-model"


def probe_answers(body: dict[str, Any]) -> str:
    """A fit answer to each capability-probe prompt (by its language and kind), else a short English text."""
    prompt = body["messages"][-1]["content"]
    zh = "中文" in prompt
    if "e-mail" in prompt or "email" in prompt or "邮件" in prompt:
        return GOOD["email_zh" if zh else "email_en"]
    if "description" in prompt or "描述" in prompt:
        return GOOD["description_zh" if zh else "description_en"]
    return "OK"


@dataclass
class Loopback:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None

    def chat_bodies(self) -> list[str]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]


@contextmanager
def openai_loopback(reply: Callable[[dict[str, Any]], str] = probe_answers,
                    status: int | None = None) -> Iterator[Loopback]:
    """Serve on a free loopback port; yields the ``Loopback`` (``url`` ends in ``/v1``), stops the server after."""
    state = Loopback(url="", status=status)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            return

        def _record(self, body: str) -> None:
            state.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                   "body": body})

        def _json(self, code: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._record("")
            if state.status is not None:
                self._json(state.status, {"error": {"message": f"HTTP {state.status} from the test server"}})
            elif self.path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            self._record(raw)
            if state.status is not None:
                self._json(state.status, {"error": {"message": "invalid api key" if state.status == 401
                                                    else f"HTTP {state.status} from the test server"}})
                return
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": {"message": "not found"}})
                return
            body = json.loads(raw)
            text = reply(body) if body.get("max_tokens", 0) > 1 else "OK"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            words = text.split(" ")
            for i, word in enumerate(words):
                piece = word + (" " if i < len(words) - 1 else "")
                chunk = {"model": body["model"], "choices": [{"index": 0, "delta": {"content": piece},
                                                              "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            end = {"model": body["model"], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 50, "completion_tokens": len(words)}}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
