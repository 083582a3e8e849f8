"""The embedding cache: a small in-memory LRU in front of one SQLite file inside the workspace.

Vectors are keyed by ``<model name>:<kind>:<sha1 of the text>``, kind ``s`` for a symmetric model (same vector as
query or passage), else ``q``/``p``; the key format is the one older releases used in ``~/.cache/bizpilot``, so such
a file can be copied into the workspace's ``cache/`` folder and is used as is. The file's place is resolved on
every call (``Settings.resolved_cache_dir``: ``<BIZPILOT_HOME>/cache`` unless ``BIZPILOT_CACHE_DIR`` says
otherwise), so switching workspaces in one process switches caches.

Missing texts are embedded once each, in chunks, and written after every chunk: a long first run that is stopped
keeps what it computed, and progress can be reported. The LRU remembers only small batches (a chat message looked
at for intent and then for sentiment); bulk runs would only flush it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bizpilot.config import get_settings
from bizpilot.errors import ConfigError
from bizpilot.retrieval.embed_models import Embedder

CACHE_FILE = "embeddings.sqlite"
CHUNK = 512  # texts per model call between writes and progress reports
SMALL_BATCH = 8  # batches up to this size are remembered in memory
MEMORY_SIZE = 1024  # vectors kept in memory per embedder
_SQL_BATCH = 500  # keys per SELECT (SQLite's variable limit)


def default_cache_path() -> Path:
    """The workspace's cache file, resolved now from the settings."""
    return get_settings().resolved_cache_dir / CACHE_FILE


class CachedEmbedder:
    """Any embedder behind the memory LRU and the SQLite file. ``path`` pins a file (tests, tools); by default it
    follows the current workspace. Counters: ``memory_hits`` and ``disk_hits`` count texts served from each
    layer, ``misses`` the distinct texts the model embedded."""

    fallback_reason: str | None = None

    def __init__(self, inner: Embedder, *, path: Path | str | None = None, memory_size: int = MEMORY_SIZE) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.symmetric = bool(getattr(inner, "symmetric", False))
        self._path = Path(path) if path else None
        self.memory_size = memory_size
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # guards the LRU and the counters; the models guard themselves
        self._db_lock = threading.Lock()  # guards the connections (one per cache file used)
        self._connections: dict[Path, sqlite3.Connection] = {}
        self.memory_hits = 0
        self.disk_hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"CachedEmbedder({self.name!r})"

    @property
    def path(self) -> Path:
        return self._path or default_cache_path()

    @property
    def hits(self) -> int:
        return self.memory_hits + self.disk_hits

    def key(self, text: str, is_query: bool) -> str:
        kind = "s" if self.symmetric else ("q" if is_query else "p")
        return f"{self.name}:{kind}:{hashlib.sha1(text.encode('utf-8')).hexdigest()}"

    def clear_memory(self) -> None:
        """Forget the in-memory vectors (the file stays)."""
        with self._lock:
            self._memory.clear()

    def run(self, texts: Sequence[str], *, is_query: bool = False, on_progress: Callable[[int], None] | None = None,
            chunk: int = CHUNK) -> np.ndarray:
        """Vectors of ``texts`` (one row each, in order); ``on_progress(n)`` hears how many are ready after each
        chunk the model embedded (once, with all of them, when everything came from the cache)."""
        texts = [t or "" for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self.key(t, is_query) for t in texts]
        found = self._recall(keys)
        if len(found) < len(set(keys)):
            self._fill(found, texts, keys, is_query, on_progress, max(1, chunk))
        elif on_progress:
            on_progress(len(texts))
        if len(texts) <= SMALL_BATCH:
            self._remember(found)
        return np.vstack([found[k] for k in keys])

    def _recall(self, keys: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {}
            for k in dict.fromkeys(keys):
                if k in self._memory:
                    self._memory.move_to_end(k)
                    found[k] = self._memory[k]
            self.memory_hits += sum(1 for k in keys if k in found)
        return found

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for k, v in vectors.items():
                self._memory[k] = v
                self._memory.move_to_end(k)
            while len(self._memory) > self.memory_size:
                self._memory.popitem(last=False)

    def _fill(self, found: dict[str, np.ndarray], texts: list[str], keys: list[str], is_query: bool,
              on_progress: Callable[[int], None] | None, chunk: int) -> None:
        """Read what the file has, embed the rest chunk by chunk and write each chunk (the database is held only
        to read and to write, never while a model runs)."""
        counts = Counter(keys)
        with self._database() as conn:
            from_disk = self._read(conn, [k for k in counts if k not in found])
        found.update(from_disk)
        first: dict[str, int] = {}  # each missing text is embedded once, even when it repeats
        for i, k in enumerate(keys):
            if k not in found:
                first.setdefault(k, i)
        missing = list(first.items())
        ready = len(keys) - sum(counts[k] for k in first)
        with self._lock:
            self.disk_hits += sum(counts[k] for k in from_disk)
            self.misses += len(missing)
        for start in range(0, len(missing), chunk):
            part = missing[start:start + chunk]
            vectors = np.asarray(self.inner.run([texts[i] for _, i in part], is_query=is_query), dtype=np.float32)
            with self._database() as conn:
                conn.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                                 [(k, v.tobytes()) for (k, _), v in zip(part, vectors, strict=True)])
                conn.commit()
            found.update((k, v) for (k, _), v in zip(part, vectors, strict=True))
            ready += sum(counts[k] for k, _ in part)
            if on_progress:
                on_progress(ready)
        if not missing and on_progress:
            on_progress(len(keys))

    def _read(self, conn: sqlite3.Connection, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        size = self.dim * 4
        for i in range(0, len(keys), _SQL_BATCH):
            batch = keys[i:i + _SQL_BATCH]
            marks = ",".join("?" * len(batch))
            for key, blob in conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", batch):
                if len(blob) == size:  # a damaged row is embedded again (and overwritten)
                    out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    @contextmanager
    def _database(self) -> Iterator[sqlite3.Connection]:
        """The open connection to the current cache file, one caller at a time. Connections stay open: opening
        and closing one per call cost ~25 ms (the close checkpoints and syncs), more than embedding a query."""
        path = self.path
        with self._db_lock:
            conn = self._connections.get(path)
            if conn is None:
                conn = self._connections[path] = _open(path)
            try:
                yield conn
            except sqlite3.Error as exc:
                self._connections.pop(path, None)
                conn.close()
                raise ConfigError(f"cannot use the embedding cache {path} ({exc}); point BIZPILOT_CACHE_DIR at a "
                                  "writable folder") from exc


def _open(path: Path) -> sqlite3.Connection:
    conn: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)  # shared under the cache's lock
        # WAL: readers never wait for a writer (the dashboard while `train` runs), and a commit needs no flush to
        # disk; the vectors can always be computed again.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        conn.commit()
    except (OSError, sqlite3.Error) as exc:
        if conn is not None:
            conn.close()
        raise ConfigError(f"cannot use the embedding cache {path} ({exc}); point BIZPILOT_CACHE_DIR at a "
                          "writable folder") from exc
    return conn


__all__ = ["CACHE_FILE", "CachedEmbedder", "default_cache_path"]
