"""Backends by name: ``@register_backend`` on a class, ``get_backend(settings)`` picks ``settings.llm_backend``.

Core code never branches on the provider; a new backend is a module with a registered class that knows how to
build itself from settings (``from_settings``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bizpilot.errors import ConfigError

if TYPE_CHECKING:
    from bizpilot.config import Settings
    from bizpilot.llm.base import LLMBackend

B = TypeVar("B", bound="type[LLMBackend]")

BACKENDS: dict[str, type[LLMBackend]] = {}
_cache: dict[tuple[Any, ...], LLMBackend] = {}
_cache_lock = threading.Lock()


def register_backend(name: str) -> Callable[[B], B]:
    """Class decorator: make a backend selectable as ``BIZPILOT_LLM_BACKEND=<name>``."""

    def decorate(cls: B) -> B:
        if name in BACKENDS and BACKENDS[name] is not cls:
            raise ValueError(f"LLM backend name {name!r} is already taken by {BACKENDS[name].__qualname__}")
        cls.name = name
        BACKENDS[name] = cls
        return cls

    return decorate


def backend_class(name: str) -> type[LLMBackend]:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(f"unknown LLM backend {name!r} (BIZPILOT_LLM_BACKEND); available: "
                          f"{', '.join(sorted(BACKENDS))}",
                          details=[{"field": "llm_backend", "reason": "unknown backend"}]) from None


def get_backend(settings: Settings | None = None, *, name: str | None = None, cached: bool = True) -> LLMBackend:
    """The configured backend, built once per configuration (loading a local model takes a while)."""
    from bizpilot.config import get_settings

    settings = settings or get_settings()
    cls = backend_class(name or settings.llm_backend)
    if not cached:
        return cls.from_settings(settings)
    key = (cls.name, *cls.cache_key(settings))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = cls.from_settings(settings)
        return _cache[key]


def clear_cache() -> None:
    """Drop built backends (tests, or after changing settings in a long-running process)."""
    with _cache_lock:
        for backend in _cache.values():
            backend.close()
        _cache.clear()
