"""The one embedding service: ``get_embedder(name)`` gives the process-wide instance of a registered configuration,
behind the workspace cache (``embed_cache``), so a process loads each model once and embeds each text once.

Registered configurations (canonical name, the aliases callers use, what it is for):

* ``e5-small-q4`` (``e5``): multilingual-e5-small 4-bit. Knowledge base (default), cold-start product texts
  (passages), intent and sentiment (``e5``: the query side, used symmetrically).
* ``minilm-l6-int8`` (``minilm``): all-MiniLM-L6-v2 int8, first 256 tokens. English knowledge bases, retrieval
  evaluation.
* ``minilm-l6-int8-128`` (``minilm-128``): the same model reading the first 128 tokens. Intent and sentiment
  (``minilm``) were trained and measured with it; long texts get other vectors than with 256 tokens, so it stays a
  configuration of its own (own name, own cache keys) rather than changing either side's figures.
* ``hash-char-2-4`` (``hash``): hashed character n-grams, no model. Asked for by name, or given in place of a model
  that cannot load when the caller passes ``fallback=True``: then it comes wrapped as :class:`FallbackEmbedder`
  with ``fallback_reason`` set, and a warning is logged. Not cached: computing it is cheaper than reading it back.

Every returned embedder has ``name`` (also the cache-key prefix: store it next to vectors), ``dim``,
``run(texts, *, is_query=False)`` and ``fallback_reason`` (``None`` unless it stands in for another).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bizpilot.errors import ConfigError, InvalidParameter
from bizpilot.retrieval.embed_cache import CachedEmbedder, default_cache_path
from bizpilot.retrieval.embed_models import (
    DATA_DIR,
    E5Embedder,
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
    embed_threads,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbedderSpec:
    """A registered configuration: ``build`` makes the model (called once per process); ``cached`` puts the
    workspace cache in front of it."""

    name: str
    build: Callable[[], Embedder]
    aliases: tuple[str, ...] = ()
    cached: bool = True
    about: str = ""


REGISTRY: dict[str, EmbedderSpec] = {}
FALLBACK = "hash-char-2-4"


def register_embedder(spec: EmbedderSpec) -> None:
    """Add (or replace) a configuration; a replaced one's instance is dropped so the next call builds the new."""
    with _registry_lock:
        REGISTRY[spec.name] = spec
        _models.pop(spec.name, None)
        _cached.pop(spec.name, None)


def embedder_names() -> list[str]:
    """Canonical names of every registered configuration."""
    return sorted(REGISTRY)


def canonical_name(name: str) -> str:
    """The canonical name behind ``name`` or an alias (case-insensitive); an unknown name is a bad parameter."""
    key = (name or "").strip().lower()
    for spec in REGISTRY.values():
        if key == spec.name or key in spec.aliases:
            return spec.name
    choices = sorted({n for s in REGISTRY.values() for n in (s.name, *s.aliases)})
    raise InvalidParameter(f"unknown embedder {name!r}; choose one of {', '.join(choices)}",
                           details=[{"field": "embedder", "reason": "unknown embedder", "value": name}])


class FallbackEmbedder:
    """Stands in for an embedder that cannot load: the fallback's vectors and name (store that name with the
    vectors), plus ``requested`` and ``fallback_reason`` so the caller can say what happened."""

    def __init__(self, inner: Embedder, *, requested: str, reason: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.symmetric = bool(getattr(inner, "symmetric", False))
        self.requested = requested
        self.fallback_reason = reason

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        return self.inner.run(texts, is_query=is_query)


_models: dict[str, Embedder] = {}
_cached: dict[str, CachedEmbedder] = {}
_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()


def _instance(canonical: str) -> Embedder:
    """The one model of ``canonical``, built by the first caller while the others wait; a model that cannot load
    raises ``ConfigError`` (and is tried again on the next call: a package installed meanwhile is picked up)."""
    model = _models.get(canonical)
    if model is not None:
        return model
    with _registry_lock:
        lock = _locks.setdefault(canonical, threading.Lock())
    with lock:
        if canonical not in _models:
            spec = REGISTRY[canonical]
            try:
                built = spec.build()
            except Exception as exc:  # an import, file or engine failure: all mean "this model cannot run here"
                raise ConfigError(f"embedder {canonical} cannot load ({type(exc).__name__}: {exc})") from exc
            if spec.cached:
                _cached[canonical] = CachedEmbedder(built)
            _models[canonical] = built  # last: the lock-free read above must find the cache set up too
    return _models[canonical]


def get_embedder(name: str, *, cache: bool = True, fallback: bool = False) -> Embedder:
    """The process-wide embedder called ``name`` (canonical or alias), behind the workspace cache unless
    ``cache=False`` (then the bare model, e.g. to time live query embedding).

    A model that cannot load raises ``ConfigError``; with ``fallback=True`` the hashing embedder is returned
    instead, as a :class:`FallbackEmbedder` whose ``fallback_reason`` says why, and a warning is logged."""
    canonical = canonical_name(name)
    try:
        model = _instance(canonical)
    except ConfigError as exc:
        if not fallback or canonical == FALLBACK:
            raise
        log.warning("%s; using %s (hashed character n-grams) instead", exc.message, FALLBACK)
        return FallbackEmbedder(get_embedder(FALLBACK, cache=cache), requested=canonical, reason=exc.message)
    if cache and canonical in _cached:
        return _cached[canonical]
    return model


for _spec in (
    EmbedderSpec("e5-small-q4", E5Embedder, ("e5",), about="multilingual-e5-small 4-bit (zh + en)"),
    EmbedderSpec("minilm-l6-int8", lambda: MiniLMEmbedder(max_length=256, batch_size=64), ("minilm",),
                 about="all-MiniLM-L6-v2 int8, 256 tokens (English)"),
    EmbedderSpec("minilm-l6-int8-128", lambda: MiniLMEmbedder(max_length=128, batch_size=16), ("minilm-128",),
                 about="all-MiniLM-L6-v2 int8, 128 tokens (intent and sentiment)"),
    EmbedderSpec(FALLBACK, HashingEmbedder, ("hash",), cached=False,
                 about="hashed character n-grams (no model; the fallback)"),
):
    REGISTRY[_spec.name] = _spec


__all__ = ["DATA_DIR", "FALLBACK", "REGISTRY", "CachedEmbedder", "E5Embedder", "Embedder", "EmbedderSpec",
           "FallbackEmbedder", "HashingEmbedder", "MiniLMEmbedder", "canonical_name", "default_cache_path",
           "embed_threads", "embedder_names", "get_embedder", "register_embedder"]
