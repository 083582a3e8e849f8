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

The workspace embedding model (``bizpilot train embedder``: an adapter learned from the team's pairs, saved as
``<models_dir>/embedder.npz``) is asked for, never imposed: a stored model must see the vectors it was trained
with, so a plain name (``e5``) always means the base model as shipped, and the adapter comes in two ways:

* ``adapted=True``: the workspace's current adapter for this model's family (:class:`AdaptedEmbedder`, named
  ``<base name>+ws-<digest of the adapter>``). For callers that store the embedder's name next to the vectors and
  re-embed whatever another name made (the knowledge base), and for fitting: ``workspace_configuration(name)``
  gives the name a model being fitted now records.
* a recorded configuration ``<name>+ws-<digest>`` (``e5+ws-1a2b3c4d5e``): exactly that adapter, whatever the
  workspace's current one is. Every adapter the service reads is also kept under its digest
  (``<models_dir>/embedders/ws-<digest>.npz``, 0.6 MB), so a model fitted before a retrain still loads its own.

Stored vectors and cache keys never mix adapted and base vectors (other names); the base vectors stay cached under
the base name (the adapter is one matrix product away). An adapter that cannot be read, does not fit the model or
(for a recorded digest) no longer exists falls back to the base embedder visibly: a warning is logged and the
returned :class:`FallbackEmbedder` says why (for a recorded digest: the model that recorded it is stale).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.config import get_settings
from bizpilot.errors import BizpilotError, ConfigError, InvalidParameter
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

    def run(self, texts: Sequence[str], *, is_query: bool = False, **options: Any) -> np.ndarray:
        if options and isinstance(self.inner, CachedEmbedder):  # progress/chunk of a cached configuration
            return self.inner.run(texts, is_query=is_query, **options)
        return self.inner.run(texts, is_query=is_query)


#: Workspace adapters apply to every configuration of the model they were trained on.
FAMILY = {"e5-small-q4": "e5", "minilm-l6-int8": "minilm", "minilm-l6-int8-128": "minilm"}
WORKSPACE_MODEL = "embedder.npz"  # the "embedder" model's file in the workspace's models directory


class AdaptedEmbedder:
    """A base embedder followed by the workspace's adapter: its own name (``<base>+ws-<digest>``), the base's
    dimension and query/passage behaviour; ``run`` takes what the base takes (progress and chunk when cached)."""

    fallback_reason: str | None = None

    def __init__(self, inner: Embedder, adapter: Any, *, digest: str) -> None:
        self.inner = inner
        self.adapter = adapter
        self.base_name = inner.name
        self.name = f"{inner.name}+ws-{digest}"
        self.dim = inner.dim
        self.symmetric = bool(getattr(inner, "symmetric", False))

    def run(self, texts: Sequence[str], *, is_query: bool = False, **options: Any) -> np.ndarray:
        base = self.inner.run(texts, is_query=is_query, **options) if options else self.inner.run(
            texts, is_query=is_query)
        return self.adapter.transform(base) if len(base) else base


_adapter_lock = threading.Lock()
_adapter_state: dict[str, Any] = {"stamp": None, "adapter": None, "digest": None, "problem": None}
_adapted: dict[tuple[str, str, bool], AdaptedEmbedder] = {}
_archived: dict[tuple[str, str], Any] = {}  # (archive file, digest) -> adapter read from it
_warned: set[tuple[Any, str]] = set()
ARCHIVE_DIR = "embedders"  # <models_dir>/embedders/ws-<digest>.npz: every adapter a stored model may have recorded
_TAG = "+ws-"


def split_configuration(name: str) -> tuple[str, str | None]:
    """(base name, adapter digest or None) of a configuration name: ``e5`` -> ("e5", None), ``e5+ws-1a2b`` ->
    ("e5", "1a2b"); a name ending in ``+ws-`` with no digest is a bad parameter."""
    base, tag, digest = (name or "").strip().partition(_TAG)
    digest = digest.strip().lower()
    if tag and (not digest or not digest.isalnum()):
        raise InvalidParameter(f"embedder configuration {name!r} names no adapter digest",
                               details=[{"field": "embedder", "reason": "no adapter digest", "value": name}])
    return base, (digest or None)


def _digest(adapter: Any) -> str:
    return hashlib.sha1(np.ascontiguousarray(adapter.weight_).tobytes()).hexdigest()[:10]


def archived_adapter_path(digest: str) -> Path:
    """Where the adapter with ``digest`` is kept once the service has read it (resolved now)."""
    return get_settings().models_dir / ARCHIVE_DIR / f"ws-{digest}.npz"


def _archive(path: Path, digest: str) -> None:
    """Keep a copy of the workspace adapter under its digest (written once, atomically; a failure is logged: the
    adapter still works, only a later retrain would leave models that recorded it stale)."""
    target = archived_adapter_path(digest)
    if target.is_file():
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(path.read_bytes())
        tmp.replace(target)
    except OSError as exc:
        log.warning("could not keep the workspace embedding model under its digest (%s): %s", target, exc)


def workspace_adapter_path() -> Path:
    """Where the workspace embedding model lives (resolved now: switching workspaces switches adapters)."""
    return get_settings().models_dir / WORKSPACE_MODEL


def workspace_adapter() -> tuple[Any, str | None, str | None]:
    """(adapter, digest, problem) of the workspace's embedding model: (None, None, None) when there is none, a
    problem text when the file is there but unusable. Re-read when the file's size or time changes (a retrain in
    another process is picked up on the next call); a usable one is kept under its digest too."""
    path = workspace_adapter_path()
    try:
        stat = path.stat()
    except OSError:
        return None, None, None
    stamp = (str(path), stat.st_size, stat.st_mtime_ns)
    with _adapter_lock:
        if _adapter_state["stamp"] != stamp:
            adapter = digest = problem = None
            try:
                from bizpilot.ml.text.adapter import EmbeddingAdapter

                adapter = EmbeddingAdapter.load(path)
                adapter.check_fitted()
                digest = _digest(adapter)
            except (BizpilotError, OSError, ValueError, AttributeError) as exc:
                adapter, problem = None, f"workspace embedding model {path} is unusable ({exc})"
            if digest is not None:
                _archive(path, digest)
            _adapter_state.update(stamp=stamp, adapter=adapter, digest=digest, problem=problem)
        return _adapter_state["adapter"], _adapter_state["digest"], _adapter_state["problem"]


def adapter_by_digest(digest: str) -> tuple[Any, str | None]:
    """(adapter, problem) for a recorded digest: the workspace's current adapter when it is that one, else the
    copy kept under the digest; the problem says why there is none (retrained since and the copy is gone)."""
    adapter, current, _ = workspace_adapter()
    if adapter is not None and current == digest:
        return adapter, None
    path = archived_adapter_path(digest)
    key = (str(path), digest)
    with _adapter_lock:
        if key in _archived and path.is_file():  # a removed copy counts as gone here as in a fresh process
            return _archived[key], None
        _archived.pop(key, None)
    try:
        from bizpilot.ml.text.adapter import EmbeddingAdapter

        found = EmbeddingAdapter.load(path)
        found.check_fitted()
    except (BizpilotError, OSError, ValueError, AttributeError) as exc:
        return None, (f"the workspace embedding model ws-{digest} this model was fitted with is gone ({exc}); "
                      "the model is stale: retrain it")
    if _digest(found) != digest:
        return None, f"{path} does not hold the workspace embedding model ws-{digest}; the model is stale: retrain it"
    with _adapter_lock:
        _archived[key] = found
    return found, None


def _warn_once(key: Any, canonical: str, problem: str) -> None:
    if (key, canonical) not in _warned:
        _warned.add((key, canonical))
        log.warning("%s; using the base embedder %s instead", problem, canonical)


def _adapted_instance(canonical: str, base: Embedder, adapter: Any, digest: str, cache: bool) -> AdaptedEmbedder:
    key = (canonical, digest, cache)
    found = _adapted.get(key)
    if found is None or found.adapter is not adapter or found.inner is not base:
        found = _adapted[key] = AdaptedEmbedder(base, adapter, digest=digest)
    return found


def _fit_problem(canonical: str, base: Embedder, adapter: Any) -> str | None:
    if getattr(adapter, "base_", None) != FAMILY.get(canonical):
        return f"the workspace embedding model was trained for {getattr(adapter, 'base_', None)}, not {canonical}"
    if getattr(adapter, "dim_", None) != base.dim:
        return f"workspace embedding model maps {adapter.dim_}-d vectors, {canonical} gives {base.dim}-d"
    return None


def _with_workspace_adapter(canonical: str, base: Embedder, *, cache: bool) -> Embedder:
    """``base`` behind the workspace adapter of its family, if there is one (see the module docstring)."""
    family = FAMILY.get(canonical)
    if family is None:
        return base
    adapter, digest, problem = workspace_adapter()
    if problem is None and adapter is not None and getattr(adapter, "base_", None) != family:
        return base  # trained for the other language's model: not this one's
    if problem is None and adapter is not None:
        problem = _fit_problem(canonical, base, adapter)
    if problem is not None:
        _warn_once(_adapter_state["stamp"], canonical, problem)
        return FallbackEmbedder(base, requested=f"{canonical}+ws", reason=problem)
    if adapter is None or digest is None:
        return base
    return _adapted_instance(canonical, base, adapter, digest, cache)


def _with_recorded_adapter(canonical: str, base: Embedder, digest: str, *, cache: bool) -> Embedder:
    """``base`` behind the adapter ``digest`` a stored model recorded, or the base, visibly, when it is gone."""
    adapter, problem = adapter_by_digest(digest)
    if problem is None:
        problem = _fit_problem(canonical, base, adapter)
    if problem is not None:
        _warn_once(("recorded", digest), canonical, problem)
        return FallbackEmbedder(base, requested=f"{canonical}{_TAG}{digest}", reason=problem)
    return _adapted_instance(canonical, base, adapter, digest, cache)


def workspace_configuration(name: str) -> str:
    """The configuration a model fitted now should record for ``name``: ``<name>+ws-<digest>`` when the workspace
    has a usable adapter for its family, else ``name`` (the base). Pass it back to ``get_embedder`` later."""
    base_name, digest = split_configuration(name)
    if digest is not None:
        return f"{base_name}{_TAG}{digest}"
    family = FAMILY.get(canonical_name(base_name))
    adapter, current, problem = workspace_adapter() if family else (None, None, None)
    if problem is None and adapter is not None and current and getattr(adapter, "base_", None) == family:
        return f"{base_name}{_TAG}{current}"
    return base_name


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


def get_embedder(name: str, *, cache: bool = True, fallback: bool = False, adapted: bool = False) -> Embedder:
    """The process-wide embedder called ``name`` (canonical or alias), behind the workspace cache unless
    ``cache=False`` (then the bare model, e.g. to time live query embedding). A plain name is the base model as
    shipped; ``adapted=True`` puts the workspace's current embedding model in front of it, and a recorded
    configuration ``<name>+ws-<digest>`` exactly that adapter (see the module docstring).

    A model that cannot load raises ``ConfigError``; with ``fallback=True`` the hashing embedder is returned
    instead, as a :class:`FallbackEmbedder` whose ``fallback_reason`` says why, and a warning is logged."""
    base_name, digest = split_configuration(name)
    canonical = canonical_name(base_name)
    try:
        model = _instance(canonical)
    except ConfigError as exc:
        if not fallback or canonical == FALLBACK:
            raise
        log.warning("%s; using %s (hashed character n-grams) instead", exc.message, FALLBACK)
        return FallbackEmbedder(get_embedder(FALLBACK, cache=cache), requested=canonical, reason=exc.message)
    base: Embedder = _cached[canonical] if cache and canonical in _cached else model
    if digest is not None:
        return _with_recorded_adapter(canonical, base, digest, cache=cache)
    return _with_workspace_adapter(canonical, base, cache=cache) if adapted else base


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


__all__ = ["ARCHIVE_DIR", "DATA_DIR", "FALLBACK", "FAMILY", "REGISTRY", "WORKSPACE_MODEL", "AdaptedEmbedder",
           "CachedEmbedder", "E5Embedder", "Embedder", "EmbedderSpec", "FallbackEmbedder", "HashingEmbedder",
           "MiniLMEmbedder", "adapter_by_digest", "archived_adapter_path", "canonical_name", "default_cache_path",
           "embed_threads", "embedder_names", "get_embedder", "register_embedder", "split_configuration",
           "workspace_adapter", "workspace_adapter_path", "workspace_configuration"]
