"""Backends are chosen by name from settings; the registry builds each configuration once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bizpilot.config import Settings
from bizpilot.errors import ConfigError
from bizpilot.llm import (
    BACKENDS,
    ChatOptions,
    LLMBackend,
    Message,
    StreamEnd,
    backend_class,
    get_backend,
)
from bizpilot.llm.openai_compat import OpenAICompatBackend
from bizpilot.llm.registry import register_backend


def test_builtin_backends_are_registered() -> None:
    assert {"local", "openai"} <= set(BACKENDS)
    assert BACKENDS["openai"].remote and not BACKENDS["local"].remote


def test_settings_pick_the_backend_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BIZPILOT_HOME", str(tmp_path))
    monkeypatch.setenv("BIZPILOT_LLM_BACKEND", "openai")
    monkeypatch.setenv("BIZPILOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BIZPILOT_LLM_MODEL", "deepseek-chat")
    monkeypatch.setenv("BIZPILOT_LLM_API_KEY", "sk-from-env")
    monkeypatch.setenv("BIZPILOT_LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("BIZPILOT_LLM_MAX_RETRIES", "4")
    settings = Settings()
    backend = get_backend(settings)
    assert isinstance(backend, OpenAICompatBackend)
    assert backend.model_name == "deepseek-chat" and backend.timeout_s == 7.5 and backend.max_retries == 4
    assert backend.call_log.path == tmp_path.resolve() / "logs" / "llm_calls.jsonl"
    assert get_backend(settings) is backend  # built once per configuration
    assert "sk-from-env" not in repr(settings.llm_api_key) and "sk-from-env" not in str(backend.describe())


def test_unknown_backend_names_the_available_ones() -> None:
    with pytest.raises(ConfigError, match="unknown LLM backend 'gpt5'.*local.*openai"):
        backend_class("gpt5")


def test_a_new_backend_is_one_class_and_one_method() -> None:
    @register_backend("echo-test")
    class EchoBackend(LLMBackend):
        """Echoes the last message (shows what a backend has to implement)."""

        def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
            yield from messages[-1].content.split(" ")

    try:
        backend = get_backend(Settings(llm_backend="echo-test", llm_call_log=False))
        assert isinstance(backend, EchoBackend) and backend.generate("a b c").text == "abc"
        with pytest.raises(ValueError, match="already taken"):
            register_backend("echo-test")(type("Other", (EchoBackend,), {}))
    finally:
        BACKENDS.pop("echo-test", None)
