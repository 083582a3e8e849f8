"""Fixtures for the LLM layer: the real backends, built once per session (the model loads once in-process and
once in the loopback llama_cpp.server); tests that need llama-cpp-python skip with a reason where it is absent."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from bizpilot.llm import BACKENDS, CallLog, LLMBackend, clear_cache
from bizpilot.llm.local import LocalBackend, bundled_model_path
from bizpilot.llm.openai_compat import OpenAICompatBackend
from bizpilot.llm.scripted import ScriptedBackend
from tests.llm.servers import RecordingProxy, llama_server, serve_proxy

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
NO_LLAMA = ("llama-cpp-python is not installed (extra `llm`; `make install` builds it with the AMX-safe "
            "CMAKE_ARGS)")
# One thread: llama.cpp's threads spin at barriers, so on a busy 2-core machine (parallel test runs, CI neighbours)
# two threads can be 50x slower than one; a single thread is ~65 tokens/s here and immune to that.
THREADS = 1


def require_llama() -> None:
    if not HAVE_LLAMA:
        pytest.skip(NO_LLAMA)
    try:
        bundled_model_path()
    except Exception as exc:  # noqa: BLE001 - the reason is shown in the skip message
        pytest.skip(f"bundled model not available: {exc}")


@pytest.fixture(scope="session")
def local_backend() -> Iterator[LocalBackend]:
    require_llama()
    backend = LocalBackend(model="smollm2", n_threads=THREADS, n_ctx=2048, call_log=CallLog())
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def llama_server_url() -> Iterator[str]:
    require_llama()
    with llama_server(bundled_model_path(), threads=THREADS) as url:
        yield url


@pytest.fixture(scope="session")
def proxy_session(llama_server_url: str) -> Iterator[tuple[RecordingProxy, str]]:
    proxy = RecordingProxy(llama_server_url)
    with serve_proxy(proxy) as url:
        yield proxy, url


@pytest.fixture
def proxy(proxy_session: tuple[RecordingProxy, str]) -> Iterator[RecordingProxy]:
    """The recording proxy, emptied before and after each test."""
    recorder, _ = proxy_session
    recorder.clear()
    yield recorder
    recorder.clear()


@pytest.fixture(scope="session")
def openai_backend(proxy_session: tuple[RecordingProxy, str]) -> Iterator[OpenAICompatBackend]:
    """The openai backend against the real loopback llama_cpp.server, through the recording proxy."""
    _, url = proxy_session
    backend = OpenAICompatBackend(base_url=url, model=None, timeout_s=60, max_retries=2, backoff_s=0.05,
                                  call_log=CallLog())
    yield backend
    backend.close()


@pytest.fixture
def scripted_backend() -> ScriptedBackend:
    """The scripted backend with answers for the contract's prompts (it honours max_tokens and stop itself)."""
    backend = ScriptedBackend(call_log=CallLog())
    backend.add_rule("Bolts, nuts, screws and anchors.", pattern="Name three things")
    backend.add_rule('{"product": "hex bolts", "quantity": 200}', pattern="JSON object")
    backend.add_rule("Once upon a time there was a warehouse full of bolts that nobody counted.",
                     pattern="long story")
    backend.add_rule("1, 2, 3, 4, 5, 6, 7, 8, 9, 10", pattern="Count from 1 to 10")
    return backend


# Every registered backend must have a fixture named "<name>_backend" here, so the contract runs over all of them.
@pytest.fixture(params=sorted(BACKENDS))
def any_backend(request: pytest.FixtureRequest) -> LLMBackend:
    fixture = f"{request.param}_backend"
    try:
        backend = request.getfixturevalue(fixture)
    except pytest.FixtureLookupError:
        pytest.fail(f"backend {request.param!r} is registered but tests/llm/conftest.py has no {fixture!r} fixture")
    assert isinstance(backend, BACKENDS[request.param])
    return backend


@pytest.fixture(autouse=True)
def _fresh_backend_cache() -> Iterator[None]:
    """get_backend() caches per configuration; tests that change settings must not see another test's backend."""
    clear_cache()
    yield
    clear_cache()
