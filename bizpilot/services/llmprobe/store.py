"""Where capability-probe results live: one JSON file in the workspace (``llm_probe.json``), keyed by model.

Kept apart from the probe itself (which needs the content checks) so the content service can ask
``probe_passed`` without importing anything of its own back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE_NAME = "llm_probe.json"


def model_key(backend: Any) -> str:
    """``<backend>:<model>``, the name a probe result is stored under (``local:qwen2.5-coder-1.5b-instruct-q4_k_m``);
    a remote model adds its endpoint (``openai:deepseek-chat@https://api.deepseek.com/v1``), since two endpoints may
    serve different models under one name."""
    base_url = getattr(backend, "base_url", None) if getattr(backend, "remote", False) else None
    return f"{backend.name}:{backend.model_name}" + (f"@{base_url}" if base_url else "")


def _path(home: Path | None) -> Path:
    if home is None:
        from bizpilot.config import get_settings

        home = get_settings().resolved_home
    return home / FILE_NAME


def load_results(*, home: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every stored probe result by model key (empty when none was run or the file is unreadable)."""
    path = _path(home)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def save_result(result: dict[str, Any], *, home: Path | None = None) -> Path:
    """Store one model's result (replacing its previous one); written whole to a temporary file, then renamed."""
    path = _path(home)
    results = load_results(home=home)
    results[result["model"]] = result
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def probe_result(model: str, *, home: Path | None = None) -> dict[str, Any] | None:
    return load_results(home=home).get(model)


def probe_passed(model: str, *, language: str | None = None, home: Path | None = None) -> bool | None:
    """Whether ``model`` (a ``model_key``) passed its latest capability probe, in ``language`` when given and the
    result has a verdict per language (else overall); None when it was never probed, which callers treat as "let it
    draft" (every draft is still checked) rather than blocking it unseen."""
    result = probe_result(model, home=home)
    if result is None:
        return None
    languages = result.get("languages")
    if language is not None and isinstance(languages, dict) and language in languages:
        return bool(languages[language])
    return bool(result.get("passed"))
