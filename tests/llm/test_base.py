"""What the base adds around a backend's one method: retries with backoff, time limits, token accounting, the
call log, JSON-schema checks and redaction for remote backends. The backend here is a real subclass that plays
a script (chunks, pauses, errors), so the base runs exactly as it does for llama.cpp or HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bizpilot.errors import LLMError, LLMTimeout, LLMUnavailable, ValidationFailed
from bizpilot.llm import CallLog, ChatOptions, LLMBackend, Message, StreamEnd, Usage


@dataclass
class Step:
    """One attempt: yield ``chunks`` (``pause`` seconds before each), then raise ``error`` if given."""

    chunks: list[str] = field(default_factory=list)
    error: Exception | None = None
    pause: float = 0.0
    usage: Usage | None = None


class StepBackend(LLMBackend):
    name = "steps"

    def __init__(self, steps: list[Step], **kwargs: object) -> None:
        kwargs.setdefault("backoff_s", 0.01)
        kwargs.setdefault("call_log", CallLog())
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.steps = list(steps)
        self.seen: list[list[Message]] = []
        self.produced = 0
        self.closed = threading.Event()

    def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
        self.seen.append(list(messages))
        step = self.steps.pop(0)
        try:
            for chunk in step.chunks:
                if step.pause:
                    time.sleep(step.pause)
                self.produced += 1
                yield chunk
            if step.error is not None:
                raise step.error
            yield StreamEnd(usage=step.usage, finish_reason="stop")
        finally:
            self.closed.set()


class RemoteStepBackend(StepBackend):
    name = "steps-remote"
    remote = True


def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    backend = StepBackend([Step(error=LLMUnavailable("down")), Step(error=LLMUnavailable("still down")),
                               Step(chunks=["ok"])], max_retries=3, backoff_s=0.05)
    started = time.perf_counter()
    completion = backend.generate("hi")
    elapsed = time.perf_counter() - started
    assert completion.text == "ok" and completion.attempts == 3
    delays = backend.call_log.last()["retry_delays"]
    assert len(delays) == 2 and 0.05 <= delays[0] <= 0.056 and 0.1 <= delays[1] <= 0.111  # 2x, up to 10 % jitter
    assert elapsed >= 0.15


def test_gives_up_after_max_retries_and_logs_the_failure() -> None:
    backend = StepBackend([Step(error=LLMUnavailable("down"))] * 3, max_retries=2)
    with pytest.raises(LLMUnavailable):
        backend.generate("hi")
    assert len(backend.seen) == 3
    record = backend.call_log.last()
    assert record["ok"] is False and record["error"] == "llm_unavailable" and record["attempts"] == 3
    assert backend.totals.failures == 1


def test_retry_after_from_the_server_wins_over_backoff() -> None:
    busy = LLMUnavailable("429")
    busy.retry_after = 0.2
    backend = StepBackend([Step(error=busy), Step(chunks=["ok"])], backoff_s=0.01)
    backend.generate("hi")
    assert backend.call_log.last()["retry_delays"] == [0.2]


def test_permanent_errors_are_not_retried() -> None:
    backend = StepBackend([Step(error=LLMError("bad request")), Step(chunks=["never"])], max_retries=3)
    with pytest.raises(LLMError, match="bad request"):
        backend.generate("hi")
    assert len(backend.seen) == 1


def test_generate_retries_after_partial_output_but_stream_does_not() -> None:
    script = [Step(chunks=["par", "tial"], error=LLMUnavailable("connection dropped")), Step(chunks=["whole"])]
    assert StepBackend(list(script)).generate("hi").text == "whole"  # nothing was handed out yet
    stream = StepBackend(list(script)).stream("hi")
    got = []
    with pytest.raises(LLMUnavailable):
        for chunk in stream:
            got.append(chunk)
    assert got == ["par", "tial"]  # already shown to the caller: repeating would duplicate text


def test_time_limit_returns_control_while_the_backend_is_stuck() -> None:
    backend = StepBackend([Step(chunks=["a"] * 20, pause=0.1)], timeout_s=0.35)
    started = time.perf_counter()
    with pytest.raises(LLMTimeout, match="0.35 s"):
        backend.generate("hi")
    assert time.perf_counter() - started < 0.6
    assert backend.closed.wait(1.0), "the worker must stop generating after a timeout"
    assert backend.produced < 20
    assert backend.call_log.last()["error"] == "llm_timeout"


class InlineStepBackend(StepBackend):
    """Like the local backend: generates in the caller's thread, time limit checked between chunks."""

    name = "steps-inline"
    preemptive_timeout = False


def test_inline_backends_stop_at_the_first_chunk_past_the_time_limit() -> None:
    backend = InlineStepBackend([Step(chunks=["a"] * 20, pause=0.1), Step(chunks=["b"] * 3, pause=0.01)],
                                    timeout_s=0.35)
    started = time.perf_counter()
    with pytest.raises(LLMTimeout, match="0.35 s"):
        backend.generate("hi")
    assert time.perf_counter() - started < 0.6
    assert backend.closed.is_set() and backend.produced == 4  # closed right away, in the caller's thread
    assert backend.generate("hi").text == "bbb"


def test_per_call_timeout_overrides_the_backend_default() -> None:
    backend = StepBackend([Step(chunks=["slow"], pause=0.5)], timeout_s=60)
    with pytest.raises(LLMTimeout):
        backend.generate("hi", ChatOptions(timeout_s=0.1))


def test_closing_a_stream_early_stops_the_backend() -> None:
    backend = StepBackend([Step(chunks=["a"] * 50, pause=0.01)])
    with backend.stream("hi") as stream:
        assert next(stream) == "a"
    assert backend.closed.wait(1.0) and backend.produced < 50
    assert backend.call_log.last()["error"] == "cancelled"


def test_token_accounting_uses_reported_counts_or_estimates() -> None:
    backend = StepBackend([Step(chunks=["one two"], usage=Usage(prompt_tokens=7, completion_tokens=2)),
                               Step(chunks=["x" * 40]), Step(chunks=["库存充足，价格面议"])])
    exact = backend.generate("hi")
    assert exact.usage == Usage(7, 2) and not exact.usage.estimated
    rough = backend.generate("hi", ChatOptions(max_tokens=100))
    assert rough.usage.estimated and rough.usage.completion_tokens == 10
    chinese = backend.generate("hi", ChatOptions(max_tokens=100))
    assert chinese.usage.completion_tokens >= 8  # about one token per CJK character, not four characters
    assert backend.totals.calls == 3 and backend.totals.completion_tokens == 2 + 10 + chinese.usage.completion_tokens


def test_call_log_file_has_timing_and_tokens_but_no_text(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "llm_calls.jsonl"
    backend = StepBackend([Step(chunks=["the secret answer"]), Step(error=LLMError("nope"))],
                              call_log=CallLog(path))
    backend.generate("my secret prompt", ChatOptions(tag="test@v1"))
    with pytest.raises(LLMError):
        backend.generate("my secret prompt")
    raw = path.read_text()
    assert "secret" not in raw
    first, second = (json.loads(line) for line in raw.splitlines())
    assert first["ok"] and first["tag"] == "test@v1" and first["prompt_chars"] == len("my secret prompt")
    assert first["seconds"] >= 0 and first["completion_tokens"] > 0
    assert second["ok"] is False and second["error"] == "llm_error"


def test_json_schema_is_checked_after_generation() -> None:
    schema = {"type": "object", "properties": {"qty": {"type": "integer"}}, "required": ["qty"]}
    backend = StepBackend([Step(chunks=['{"qty": 3}']), Step(chunks=['{"qty": "three"}']),
                               Step(chunks=["not json"])])
    assert backend.generate("hi", ChatOptions(json_schema=schema)).json() == {"qty": 3}
    with pytest.raises(LLMError, match="does not match the JSON schema at qty"):
        backend.generate("hi", ChatOptions(json_schema=schema))
    with pytest.raises(LLMError, match="not valid JSON"):
        backend.generate("hi", ChatOptions(json_schema=schema))


def test_remote_backends_get_redacted_text_and_callers_get_it_restored() -> None:
    backend = RemoteStepBackend([Step(chunks=["Write to [EMA", "IL_1] or call [PHO", "NE_1", "], ",
                                                  "[NAME_1]."])])
    prompt = "Ask Anna Schmidt (anna.schmidt@example.com, +49 30 1234 5678) about the order."
    stream = backend.stream([Message.system("Be brief."), Message.user(prompt)],
                            ChatOptions(names=("Anna Schmidt",)))
    text = "".join(stream)
    sent = backend.seen[0][1].content
    assert "anna.schmidt@example.com" not in sent and "1234 5678" not in sent and "Anna" not in sent
    assert "[EMAIL_1]" in sent and "[PHONE_1]" in sent and "[NAME_1]" in sent
    assert text == "Write to anna.schmidt@example.com or call +49 30 1234 5678, Anna Schmidt."
    assert stream.completion is not None and stream.completion.text == text
    assert backend.call_log.last()["redacted"] == 3


def test_local_backends_see_the_original_text() -> None:
    backend = StepBackend([Step(chunks=["ok"])])
    backend.generate("mail anna@example.com", ChatOptions(names=("Anna",)))
    assert backend.seen[0][0].content == "mail anna@example.com"


@pytest.mark.parametrize("kwargs,field_name", [
    ({"max_tokens": 0}, "max_tokens"), ({"temperature": 3.0}, "temperature"), ({"top_p": 0.0}, "top_p"),
    ({"timeout_s": -1.0}, "timeout_s"),
])
def test_bad_options_name_the_field(kwargs: dict[str, float], field_name: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        ChatOptions(**kwargs)  # type: ignore[arg-type]
    assert info.value.details[0]["field"] == field_name


def test_messages_must_be_messages() -> None:
    backend = StepBackend([])
    with pytest.raises(ValidationFailed, match="no messages"):
        backend.generate([])
    with pytest.raises(ValidationFailed, match="message 0"):
        backend.generate([{"role": "user", "content": "hi"}])  # type: ignore[list-item]
