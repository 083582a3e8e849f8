"""The backend contract, run over every registered backend: local in-process llama.cpp and openai against the
real llama_cpp.server on loopback serving the same bundled model, and scripted with prepared answers."""

from __future__ import annotations

import jsonschema

from bizpilot.llm import ChatOptions, LLMBackend, Message
from bizpilot.llm.local import LocalBackend

PROMPT = [Message.system("You are a helpful assistant for a wholesale business."),
          Message.user("Name three things a hardware wholesaler sells.")]

SCHEMA = {
    "type": "object",
    "properties": {
        "product": {"type": "string", "minLength": 1, "maxLength": 24},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 999},
    },
    "required": ["product", "quantity"],
    "additionalProperties": False,
}


def test_generate_returns_text_and_usage(any_backend: LLMBackend) -> None:
    completion = any_backend.generate(PROMPT, ChatOptions(max_tokens=12))
    assert completion.text.strip()
    assert completion.usage.prompt_tokens > 10 and 0 < completion.usage.completion_tokens <= 12
    assert completion.backend == any_backend.name and completion.model
    # Stopped at the limit exactly when it used every token it was allowed.
    assert completion.finish_reason == ("length" if completion.usage.completion_tokens == 12 else "stop")
    assert completion.seconds > 0 and completion.attempts == 1
    record = any_backend.call_log.last()
    assert record is not None and record["ok"] and record["completion_tokens"] == completion.usage.completion_tokens


def test_stream_chunks_join_to_the_same_text(any_backend: LLMBackend) -> None:
    options = ChatOptions(max_tokens=16, temperature=0.0)
    whole = any_backend.generate(PROMPT, options)
    stream = any_backend.stream(PROMPT, options)
    chunks = list(stream)
    assert len(chunks) > 1, "a stream should arrive in pieces"
    assert "".join(chunks) == whole.text
    assert stream.completion is not None and stream.completion.text == whole.text
    assert stream.completion.first_token_s is not None and stream.completion.first_token_s <= stream.completion.seconds


def test_json_schema_output_parses_and_validates(any_backend: LLMBackend) -> None:
    completion = any_backend.generate(
        [Message.user("Reply with a JSON object: one product a hardware store sells and a quantity.")],
        ChatOptions(max_tokens=64, json_schema=SCHEMA))
    value = completion.json()
    jsonschema.validate(value, SCHEMA)
    assert completion.finish_reason == "stop"


def test_max_tokens_is_respected(any_backend: LLMBackend, local_backend: LocalBackend) -> None:
    completion = any_backend.generate([Message.user("Write a long story about a warehouse.")],
                                      ChatOptions(max_tokens=5))
    assert completion.finish_reason == "length"
    # Counted with the served model's own tokenizer (the openai backend's server reports no counts when streaming).
    assert 1 <= local_backend.estimate_tokens(completion.text) <= 5
    assert completion.usage.completion_tokens == 5  # reported, or known from finish_reason "length"


def test_stop_sequences_end_the_answer(any_backend: LLMBackend) -> None:
    free = any_backend.generate([Message.user("Count from 1 to 10 separated by commas.")], ChatOptions(max_tokens=24))
    assert "3" in free.text, free.text
    cut = any_backend.generate([Message.user("Count from 1 to 10 separated by commas.")],
                               ChatOptions(max_tokens=24, stop=("3",)))
    assert "3" not in cut.text and free.text.startswith(cut.text)
