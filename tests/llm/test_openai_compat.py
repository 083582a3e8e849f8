"""The openai backend against the real llama_cpp.server on loopback, through a recording proxy that shows what
actually left the process: personal data never does, the API key only as a header; HTTP failures are classified."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from bizpilot.errors import ConfigError, LLMError, LLMUnavailable
from bizpilot.llm import CallLog, ChatOptions, Message
from bizpilot.llm.openai_compat import OpenAICompatBackend
from tests.live_server import free_port
from tests.llm.servers import MODEL_ALIAS, RecordingProxy

PERSONAL = ("Customer note: Anna Schmidt (anna.schmidt@example.com, +49 30 1234 5678, mobile 138 0013 8000) "
            "wants 500 bolts.")


def _backend(url: str, **kwargs: object) -> OpenAICompatBackend:
    options: dict[str, object] = {"timeout_s": 60, "max_retries": 2, "backoff_s": 0.05, "call_log": CallLog()}
    return OpenAICompatBackend(base_url=url, **{**options, **kwargs})  # type: ignore[arg-type]


def test_the_server_never_receives_personal_data(openai_backend: OpenAICompatBackend,
                                                 proxy: RecordingProxy) -> None:
    stream = openai_backend.stream([Message.system("Summarise the note in one sentence."), Message.user(PERSONAL)],
                                   ChatOptions(max_tokens=24, names=("Anna Schmidt",)))
    text = "".join(stream)
    posts = [r for r in proxy.requests if r["path"].endswith("/chat/completions")]
    assert len(posts) == 1
    body = posts[0]["body"]
    for secret in ("anna.schmidt@example.com", "1234 5678", "138 0013 8000", "Anna", "Schmidt"):
        assert secret not in body, secret
    sent = json.loads(body)["messages"][1]["content"]
    assert sent == "Customer note: [NAME_1] ([EMAIL_1], [PHONE_1], mobile [PHONE_2]) wants 500 bolts."
    # whatever the model answered, no placeholder that we issued survives in what the caller gets
    assert text and not any(p in text for p in ("[NAME_1]", "[EMAIL_1]", "[PHONE_1]", "[PHONE_2]"))


def test_api_key_goes_in_the_header_only(proxy_session: tuple[RecordingProxy, str], proxy: RecordingProxy) -> None:
    _, url = proxy_session
    backend = _backend(url, model=MODEL_ALIAS, api_key=SecretStr("sk-test-0123456789"))
    backend.generate("Say OK.", ChatOptions(max_tokens=2))
    request = proxy.requests[-1]
    assert request["headers"]["authorization"] == "Bearer sk-test-0123456789"
    assert "sk-test" not in request["body"]
    shown = json.dumps(backend.describe()) + repr(backend) + json.dumps(backend.call_log.records)
    assert "sk-test" not in shown and backend.describe()["api_key"] == "set"


def test_model_is_discovered_from_the_server(proxy_session: tuple[RecordingProxy, str]) -> None:
    _, url = proxy_session
    backend = _backend(url)
    assert backend.list_models() == [MODEL_ALIAS]
    assert backend.generate("Say OK.", ChatOptions(max_tokens=2)).model == MODEL_ALIAS


def test_json_schema_falls_back_to_json_object_for_llama_cpp(proxy_session: tuple[RecordingProxy, str],
                                                             proxy: RecordingProxy) -> None:
    _, url = proxy_session
    backend = _backend(url, model=MODEL_ALIAS)
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
              "additionalProperties": False}
    assert isinstance(backend.generate("Is water wet? Answer in JSON.",
                                       ChatOptions(max_tokens=16, json_schema=schema)).json()["ok"], bool)
    formats = [json.loads(r["body"])["response_format"]["type"] for r in proxy.requests if r["method"] == "POST"]
    assert formats == ["json_schema", "json_object"]  # this server rejects json_schema; asked once, then remembered
    assert backend.json_mode == "json_object"


def test_overloaded_server_is_retried(proxy_session: tuple[RecordingProxy, str], proxy: RecordingProxy) -> None:
    _, url = proxy_session
    backend = _backend(url, model=MODEL_ALIAS)
    proxy.fail_next(503, 1)
    proxy.fail_next(429, 1, headers={"Retry-After": "0.1"})
    completion = backend.generate("Say OK.", ChatOptions(max_tokens=2))
    assert completion.attempts == 3
    delays = backend.call_log.last()["retry_delays"]
    assert delays[1] == 0.1 and 0.05 <= delays[0] < 0.1


def test_refused_key_is_not_retried_and_says_what_to_check(proxy_session: tuple[RecordingProxy, str],
                                                           proxy: RecordingProxy) -> None:
    _, url = proxy_session
    backend = _backend(url, model=MODEL_ALIAS)
    proxy.fail_next(401, 3)
    with pytest.raises(LLMError, match="BIZPILOT_LLM_API_KEY") as info:
        backend.generate("Say OK.", ChatOptions(max_tokens=2))
    assert not isinstance(info.value, LLMUnavailable)
    assert len(proxy.requests) == 1


def test_unreachable_endpoint_is_unavailable_after_retries() -> None:
    backend = _backend(f"http://127.0.0.1:{free_port()}/v1", model="x", max_retries=1)
    with pytest.raises(LLMUnavailable, match="cannot reach"):
        backend.generate("hi", ChatOptions(max_tokens=2))
    assert backend.call_log.last()["attempts"] == 2


def test_base_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="http"):
        OpenAICompatBackend(base_url="127.0.0.1:8080/v1")
