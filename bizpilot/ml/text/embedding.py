"""Sentence embeddings for the text models (intent, sentiment), through the one embedding service.

The models, their process-wide instances and the cache live in :mod:`bizpilot.retrieval.embedders`; this module
keeps the text models' own choices, under the names their saved files store (``embedder_``):

* ``minilm``: all-MiniLM-L6-v2 int8 reading the first 128 tokens (service configuration ``minilm-128``; the
  knowledge base's ``minilm`` reads 256): good and fast for English, useless for Chinese.
* ``e5``: multilingual-e5-small, 4-bit: handles Chinese and English, several times slower.

``choose_embedder(texts)`` picks by language: Chinese text -> ``e5``, otherwise ``minilm``. Classification embeds
with the ``query:`` side of e5 (symmetric use), the first ``MAX_CHARS`` characters of each text; vectors are
L2-normalised.
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


def embed(texts: Sequence[str], name: str, on_progress: Callable[[int], None] | None = None,
          chunk: int = 512) -> np.ndarray:
    """Embed ``texts`` with the named embedder, reporting progress every ``chunk`` texts. Vectors come from the
    service's cache when a text was seen before (its memory for a chat message analysed for intent and then for
    sentiment, the workspace file for a retraining)."""
    if name not in SERVICE_EMBEDDER:
        raise InvalidParameter(f"unknown embedder {name!r}; one of {', '.join(EMBEDDERS)}",
                               details=[{"field": "embedder", "reason": "unknown embedder", "value": name}])
    from bizpilot.retrieval.embedders import get_embedder  # the retrieval package imports jieba and sklearn

    texts = [(t or "")[:MAX_CHARS] for t in texts]  # the opening of a long review carries its polarity; cost grows
    service: Any = get_embedder(SERVICE_EMBEDDER[name])  # cached configurations: run() takes progress and chunk
    return service.run(texts, is_query=True, on_progress=on_progress, chunk=chunk)


__all__ = ["EMBEDDERS", "MAX_CHARS", "SERVICE_EMBEDDER", "choose_embedder", "cjk_share", "embed", "is_chinese"]
