"""Every language model this workspace can use, with its stored probe result and what that decides: the packaged
local models (installed or not), the backend the server is configured with (``BIZPILOT_LLM_*``) and the workspace's
remote endpoint. Read by the Settings page and ``bizpilot llm models``.

Nothing here loads a model, joins a packaged one or calls an endpoint: it reads settings, package metadata and the
stored results, so a page can show it on every request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bizpilot.services.llmprobe.endpoint import Endpoint, get_endpoint
from bizpilot.services.llmprobe.jobs import job_state
from bizpilot.services.llmprobe.store import load_results

CAPABILITY_ORDER = ("voice", "language", "facts", "form")


def probe_summary(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a stored result people look at: the verdict, each capability, the score, when, how fast."""
    if result is None:
        return None
    caps = result.get("capabilities") or {}
    return {"passed": bool(result.get("passed")), "score": result.get("score"), "date": result.get("date"),
            "capabilities": {c: caps.get(c) for c in CAPABILITY_ORDER if c in caps},
            "failed": [c for c in CAPABILITY_ORDER if caps.get(c) is False],
            "tokens_per_s": result.get("tokens_per_s"), "probe_version": result.get("probe_version"),
            "languages": dict(result.get("languages") or {})}


def writes(probe: dict[str, Any] | None) -> str:
    """Who writes content while this model is the one configured: ``llm`` (it passed: its drafts are used once
    checked), ``llm_unprobed`` (never probed: it drafts, every draft checked and replaced when it fails) or
    ``deterministic`` (it failed the probe: the deterministic path writes), or ``llm_partial`` (it failed overall
    but passed in some languages: it drafts in those, the deterministic path writes the others)."""
    if probe is None:
        return "llm_unprobed"
    if probe["passed"]:
        return "llm"
    return "llm_partial" if any((probe.get("languages") or {}).values()) else "deterministic"


def drafting_languages(probe: dict[str, Any] | None) -> list[str]:
    """The languages a probed model drafts in (those whose verdict passed)."""
    return sorted(lang for lang, ok in ((probe or {}).get("languages") or {}).items() if ok)


def _local_result(results: dict[str, dict[str, Any]], packaged: str | None, stem: str | None) -> dict[str, Any] | None:
    for key, result in results.items():
        if not key.startswith("local:"):
            continue
        if (packaged is not None and result.get("packaged") == packaged) or (stem and key == f"local:{stem}"):
            return result
    return None


def _packaged_stem(name: str) -> str | None:
    """The GGUF file name (without .gguf) a packaged model loads as: what its probe key holds. Read from constants
    and package metadata, never by joining or loading the model."""
    from bizpilot.errors import ConfigError
    from bizpilot.llm import models

    files = {"qwen2.5-coder-1.5b": models.QWEN15_FILE, "qwen2.5-coder-0.5b": models.QWEN_FILE}
    if name in files:
        return files[name].removesuffix(".gguf")
    if name == "smollm2" and models.PACKAGED_MODELS["smollm2"].installed:
        try:
            return models.smollm2_path().name.removesuffix(".gguf")
        except ConfigError:
            return None
    return None


def configured_models(*, session: Session | None = None, home: Path | None = None) -> dict[str, Any]:
    """``{"models": [...], "active": key}``: one row per model (key, backend, model, where, installed, probe,
    writes, active), the one content generation uses marked ``active``; the workspace endpoint's row also carries
    its base URL, the name of its key's variable (never the key), whether that is set, and its latest test."""
    from bizpilot.config import get_settings
    from bizpilot.llm.models import PACKAGED_MODELS, default_model

    settings = get_settings()
    home = home or settings.resolved_home
    results = load_results(home=home)
    endpoint = get_endpoint(session=session) if session is not None else None
    rows: list[dict[str, Any]] = []
    configured_local = settings.llm_backend == "local"
    chosen = None if settings.llm_model_path else (settings.llm_model or default_model())
    for model in PACKAGED_MODELS.values():
        probe = probe_summary(_local_result(results, model.name, _packaged_stem(model.name)))
        rows.append({"key": f"local:{model.name}", "backend": "local", "model": model.name, "where": "local",
                     "installed": model.installed, "extra": model.extra, "description": model.description,
                     "configured": configured_local and chosen == model.name, "probe": probe,
                     "writes": writes(probe)})
    if configured_local and settings.llm_model_path:
        stem = Path(settings.llm_model_path).name.removesuffix(".gguf")
        probe = probe_summary(_local_result(results, None, stem))
        rows.append({"key": f"local:{stem}", "backend": "local", "model": stem, "where": "local",
                     "installed": Path(settings.llm_model_path).is_file(), "extra": None,
                     "description": str(settings.llm_model_path), "configured": True, "probe": probe,
                     "writes": writes(probe)})
    if settings.llm_backend != "local":
        base_url = settings.llm_base_url.rstrip("/")
        model_name = settings.llm_model or "(server default)"
        key = f"{settings.llm_backend}:{model_name}@{base_url}"
        probe = probe_summary(results.get(key))
        rows.append({"key": key, "backend": settings.llm_backend, "model": model_name, "where": "remote",
                     "base_url": base_url, "installed": None, "extra": None, "description": "BIZPILOT_LLM_*",
                     "configured": True, "probe": probe, "writes": writes(probe)})
    if endpoint is not None:
        rows.append(endpoint_row(endpoint, results=results, home=home))
    active = (endpoint.key if endpoint is not None and endpoint.use_for_generation
              else next((r["key"] for r in rows if r["configured"] and r.get("source") != "workspace"), None))
    for row in rows:
        row["active"] = row["key"] == active
    return {"models": rows, "active": active}


def endpoint_row(endpoint: Endpoint, *, results: dict[str, dict[str, Any]] | None = None,
                 home: Path) -> dict[str, Any]:
    """The workspace endpoint as a row: its settings (no key), its probe and its latest connection test."""
    results = results if results is not None else load_results(home=home)
    probe = probe_summary(results.get(endpoint.key))
    return {"key": endpoint.key, "backend": "openai", "model": endpoint.model, "where": "remote",
            "source": "workspace", "base_url": endpoint.base_url, "api_key_env": endpoint.api_key_env,
            "api_key_set": endpoint.api_key_set, "use_for_generation": endpoint.use_for_generation,
            "installed": None, "extra": None, "description": "Settings › Language models",
            "configured": True, "probe": probe, "writes": writes(probe),
            "test": job_state(endpoint.key, home=home)}


__all__ = ["configured_models", "endpoint_row", "probe_summary", "writes"]
