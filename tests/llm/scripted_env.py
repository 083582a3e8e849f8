"""Configure the workspace's LLM as the scripted backend (``BIZPILOT_LLM_BACKEND=scripted`` + a script file),
the way a deterministic demo or CI run does, for tests that go through the edges (API, pages, CLI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bizpilot.config import reset_settings
from bizpilot.llm import clear_cache


@contextmanager
def scripted_llm(monkeypatch: pytest.MonkeyPatch, path: Path, script: dict[str, Any]) -> Iterator[Path]:
    """Write ``script`` to ``path`` and make it the configured backend until the block ends."""
    path.write_text(json.dumps(script), encoding="utf-8")
    with monkeypatch.context() as env:
        env.setenv("BIZPILOT_LLM_BACKEND", "scripted")
        env.setenv("BIZPILOT_LLM_MODEL_PATH", str(path))
        env.setenv("BIZPILOT_LLM_CALL_LOG", "0")
        reset_settings()
        clear_cache()
        try:
            yield path
        finally:
            clear_cache()
    reset_settings()
