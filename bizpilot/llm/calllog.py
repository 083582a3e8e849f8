"""The LLM call log: one record per call (timing, tokens, attempts, outcome), never prompt or answer text.

Records go to the ``bizpilot.llm`` logger, to an in-memory ring (what tests and `bizpilot llm chat` read back)
and, when a path is given, to a JSON Lines file in the workspace (``logs/llm_calls.jsonl``) for cost and
latency reports.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bizpilot.config import Settings

logger = logging.getLogger("bizpilot.llm")

# Only these keys are written, so a careless caller cannot put text into the log by adding a field.
FIELDS = ("ts", "backend", "model", "tag", "stream", "ok", "error", "attempts", "retry_delays", "messages",
          "prompt_chars", "redacted", "max_tokens", "json_schema", "prompt_tokens", "completion_tokens",
          "tokens_estimated", "seconds", "first_token_s", "tokens_per_s", "finish_reason")


class CallLog:
    """Thread-safe; file writes are appends of one line each, so concurrent processes interleave whole lines."""

    def __init__(self, path: Path | None = None, *, keep: int = 500) -> None:
        self.path = path
        self._records: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()

    @property
    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records)

    def last(self) -> dict[str, Any] | None:
        with self._lock:
            return self._records[-1] if self._records else None

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        clean = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds")}
        clean.update({k: record[k] for k in FIELDS if k in record and k != "ts"})
        with self._lock:
            self._records.append(clean)
            if self.path is not None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with self.path.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
                except OSError as exc:  # a read-only workspace must not break generation
                    logger.warning("could not append to the LLM call log %s: %s", self.path, exc)
        if clean.get("ok"):
            logger.info("llm call %s/%s: %s+%s tokens in %.2f s (%s attempt(s))", clean.get("backend"),
                        clean.get("model"), clean.get("prompt_tokens"), clean.get("completion_tokens"),
                        clean.get("seconds") or 0.0, clean.get("attempts"))
        else:
            logger.warning("llm call %s/%s failed: %s after %s attempt(s)", clean.get("backend"),
                           clean.get("model"), clean.get("error"), clean.get("attempts"))
        return clean


def call_log_for(settings: Settings) -> CallLog:
    """The workspace's log file (``logs/llm_calls.jsonl``) unless ``BIZPILOT_LLM_CALL_LOG=0``."""
    return CallLog(settings.logs_dir / "llm_calls.jsonl" if settings.llm_call_log else None)
