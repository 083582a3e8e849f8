"""The one base every bizpilot model builds on: scikit-learn conventions and a pickle-free, version-stamped file.

Conventions (as in scikit-learn): ``__init__`` only stores its keyword arguments under the same names, ``fit``
returns ``self``, and everything learned ends in ``_``. ``save(path)`` writes one ``.npz`` file holding

* ``__meta__``: JSON with the file format version, the bizpilot version, the class (``module:Name``), the
  hyperparameters (``get_params()``) and every learned attribute that is JSON-serialisable;
* one array per learned numpy array (and scipy sparse matrices as their CSR parts).

``load(path)`` reads it back with ``allow_pickle=False`` (a model file cannot run code), checks the class and the
format version, and refuses a file written by a newer format. A model whose state is neither JSON nor arrays
(e.g. a LightGBM booster: store its text dump as a string attribute) overrides ``_get_state``/``_set_state``.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import os
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any, Self

import numpy as np

from bizpilot.errors import InvalidParameter, ModelFileError, NotFittedError

FORMAT_VERSION = 1
_META_KEY = "__meta__"
_SPARSE_PARTS = ("data", "indices", "indptr", "shape")


class Estimator:
    """Base of all bizpilot models: parameters, fitted check and one save/load."""

    def get_params(self) -> dict[str, Any]:
        """The ``__init__`` keyword arguments as currently set (stored under the same names)."""
        names = [p.name for p in inspect.signature(type(self).__init__).parameters.values()
                 if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Self:
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise InvalidParameter(f"{type(self).__name__} has no parameter {name!r}; valid: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fitted state ------------------------------------------------------------------------------------------

    def _learned_names(self) -> list[str]:
        return sorted(k for k in vars(self) if k.endswith("_") and not k.startswith("_"))

    @property
    def is_fitted(self) -> bool:
        return bool(self._learned_names())

    def check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() or load() first")

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able learned values, arrays) for ``save``; override for state of other kinds."""
        meta: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        sparse_names: list[str] = []
        for name in self._learned_names():
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                if value.dtype == object:
                    raise ModelFileError(f"{type(self).__name__}.{name} is an object array; store it as a list")
                arrays[name] = value
            elif _is_sparse(value):
                csr = value.tocsr()
                for part in _SPARSE_PARTS:
                    arrays[f"{name}.{part}"] = np.asarray(getattr(csr, part))
                sparse_names.append(name)
            else:
                meta[name] = _jsonable(value, f"{type(self).__name__}.{name}")
        if sparse_names:
            meta["__sparse__"] = sparse_names
        return meta, arrays

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        sparse_names = set(meta.pop("__sparse__", []))
        for name, value in meta.items():
            setattr(self, name, value)
        for name in sparse_names:
            from scipy import sparse

            parts = {p: arrays.pop(f"{name}.{p}") for p in _SPARSE_PARTS}
            setattr(self, name, sparse.csr_matrix((parts["data"], parts["indices"], parts["indptr"]),
                                                  shape=tuple(int(x) for x in parts["shape"])))
        for name, value in arrays.items():
            setattr(self, name, value)

    # -- files ---------------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` (``.npz`` is appended when missing); returns the path written."""
        self.check_fitted()
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        state, arrays = self._get_state()
        import bizpilot

        meta = {"format": FORMAT_VERSION, "bizpilot": getattr(bizpilot, "__version__", "dev"),
                "class": f"{type(self).__module__}:{type(self).__qualname__}",
                "params": _jsonable(self.get_params(), f"{type(self).__name__} parameters"), "state": state}
        blob = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Atomic and durable: written under a name of this thread's own (two writers, threads of one process
        # included, never share it; a file left by a killed process is recognisable by its pid, the last part),
        # flushed to disk, then renamed over the old file, so the path holds the old model or the new one, never
        # half of one, even after a crash.
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **{_META_KEY: blob}, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by ``save``; ``Estimator.load`` returns whatever class the file holds."""
        meta, arrays = read_model_file(path)
        if cls is Estimator:
            target = _resolve_class(meta["class"], path)
        elif meta["class"] == f"{cls.__module__}:{cls.__qualname__}":
            target = cls
        else:
            raise ModelFileError(f"{path} holds a {meta['class'].rpartition(':')[2]}, not a {cls.__name__}")
        model = target(**meta["params"])
        model._set_state(dict(meta["state"]), arrays)
        return model


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_model_file(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metadata, arrays) of a model file, checked for format; raises ``ModelFileError`` with the reason."""
    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays.pop(_META_KEY).tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        # a truncated or damaged file (zip CRC, deflate stream) is refused with the reason, never half-loaded
        raise ModelFileError(f"{path} is not a bizpilot model file or is damaged ({exc})") from None
    if not isinstance(meta, dict) or "format" not in meta or "class" not in meta:
        raise ModelFileError(f"{path} is not a bizpilot model file (no format stamp)")
    if int(meta["format"]) > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by model format {meta['format']} (bizpilot "
                             f"{meta.get('bizpilot')}); this bizpilot reads up to {FORMAT_VERSION}: upgrade it")
    return meta, arrays


def _resolve_class(spec: str, path: str | Path) -> type[Estimator]:
    module_name, _, qualname = spec.partition(":")
    if not module_name.startswith("bizpilot."):
        raise ModelFileError(f"{path} names a class outside bizpilot ({spec}); refusing to load it")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise ModelFileError(f"{path} holds {spec}, which this bizpilot does not have") from None
    if not (isinstance(obj, type) and issubclass(obj, Estimator)):
        raise ModelFileError(f"{path} names {spec}, which is not a bizpilot model")
    return obj


def _is_sparse(value: Any) -> bool:
    try:
        from scipy import sparse
    except ImportError:  # pragma: no cover - scipy is a core dependency
        return False
    return sparse.issparse(value)


def _jsonable(value: Any, what: str) -> Any:
    """``value`` with numpy scalars/arrays turned into plain Python, or ``ModelFileError`` naming ``what``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v, what) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, what) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ModelFileError(f"{what} holds a {type(value).__name__}, which a model file cannot store; override "
                         "_get_state/_set_state")


__all__ = ["FORMAT_VERSION", "Estimator", "ModelFileError", "NotFittedError", "read_model_file"]
