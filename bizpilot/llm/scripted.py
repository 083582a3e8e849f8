"""``scripted``: prepared answers played back deterministically, for tests, CI and demos that must not depend on
what a real model happens to write.

A script is rules and/or a queue of replies. For each request the first rule whose ``tag`` (a glob on
``ChatOptions.tag``, e.g. ``content.*``) and ``pattern`` (a regular expression searched in the prompt) both match
answers; otherwise the next reply of the queue; otherwise ``default``; otherwise the call fails with an
``LLMError`` naming the request, so a missing line in a script is never mistaken for an answer. The one-token
liveness probe (``check()``, tag ``check``) is answered "OK" unless a rule says otherwise, without consuming the
queue. A reply may be an exception (``LLMTimeout``, ``LLMUnavailable``...) to exercise time limits, retries and
fallbacks: the base retries ``LLMUnavailable`` as it would for a remote server, and the retry takes the next reply.

Every attempt is recorded in :attr:`ScriptedBackend.requests` (messages, options, what was answered), so a test can
assert what was asked. Replies honour ``stop`` and ``max_tokens`` and stream word by word; token counts, the call
log, JSON-schema checks and retries come from the base exactly as for the other backends.

With ``BIZPILOT_LLM_BACKEND=scripted`` the script is read from the JSON file named by ``BIZPILOT_LLM_MODEL_PATH``
(the "model" of this backend)::

    {"rules": [{"tag": "content.*", "pattern": "Thread Locker", "reply": "Thread Locker ... USD 30.45."},
               {"tag": "assistant-suggest-*", "error": "timeout", "message": "slow"}],
     "replies": ["first answer", {"error": "unavailable"}, "second answer"],
     "default": "Thank you, we will get back to you."}
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizpilot.errors import ConfigError, LLMError, LLMTimeout, LLMUnavailable
from bizpilot.llm.base import ChatOptions, LLMBackend, Message, StreamEnd
from bizpilot.llm.registry import register_backend

if TYPE_CHECKING:
    from bizpilot.config import Settings

#: A prepared answer: text, or an exception (instance or class) to raise instead of answering.
Reply = str | BaseException | type[BaseException]

ERRORS: dict[str, type[LLMError]] = {"timeout": LLMTimeout, "unavailable": LLMUnavailable, "error": LLMError}
CHECK_TAG = "check"
# One chunk per word (with the whitespace before it) or per CJK character, so streams arrive in pieces.
_CHUNK_RE = re.compile(r"\s*(?:[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef\u3000-\u303f]"
                       r"|[^\s\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef\u3000-\u303f]+)|\s+")


@dataclass
class Rule:
    """Answer ``reply`` to requests whose tag matches the glob ``tag`` and whose prompt contains a match of
    ``pattern`` (both optional; a rule with neither matches everything). ``times``: how often it may answer
    (None: always), so a rule can fail once and let the next rule answer the retry."""

    reply: Reply
    tag: str | None = None
    pattern: str | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        try:
            self._regex = re.compile(self.pattern) if self.pattern is not None else None
        except re.error as exc:
            raise ConfigError(f"scripted rule pattern {self.pattern!r} is not a regular expression: {exc}",
                              details=[{"field": "pattern", "reason": str(exc)}]) from None

    def matches(self, tag: str | None, prompt: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.tag is not None and (tag is None or not fnmatch.fnmatchcase(tag, self.tag)):
            return False
        return self._regex is None or self._regex.search(prompt) is not None


@dataclass(frozen=True)
class ScriptedRequest:
    """One attempt as the backend received it, and what it answered (``reply``) or raised (``error``)."""

    messages: tuple[Message, ...]
    options: ChatOptions
    reply: str | None
    error: BaseException | None

    @property
    def tag(self) -> str | None:
        return self.options.tag

    @property
    def prompt(self) -> str:
        """Every message's text, as rules' patterns see it."""
        return _prompt(self.messages)

    @property
    def system(self) -> str:
        return "\n\n".join(m.content for m in self.messages if m.role == "system")

    @property
    def user(self) -> str:
        """The last user message (what was asked)."""
        return next((m.content for m in reversed(self.messages) if m.role == "user"), "")


@register_backend("scripted")
class ScriptedBackend(LLMBackend):
    """Prepared answers, deterministic: rules (tag glob / prompt regex -> reply) and a queue of replies."""

    remote = False
    preemptive_timeout = False  # nothing blocks: play the script in the caller's thread

    def __init__(self, replies: Iterable[Reply] = (), *, rules: Iterable[Rule] = (), default: Reply | None = None,
                 model: str = "scripted", **kwargs: Any) -> None:
        kwargs.setdefault("backoff_s", 0.0)  # a script has no server to spare: retry at once
        super().__init__(**kwargs)
        self.replies: deque[Reply] = deque(replies)
        self.rules: list[Rule] = list(rules)
        self.default = default
        self._model = model
        self.requests: list[ScriptedRequest] = []
        self._lock = threading.Lock()

    @classmethod
    def from_script(cls, script: dict[str, Any] | list[Any], **kwargs: Any) -> ScriptedBackend:
        """A backend from a parsed JSON script (see the module docstring); errors name the bad entry."""
        if isinstance(script, list):
            script = {"replies": script}
        if not isinstance(script, dict):
            raise ConfigError("a script is a JSON object with rules/replies/default, or a list of replies",
                              details=[{"field": "script", "reason": "not an object or list"}])
        unknown = sorted(set(script) - {"rules", "replies", "default", "model"})
        if unknown:
            raise ConfigError(f"unknown keys in the script: {', '.join(unknown)} (rules, replies, default, model)",
                              details=[{"field": k, "reason": "unknown key"} for k in unknown])
        rules = []
        for i, entry in enumerate(script.get("rules") or []):
            where = f"rules[{i}]"
            if not isinstance(entry, dict):
                raise ConfigError(f"{where} must be an object", details=[{"field": where, "reason": "not an object"}])
            extra = sorted(set(entry) - {"tag", "pattern", "reply", "error", "message", "times"})
            if extra:
                raise ConfigError(f"{where}: unknown keys {', '.join(extra)}",
                                  details=[{"field": where, "reason": f"unknown key {k}"} for k in extra])
            times = entry.get("times")
            if times is not None and (not isinstance(times, int) or times < 1):
                raise ConfigError(f"{where}.times must be a positive integer",
                                  details=[{"field": f"{where}.times", "reason": "not a positive integer"}])
            rules.append(Rule(reply=_parse_reply(entry, where), tag=entry.get("tag"), pattern=entry.get("pattern"),
                              times=times))
        replies = [_parse_reply(r, f"replies[{i}]") for i, r in enumerate(script.get("replies") or [])]
        default = _parse_reply(script["default"], "default") if script.get("default") is not None else None
        kwargs.setdefault("model", str(script.get("model") or "scripted"))
        return cls(replies, rules=rules, default=default, **kwargs)

    @classmethod
    def from_file(cls, path: Path | str, **kwargs: Any) -> ScriptedBackend:
        path = Path(path).expanduser()
        try:
            script = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"script file not found: {path} (BIZPILOT_LLM_MODEL_PATH)",
                              details=[{"field": "llm_model_path", "reason": "file not found"}]) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"script file {path} is not valid JSON: {exc}",
                              details=[{"field": "llm_model_path", "reason": "not JSON"}]) from None
        kwargs.setdefault("model", path.stem)
        return cls.from_script(script, **kwargs)

    @classmethod
    def from_settings(cls, settings: Settings) -> ScriptedBackend:
        """The script named by ``BIZPILOT_LLM_MODEL_PATH``; without one, an empty script (every call but the
        liveness check fails, so LLM features take their documented fallbacks)."""
        if settings.llm_model_path is not None:
            return cls.from_file(settings.llm_model_path, **cls.base_kwargs(settings))
        return cls(**cls.base_kwargs(settings))

    @classmethod
    def cache_key(cls, settings: Settings) -> tuple[Any, ...]:
        path = settings.llm_model_path
        stamp = path.stat().st_mtime_ns if path is not None and path.is_file() else None
        return (*super().cache_key(settings), str(path), stamp)

    @property
    def model_name(self) -> str:
        return self._model

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {**super().describe(), "rules": len(self.rules), "replies_left": len(self.replies),
                    "default": self.default is not None}

    # --- building a script in tests ---------------------------------------------------------------------------

    def add_rule(self, reply: Reply, *, tag: str | None = None, pattern: str | None = None,
                 times: int | None = None) -> ScriptedBackend:
        """Append a rule (rules are tried in the order they were added); returns self for chaining."""
        with self._lock:
            self.rules.append(Rule(reply=reply, tag=tag, pattern=pattern, times=times))
        return self

    def queue(self, *replies: Reply) -> ScriptedBackend:
        """Append replies to the queue; returns self for chaining."""
        with self._lock:
            self.replies.extend(replies)
        return self

    def last_request(self) -> ScriptedRequest:
        if not self.requests:
            raise LookupError("the scripted backend has not been asked anything yet")
        return self.requests[-1]

    # --- the one method -----------------------------------------------------------------------------------------

    def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
        reply = self._next_reply(messages, options)
        if not isinstance(reply, str):
            error = reply(f"scripted {reply.__name__}") if isinstance(reply, type) else reply
            self._record(messages, options, None, error)
            raise error
        text, finish = _apply_stop(reply, options.stop)
        chunks, cut = self._fit(text, options.max_tokens)
        self._record(messages, options, "".join(chunks), None)
        yield from chunks
        yield StreamEnd(finish_reason="length" if cut else finish, model=self.model_name)

    def _next_reply(self, messages: Sequence[Message], options: ChatOptions) -> Reply:
        prompt = _prompt(messages)
        with self._lock:
            for rule in self.rules:
                if rule.matches(options.tag, prompt):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.reply
            if options.tag == CHECK_TAG:
                return "OK"
            if self.replies:
                return self.replies.popleft()
            if self.default is not None:
                return self.default
        error = LLMError(f"scripted backend has no reply left for this request (tag {options.tag!r}, prompt "
                         f"starting {prompt[:60]!r}); add a rule, a reply or a default to the script",
                         details=[{"field": "script", "reason": "no reply for the request"}])
        self._record(messages, options, None, error)
        raise error

    def _fit(self, text: str, max_tokens: int) -> tuple[list[str], bool]:
        """The reply's chunks that fit in ``max_tokens`` (by this backend's token estimate); True when cut."""
        chunks: list[str] = []
        used = ""
        for chunk in _CHUNK_RE.findall(text):
            if self.estimate_tokens(used + chunk) > max_tokens:
                if not chunks:  # even the first word is too long: keep the characters that fit
                    part = ""
                    for ch in chunk:
                        if self.estimate_tokens(part + ch) > max_tokens:
                            break
                        part += ch
                    if part:
                        chunks.append(part)
                return chunks, True
            chunks.append(chunk)
            used += chunk
        return chunks, False

    def _record(self, messages: Sequence[Message], options: ChatOptions, reply: str | None,
                error: BaseException | None) -> None:
        with self._lock:
            self.requests.append(ScriptedRequest(tuple(messages), options, reply, error))


def _prompt(messages: Sequence[Message]) -> str:
    return "\n\n".join(m.content for m in messages)


def _apply_stop(text: str, stop: Sequence[str]) -> tuple[str, str]:
    """Cut at the earliest stop sequence, as a model's server does (the stop text itself is not returned)."""
    cuts = [i for s in stop if s and (i := text.find(s)) >= 0]
    return (text[:min(cuts)] if cuts else text), "stop"


def _parse_reply(entry: Any, where: str) -> Reply:
    """A JSON reply: a string, or {"reply": text}, or {"error": "timeout"|"unavailable"|"error", "message": ...}."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if "error" in entry:
            kind = entry["error"]
            if kind not in ERRORS:
                raise ConfigError(f"{where}.error must be one of {', '.join(ERRORS)}, got {kind!r}",
                                  details=[{"field": f"{where}.error", "reason": "unknown error kind"}])
            return ERRORS[kind](str(entry.get("message") or f"scripted {kind}"))
        if isinstance(entry.get("reply"), str):
            return entry["reply"]
    raise ConfigError(f"{where} must be a string, {{\"reply\": text}} or {{\"error\": kind}}",
                      details=[{"field": where, "reason": "not a reply"}])


__all__ = ["ERRORS", "Reply", "Rule", "ScriptedBackend", "ScriptedRequest"]
