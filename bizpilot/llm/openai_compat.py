"""``openai``: any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, DashScope compatible mode, vLLM, Ollama,
llama.cpp's server) over plain httpx with server-sent-event streaming; no SDK needed.

It is marked remote, so the base redacts emails, phone numbers and contact names before anything is sent. The
API key comes from ``BIZPILOT_LLM_API_KEY`` and is only ever put in the Authorization header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from bizpilot.errors import ConfigError, LLMError, LLMUnavailable
from bizpilot.llm.base import ChatOptions, LLMBackend, Message, StreamEnd, Usage
from bizpilot.llm.registry import register_backend

if TYPE_CHECKING:
    from bizpilot.config import Settings

TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
JSON_MODES = ("json_schema", "json_object")


@register_backend("openai")
class OpenAICompatBackend(LLMBackend):
    """Any OpenAI-compatible chat endpoint over HTTP; remote, so personal data is redacted before sending.

    ``base_url`` ends in ``/v1`` (``https://api.deepseek.com/v1``, ``http://127.0.0.1:11434/v1``).

    ``model=None`` asks the server's ``/models`` and takes the first one (single-model servers such as
    llama.cpp or vLLM). ``json_mode`` is how a JSON schema is sent: ``json_schema`` (OpenAI's structured
    outputs, vLLM, llama.cpp) or ``json_object`` with the schema inline (llama-cpp-python, some gateways).
    """

    remote = True

    def __init__(self, *, base_url: str, model: str | None = None, api_key: SecretStr | str | None = None,
                 json_mode: str = "json_schema", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"BIZPILOT_LLM_BASE_URL must start with http:// or https://, got {base_url!r}",
                              details=[{"field": "llm_base_url", "reason": "not an http(s) URL"}])
        if json_mode not in JSON_MODES:
            raise ConfigError(f"json_mode must be one of {', '.join(JSON_MODES)}")
        self.base_url = base_url.rstrip("/")
        self.json_mode = json_mode
        self._model = model
        self._model_lock = threading.Lock()
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        headers = {"Accept": "application/json"}
        if self._api_key is not None and self._api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        self._client = httpx.Client(base_url=self.base_url, headers=headers,
                                    timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)))

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatBackend:
        return cls(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                   **cls.base_kwargs(settings))

    @classmethod
    def cache_key(cls, settings: Settings) -> tuple[Any, ...]:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        return (*super().cache_key(settings), settings.llm_base_url, settings.llm_model, hash(key))

    def __repr__(self) -> str:
        return f"OpenAICompatBackend(base_url={self.base_url!r}, model={self._model!r})"

    @property
    def model_name(self) -> str:
        return self._model or "(server default)"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "base_url": self.base_url,
                "api_key": "set" if self._api_key is not None and self._api_key.get_secret_value() else "not set"}

    def close(self) -> None:
        self._client.close()

    def list_models(self) -> list[str]:
        """Model ids the endpoint serves (``GET /models``)."""
        data = self._request_json("GET", "/models")
        return [str(m.get("id")) for m in data.get("data") or [] if isinstance(m, dict) and m.get("id")]

    def resolve_model(self) -> str:
        with self._model_lock:
            if self._model is None:
                models = self.list_models()
                if not models:
                    raise ConfigError(f"{self.base_url}/models lists no model; set BIZPILOT_LLM_MODEL",
                                      details=[{"field": "llm_model", "reason": "not set"}])
                self._model = models[0]
            return self._model

    def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
        usage: Usage | None = None
        finish: str | None = None
        model: str | None = None
        try:
            with closing(self._open(messages, options)) as response:
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, ": keep-alive" comments, "event:" lines
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = _parse_chunk(data)
                    model = chunk.get("model") or model
                    for choice in chunk.get("choices") or []:
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            yield content
                        finish = choice.get("finish_reason") or finish
                    if chunk.get("usage"):
                        u = chunk["usage"]
                        usage = Usage(prompt_tokens=int(u.get("prompt_tokens") or 0),
                                      completion_tokens=int(u.get("completion_tokens") or 0))
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(f"{self.base_url} timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise LLMUnavailable(f"cannot reach {self.base_url}: {type(exc).__name__}: {exc}") from None
        yield StreamEnd(usage=usage, finish_reason=finish, model=model)

    def _open(self, messages: Sequence[Message], options: ChatOptions) -> httpx.Response:
        """POST the request and return the streaming response once its status is known to be good.

        A server that rejects ``response_format: json_schema`` (llama-cpp-python's says so with HTTP 500 and a
        validation message) is asked again with ``json_object`` + schema, and that mode is kept from then on.
        """
        payload = self._payload(messages, options)
        response = self._client.send(self._client.build_request("POST", "/chat/completions", json=payload),
                                     stream=True)
        if response.status_code >= 400:
            response.read()
            response.close()
            if options.json_schema is not None and self.json_mode == "json_schema" and _rejects_json_schema(response):
                self.json_mode = "json_object"
                return self._open(messages, options)
            raise _http_error(response)
        return response

    def _payload(self, messages: Sequence[Message], options: ChatOptions) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.resolve_model(), "messages": [m.to_dict() for m in messages],
            "max_tokens": options.max_tokens, "temperature": options.temperature, "top_p": options.top_p,
            "stream": True, "stream_options": {"include_usage": True},
        }
        if options.stop:
            payload["stop"] = list(options.stop)
        if options.seed is not None:
            payload["seed"] = options.seed
        if options.json_schema is not None:
            if self.json_mode == "json_schema":
                payload["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "answer", "schema": options.json_schema, "strict": True}}
            else:
                payload["response_format"] = {"type": "json_object", "schema": options.json_schema}
        return payload

    def _request_json(self, method: str, path: str) -> dict[str, Any]:
        try:
            response = self._client.request(method, path)
        except httpx.TimeoutException:
            raise LLMUnavailable(f"{self.base_url}{path} timed out") from None
        except httpx.TransportError as exc:
            raise LLMUnavailable(f"cannot reach {self.base_url}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise _http_error(response)
        try:
            data = response.json()
        except ValueError:
            raise LLMError(f"{self.base_url}{path} did not answer with JSON") from None
        return data if isinstance(data, dict) else {}


def _rejects_json_schema(response: httpx.Response) -> bool:
    return response.status_code in (400, 422, 500) and any(
        word in _error_text(_safe_json(response)) for word in ("response_format", "json_schema", "json_object"))


def _parse_chunk(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError:
        raise LLMUnavailable(f"the endpoint sent a malformed stream event: {data[:80]!r}") from None
    if not isinstance(chunk, dict):
        raise LLMError("the endpoint sent an unexpected stream event")
    if chunk.get("error"):
        raise LLMError(f"the endpoint reported an error mid-stream: {_error_text(chunk)}")
    return chunk


def _http_error(response: httpx.Response) -> LLMError:
    """Turn an HTTP error into ours: transient ones are retried; the message never contains the request."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    detail = _error_text(_safe_json(response)) or response.reason_phrase
    if status in TRANSIENT_STATUS:
        error = LLMUnavailable(f"{where}: HTTP {status} {detail}")
        retry_after = response.headers.get("retry-after", "")
        if retry_after.replace(".", "", 1).isdigit():
            error.retry_after = float(retry_after)
        return error
    if status in (401, 403):
        return LLMError(f"{where}: HTTP {status}: the endpoint refused the credentials; check "
                        "BIZPILOT_LLM_API_KEY", details=[{"field": "llm_api_key", "reason": f"HTTP {status}"}])
    if status == 404:
        return LLMError(f"{where}: HTTP 404 {detail}; check BIZPILOT_LLM_BASE_URL (usually ends in /v1) and "
                        "BIZPILOT_LLM_MODEL", details=[{"field": "llm_base_url", "reason": "HTTP 404"}])
    return LLMError(f"{where}: HTTP {status} {detail}")


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_text(body: Any) -> str:
    """The server's own error message, shortened (OpenAI style ``{"error": {"message"}}`` or FastAPI ``detail``)."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error", body.get("detail"))
    if isinstance(error, dict):
        error = error.get("message") or error
    if isinstance(error, list):
        error = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in error[:3])
    return str(error or "")[:300]
