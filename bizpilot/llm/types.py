"""The values that cross the LLM layer: messages and options in, completions (text, usage, timing) out."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Self

from bizpilot.errors import LLMError, ValidationFailed

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: Role
    content: str

    @classmethod
    def system(cls, content: str) -> Message:
        return cls("system", content)

    @classmethod
    def user(cls, content: str) -> Message:
        return cls("user", content)

    @classmethod
    def assistant(cls, content: str) -> Message:
        return cls("assistant", content)

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatOptions:
    """How to generate. ``names`` are contact names to redact for remote backends (emails and phone numbers are
    found without help); ``tag`` says what the call is for (e.g. a prompt's version stamp) in the call log."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    json_schema: dict[str, Any] | None = None
    timeout_s: float | None = None
    names: tuple[str, ...] = ()
    tag: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.max_tokens < 1:
            problems.append({"field": "max_tokens", "reason": "must be at least 1"})
        if not 0 <= self.temperature <= 2:
            problems.append({"field": "temperature", "reason": "must be between 0 and 2"})
        if not 0 < self.top_p <= 1:
            problems.append({"field": "top_p", "reason": "must be in (0, 1]"})
        if self.timeout_s is not None and self.timeout_s <= 0:
            problems.append({"field": "timeout_s", "reason": "must be positive"})
        if self.json_schema is not None and not isinstance(self.json_schema, dict):
            problems.append({"field": "json_schema", "reason": "must be a JSON object (dict)"})
        if problems:
            raise ValidationFailed("invalid chat options: " + "; ".join(f"{p['field']} {p['reason']}"
                                                                      for p in problems), details=problems)


@dataclass(frozen=True)
class Usage:
    """Token accounting of one call; ``estimated`` when the backend did not report counts (about 4 chars/token)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class StreamEnd:
    """What a backend may yield after its text: its own token counts, why it stopped, which model answered."""

    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Completion:
    """The answer and what it cost. ``text`` has personal data restored (for remote backends)."""

    text: str
    usage: Usage
    backend: str
    model: str
    finish_reason: str | None
    seconds: float
    first_token_s: float | None
    attempts: int

    @property
    def tokens_per_s(self) -> float:
        """Generation speed after the first token (prompt processing excluded), the figure models are compared
        by; the whole call's time is ``seconds``."""
        n, first = self.usage.completion_tokens, self.first_token_s
        if n > 1 and first is not None and self.seconds > first:
            return (n - 1) / (self.seconds - first)
        return n / self.seconds if self.seconds > 0 else 0.0

    def json(self) -> Any:
        """The text parsed as JSON (for calls with a ``json_schema``)."""
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise LLMError(f"model output is not valid JSON ({exc.msg} at char {exc.pos}; "
                           f"finish_reason={self.finish_reason})") from None

    def stats(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens, "tokens_estimated": self.usage.estimated,
                "seconds": round(self.seconds, 3), "tokens_per_s": round(self.tokens_per_s, 1),
                "first_token_s": None if self.first_token_s is None else round(self.first_token_s, 3),
                "finish_reason": self.finish_reason, "attempts": self.attempts}


@dataclass
class Totals:
    """Running totals of one backend instance (all calls since it was created)."""

    calls: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class ChatStream(Iterator[str]):
    """Text chunks as they arrive; once exhausted, :attr:`completion` holds the whole answer and its stats."""

    def __init__(self, run: Generator[str, None, Completion]) -> None:
        self._run = run
        self.completion: Completion | None = None

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        try:
            return next(self._run)
        except StopIteration as stop:
            self.completion = stop.value
            raise StopIteration from None

    def close(self) -> None:
        """Stop early (the backend stops generating at its next chunk)."""
        self._run.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
