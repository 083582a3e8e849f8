"""Where model files live and the one cache of loaded models.

Every workspace model is one file, ``<models_dir>/<name>.npz`` (``ml/base.py``'s pickle-free format), written
atomically. Loading goes through one cache per process, guarded by a lock and keyed on the file's path, size and
modification time, so a retrain in another process (the CLI while `serve` runs) is picked up on the next read and a
model is never loaded twice by concurrent requests.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bizpilot.config import get_settings
from bizpilot.errors import ModelFileError
from bizpilot.ml.base import Estimator
from bizpilot.services.models.spec import ModelSpec


class ModelStore:
    """Model files of one workspace's models directory (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[tuple[int, int], Estimator]] = {}

    def path(self, spec: ModelSpec) -> Path | None:
        return self.directory / spec.artifact if spec.artifact else None

    def exists(self, spec: ModelSpec) -> bool:
        path = self.path(spec)
        return path is not None and path.is_file()

    def save(self, spec: ModelSpec, model: Estimator) -> Path:
        """Write ``model`` as the spec's file (atomically) and make it the cached one."""
        path = self.path(spec)
        if path is None:
            raise ModelFileError(f"model {spec.name!r} keeps no file")
        if spec.estimator is not None and not isinstance(model, spec.estimator):
            raise ModelFileError(f"model {spec.name!r} expects a {spec.estimator.__name__}, got "
                                 f"{type(model).__name__}")
        written = model.save(path)
        stat = written.stat()
        with self._lock:
            self._loaded[str(written)] = ((stat.st_size, stat.st_mtime_ns), model)
        return written

    def load(self, spec: ModelSpec) -> Estimator:
        """The saved model (from the cache while the file is unchanged); ``ModelFileError`` when there is none or
        it does not load."""
        path = self.path(spec)
        if path is None or not path.is_file():
            raise ModelFileError(f"no saved {spec.name} model in {self.directory}")
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            hit = self._loaded.get(str(path))
            if hit is not None and hit[0] == stamp:
                return hit[1]
            target = spec.estimator or Estimator
            model = target.load(path)
            self._loaded[str(path)] = (stamp, model)
            return model

    def forget(self, spec: ModelSpec | None = None) -> None:
        """Drop cached models (all, or one spec's); the next ``load`` reads the file again."""
        with self._lock:
            if spec is None:
                self._loaded.clear()
            elif (path := self.path(spec)) is not None:
                self._loaded.pop(str(path), None)

    def remove(self, spec: ModelSpec) -> bool:
        """Delete the spec's file (back to "not trained"); True when there was one."""
        path = self.path(spec)
        self.forget(spec)
        if path is not None and path.is_file():
            path.unlink()
            return True
        return False


_stores: dict[str, ModelStore] = {}
_stores_lock = threading.Lock()


def get_store() -> ModelStore:
    """The store of the configured workspace (one per models directory, so tests can switch workspaces)."""
    directory = get_settings().models_dir
    with _stores_lock:
        store = _stores.get(str(directory))
        if store is None:
            store = _stores[str(directory)] = ModelStore(directory)
        return store


__all__ = ["ModelStore", "get_store"]
