"""Sentence embeddings for the text models (intent, sentiment), through the one embedding service.

The models, their process-wide instances and the cache live in :mod:`bizpilot.retrieval.embedders`; this module
keeps the text models' own choices, under the names their saved files store (``embedder_``):

* ``minilm``: all-MiniLM-L6-v2 int8 reading the first 128 tokens (service configuration ``minilm-128``; the
  knowledge base's ``minilm`` reads 256): good and fast for English, useless for Chinese.
* ``e5``: multilingual-e5-small, 4-bit: handles Chinese and English, several times slower.

``choose_embedder(texts)`` picks by language: Chinese text -> ``e5``, otherwise ``minilm``. Classification embeds
with the ``query:`` side of e5 (symmetric use), the first ``MAX_CHARS`` characters of each text; vectors are
L2-normalised.

A model must see the vectors it was trained with. ``embed(texts, "e5")`` is always the base model as shipped (the
shipped defaults, and any file saved before the workspace had an embedding model); a configuration recorded at fit
time, ``e5+ws-<digest>``, embeds through exactly that workspace adapter (``retrieval/embedders.py`` keeps every
adapter it read under its digest; one that is gone falls back to the base visibly, the model is stale). A model
opts in by embedding with ``record_embedding(self)`` at fit (it sets ``embedding_config_``: the workspace's
current configuration of ``embedder_``) and with ``model_embedding(self)`` at predict (``embedding_config_``, or
``embedder_`` for files saved without it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.errors import InvalidParameter

DATA_DIR = Path(__file__).parent / "data"
EMBEDDERS = ("minilm", "e5")
#: The service configuration behind each name: MiniLM keeps the 128 tokens the text models were measured with.
SERVICE_EMBEDDER = {"minilm": "minilm-128", "e5": "e5"}
MAX_CHARS = 256
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def cjk_share(texts: Sequence[str]) -> float:
    """Share of texts holding at least one CJK character (language detection good enough for zh/en)."""
    if not texts:
        return 0.0
    return sum(bool(_CJK.search(t or "")) for t in texts) / len(texts)


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def choose_embedder(texts: Sequence[str]) -> str:
    """``e5`` when a tenth or more of the texts are Chinese, else ``minilm``."""
    return "e5" if cjk_share(texts) >= 0.1 else "minilm"


def _service_name(name: str) -> str:
    """The service configuration behind a text model's name or recorded configuration."""
    base, tag, digest = (name or "").partition("+ws-")
    if base not in SERVICE_EMBEDDER:
        raise InvalidParameter(f"unknown embedder {name!r}; one of {', '.join(EMBEDDERS)}",
                               details=[{"field": "embedder", "reason": "unknown embedder", "value": name}])
    return SERVICE_EMBEDDER[base] + (tag + digest if tag else "")


def embed(texts: Sequence[str], name: str, on_progress: Callable[[int], None] | None = None,
          chunk: int = 512) -> np.ndarray:
    """Embed ``texts`` with the named embedder (``e5``/``minilm``: the base model; ``e5+ws-<digest>``: through
    that workspace adapter), reporting progress every ``chunk`` texts. Vectors come from the service's cache when a
    text was seen before (its memory for a chat message analysed for intent and then for sentiment, the workspace
    file for a retraining)."""
    service_name = _service_name(name)
    from bizpilot.retrieval.embedders import get_embedder  # the retrieval package imports jieba and sklearn

    texts = [(t or "")[:MAX_CHARS] for t in texts]  # the opening of a long review carries its polarity; cost grows
    service: Any = get_embedder(service_name)  # cached configurations: run() takes progress and chunk
    return service.run(texts, is_query=True, on_progress=on_progress, chunk=chunk)


def fit_configuration(name: str) -> str:
    """What a model fitted now with ``name`` should record: ``<name>+ws-<digest>`` when the workspace has an
    embedding model for its base, else ``name`` (also for ``none`` and names this module does not know)."""
    if name not in SERVICE_EMBEDDER:
        return name
    from bizpilot.retrieval.embedders import workspace_configuration

    _, tag, digest = workspace_configuration(SERVICE_EMBEDDER[name]).partition("+ws-")
    return f"{name}{tag}{digest}" if tag else name


def record_embedding(model: Any) -> str:
    """At fit: record on ``model`` (``embedding_config_``) the configuration of its ``embedder_`` it is fitted
    with now, and return it (pass it to :func:`embed`)."""
    model.embedding_config_ = fit_configuration(str(model.embedder_))
    return model.embedding_config_


def model_embedding(model: Any) -> str:
    """At predict: the configuration ``model`` was fitted with (a file saved without one: its base embedder)."""
    return str(getattr(model, "embedding_config_", None) or model.embedder_)


def configuration_problem(name: str) -> str | None:
    """Why the recorded configuration ``name`` cannot give the vectors it names (an adapter it names is gone: a
    model fitted with it is stale), or None. A model reading two embedders side by side records one adapter each
    (``minilm+ws-1a2b+e5+ws-3c4d``)."""
    digests = [part[3:] for part in (name or "").split("+") if part.startswith("ws-")]
    if not digests:
        return None
    from bizpilot.retrieval.embedders import adapter_by_digest

    return next((problem for problem in (adapter_by_digest(d)[1] for d in digests) if problem), None)


def embedding_problem(model: Any) -> str | None:
    """Why ``model`` cannot get the vectors it was fitted with (its adapter is gone: stale), or None."""
    return configuration_problem(model_embedding(model))


__all__ = ["EMBEDDERS", "MAX_CHARS", "SERVICE_EMBEDDER", "choose_embedder", "cjk_share", "configuration_problem",
           "embed", "embedding_problem", "fit_configuration", "is_chinese", "model_embedding", "record_embedding"]
