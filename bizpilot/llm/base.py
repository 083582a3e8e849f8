"""The LLM backend contract. A backend implements one method, :meth:`LLMBackend._stream` (messages + options ->
text chunks); the base adds what every caller needs the same way everywhere: a time limit per attempt, retries
with exponential backoff on transient failures, token accounting, a call log (timing and tokens, never text),
JSON-schema checks, and redaction of personal data for backends that send text off the machine.
"""

from __future__ import annotations

import logging
import queue
import random
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from bizpilot.errors import LLMError, LLMTimeout, LLMUnavailable, ValidationFailed
from bizpilot.llm.calllog import CallLog, call_log_for
from bizpilot.llm.guards import Redactor
from bizpilot.llm.types import ROLES, ChatOptions, ChatStream, Completion, Message, StreamEnd, Totals, Usage

if TYPE_CHECKING:
    from bizpilot.config import Settings

logger = logging.getLogger("bizpilot.llm")

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

__all__ = ["ChatOptions", "ChatStream", "Completion", "LLMBackend", "Message", "StreamEnd", "Totals", "Usage"]


class LLMBackend(ABC):
    """Base of every backend. Subclasses set ``name`` (the registry key) and implement :meth:`_stream`.

    ``remote = True`` marks backends that send text off the machine: the base redacts emails, phone numbers and
    the given contact names before the call and restores them in the answer.
    """

    name: ClassVar[str] = "base"
    remote: ClassVar[bool] = False
    #: Run ``_stream`` in a worker thread, so the time limit holds even while the backend blocks (a stuck socket,
    #: DNS). CPU-bound in-process backends turn it off: a thread hand-off per token costs up to half the speed when
    #: the model already keeps every core busy; their limit is checked between tokens instead.
    preemptive_timeout: ClassVar[bool] = True

    def __init__(self, *, timeout_s: float = 120.0, max_retries: int = 2, backoff_s: float = 0.5,
                 max_backoff_s: float = 20.0, call_log: CallLog | None = None) -> None:
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.call_log = call_log if call_log is not None else CallLog()
        self.totals = Totals()
        self._totals_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build from ``BIZPILOT_LLM_*`` settings; backends with more knobs override this and call
        :meth:`base_kwargs`."""
        return cls(**cls.base_kwargs(settings))

    @staticmethod
    def base_kwargs(settings: Settings) -> dict[str, Any]:
        return {"timeout_s": settings.llm_timeout_s, "max_retries": settings.llm_max_retries,
                "call_log": call_log_for(settings)}

    @classmethod
    def cache_key(cls, settings: Settings) -> tuple[Any, ...]:
        """The settings that make two instances different (``get_backend`` builds one per key)."""
        return (settings.llm_timeout_s, settings.llm_max_retries, settings.llm_call_log, str(settings.logs_dir))

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release what the backend holds (a model, a connection pool)."""

    # --- what a backend implements ---------------------------------------------------------------------------

    @abstractmethod
    def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
        """Generate: yield text chunks, then optionally one :class:`StreamEnd`. Raise :class:`LLMUnavailable` for
        failures worth retrying, :class:`LLMError` for the rest. Honour ``options.json_schema`` (constrain the
        output) and ``options.max_tokens``. Runs in a worker thread; closing the generator must stop the work."""

    @property
    def model_name(self) -> str:
        """The model this backend talks to (a file name or the remote model id)."""
        return self.name

    def describe(self) -> dict[str, Any]:
        """What `bizpilot llm models` shows; never secrets."""
        return {"backend": self.name, "model": self.model_name, "remote": self.remote}

    def estimate_tokens(self, text: str) -> int:
        """Used when a backend reports no counts; backends with a tokenizer override it. About one token per
        CJK character and four characters per token elsewhere (what common BPE vocabularies average)."""
        if not text:
            return 0
        cjk = len(_CJK_RE.findall(text))
        return max(1, cjk + round((len(text) - cjk) / 4))

    # --- what callers use -------------------------------------------------------------------------------------

    def generate(self, messages: Sequence[Message] | str, options: ChatOptions | None = None) -> Completion:
        """The whole answer at once. Transient failures are retried, even after part of the answer arrived."""
        run = self._run(_as_messages(messages), options or ChatOptions(), streaming=False)
        with closing(run):
            while True:
                try:
                    next(run)
                except StopIteration as stop:
                    return stop.value

    def stream(self, messages: Sequence[Message] | str, options: ChatOptions | None = None) -> ChatStream:
        """Chunks as they arrive. Transient failures are retried only until the first chunk was handed out."""
        return ChatStream(self._run(_as_messages(messages), options or ChatOptions(), streaming=True))

    def check(self) -> Completion:
        """A one-token call: proves the backend answers (used by `bizpilot llm models`)."""
        return self.generate([Message.user("Say OK.")], ChatOptions(max_tokens=1, tag="check"))

    # --- the machinery ----------------------------------------------------------------------------------------

    def _run(self, messages: list[Message], options: ChatOptions,
             streaming: bool) -> Generator[str, None, Completion]:
        redactor = Redactor(options.names) if self.remote else None
        sent = messages if redactor is None else [replace(m, content=redactor.redact(m.content)) for m in messages]
        record: dict[str, Any] = {"backend": self.name, "model": self.model_name, "tag": options.tag,
                                  "stream": streaming, "messages": len(messages),
                                  "prompt_chars": sum(len(m.content) for m in messages),
                                  "max_tokens": options.max_tokens, "json_schema": options.json_schema is not None,
                                  "redacted": len(redactor) if redactor is not None else 0, "retry_delays": []}
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            restorer = redactor.stream_restorer() if redactor is not None else None
            parts: list[str] = []
            end = StreamEnd()
            first_token_s: float | None = None
            handed_out = False
            try:
                with closing(self._timed(sent, options)) as chunks:
                    for item in chunks:
                        if isinstance(item, StreamEnd):
                            end = item
                            continue
                        if not item:
                            continue
                        if first_token_s is None:
                            first_token_s = time.perf_counter() - started
                        parts.append(item)
                        out = restorer.feed(item) if restorer is not None else item
                        if streaming and out:
                            handed_out = True
                            yield out
                tail = restorer.flush() if restorer is not None else ""
                if streaming and tail:
                    yield tail
                break
            except LLMUnavailable as exc:
                if attempt > self.max_retries or handed_out:
                    self._fail(record, exc, attempt, started)
                    raise
                delay = self._backoff(attempt, exc)
                record["retry_delays"].append(round(delay, 4))
                logger.warning("llm %s: %s (attempt %d of %d); retrying in %.2f s", self.name, exc.message,
                               attempt, self.max_retries + 1, delay)
                time.sleep(delay)
            except GeneratorExit:
                self._fail(record, None, attempt, started, error="cancelled")
                raise
            except BaseException as exc:
                self._fail(record, exc, attempt, started)
                raise

        raw = "".join(parts)
        text = redactor.restore(raw) if redactor is not None else raw
        seconds = time.perf_counter() - started
        usage = end.usage or self._estimate_usage(sent, raw, options, end.finish_reason)
        completion = Completion(text=text, usage=usage, backend=self.name, model=end.model or self.model_name,
                                finish_reason=end.finish_reason, seconds=seconds, first_token_s=first_token_s,
                                attempts=attempt)
        try:
            if options.json_schema is not None:
                _check_schema(completion, options.json_schema)
        except LLMError as exc:
            self._fail(record, exc, attempt, started, usage=usage)
            raise
        self._succeed(record, completion)
        return completion

    def _timed(self, messages: Sequence[Message], options: ChatOptions) -> Generator[str | StreamEnd, None, None]:
        """:meth:`_stream` under the time limit: in a worker thread that the caller stops waiting for at the
        deadline (the worker stops at its next chunk), or inline with the deadline checked at every chunk."""
        limit = options.timeout_s or self.timeout_s
        deadline = time.monotonic() + limit
        if not self.preemptive_timeout:
            with closing(_generator(self._stream(messages, options))) as gen:
                for item in gen:
                    if time.monotonic() > deadline:
                        raise LLMTimeout(f"{self.name} backend did not finish within {limit:g} s "
                                         "(BIZPILOT_LLM_TIMEOUT_S)")
                    yield item
            return
        items: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        cancel = threading.Event()

        def work() -> None:
            try:
                with closing(_generator(self._stream(messages, options))) as gen:
                    for item in gen:
                        if cancel.is_set():
                            return
                        items.put((0, item))
                items.put((1, None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, re-raised there
                items.put((2, exc))

        threading.Thread(target=work, name=f"llm-{self.name}", daemon=True).start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = items.get(timeout=remaining)
                except queue.Empty:
                    raise LLMTimeout(f"{self.name} backend did not finish within {limit:g} s "
                                     "(BIZPILOT_LLM_TIMEOUT_S)") from None
                if kind == 0:
                    yield value
                elif kind == 1:
                    return
                else:
                    raise value
        finally:
            cancel.set()

    def _estimate_usage(self, sent: Sequence[Message], raw: str, options: ChatOptions,
                        finish_reason: str | None) -> Usage:
        """For backends that report no counts: a stop at the limit means exactly ``max_tokens`` were made."""
        completion = (options.max_tokens if finish_reason == "length"
                      else min(options.max_tokens, self.estimate_tokens(raw)))
        return Usage(prompt_tokens=sum(self.estimate_tokens(m.content) + 4 for m in sent),
                     completion_tokens=completion, estimated=True)

    def _backoff(self, attempt: int, exc: LLMUnavailable) -> float:
        """Exponential (0.5 s, 1 s, 2 s, ... capped) with up to 10 % jitter; a server's Retry-After wins."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_backoff_s)
        return min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s) * (1 + 0.1 * random.random())

    def _succeed(self, record: dict[str, Any], completion: Completion) -> None:
        with self._totals_lock:
            self.totals.calls += 1
            self.totals.prompt_tokens += completion.usage.prompt_tokens
            self.totals.completion_tokens += completion.usage.completion_tokens
            self.totals.seconds += completion.seconds
        record.update(ok=True, error=None, **{k: v for k, v in completion.stats().items()
                                              if k not in ("backend", "model")})
        record["model"] = completion.model
        self.call_log.add(record)

    def _fail(self, record: dict[str, Any], exc: BaseException | None, attempt: int, started: float, *,
              error: str | None = None, usage: Usage | None = None) -> None:
        with self._totals_lock:
            self.totals.calls += 1
            self.totals.failures += 1
        code = error or getattr(exc, "code", None) or type(exc).__name__
        record.update(ok=False, error=code, attempts=attempt, seconds=round(time.perf_counter() - started, 3))
        if usage is not None:
            record.update(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
        self.call_log.add(record)


def _as_messages(messages: Sequence[Message] | str) -> list[Message]:
    """A bare string is one user message; anything else must be a non-empty list of valid messages."""
    if isinstance(messages, str):
        messages = [Message.user(messages)]
    result = list(messages)
    if not result:
        raise ValidationFailed("no messages to send", details=[{"field": "messages", "reason": "empty"}])
    for i, m in enumerate(result):
        if not isinstance(m, Message) or m.role not in ROLES or not isinstance(m.content, str):
            raise ValidationFailed(f"message {i} is not a Message with role {'/'.join(ROLES)} and text content",
                                   details=[{"field": f"messages[{i}]", "reason": "invalid message"}])
    return result


def _generator(items: Iterator[Any]) -> Generator[Any, None, None]:
    """Let ``closing()`` work whether ``_stream`` returned a generator or a plain iterator."""
    yield from items


def _check_schema(completion: Completion, schema: dict[str, Any]) -> None:
    """Constrained output must parse, and conform when jsonschema is installed (it is, with the `llm` extra)."""
    value = completion.json()
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - the llm extra installs it
        return
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise LLMError(f"model output does not match the JSON schema at {where}: {exc.message}",
                       details=[{"field": where, "reason": exc.message}]) from None
    except jsonschema.SchemaError as exc:
        raise ValidationFailed(f"invalid JSON schema: {exc.message}",
                               details=[{"field": "json_schema", "reason": exc.message}]) from None
