"""`bizpilot doctor`: what a person checks first when something is off, as plain checks with a status each."""

from __future__ import annotations

from typing import Any

from bizpilot.config import get_settings, unknown_env_vars


def _check(name: str, status: str, detail: str) -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail}


def run_checks() -> list[dict[str, Any]]:
    """Settings, unknown ``BIZPILOT_*`` variables, database schema, LLM backend and model states."""
    from sqlalchemy.engine import make_url

    settings = get_settings()
    checks = [_check("workspace", "ok", str(settings.resolved_home))]
    unknown = unknown_env_vars()
    checks.append(_check("environment", "warn" if unknown else "ok",
                         f"unknown BIZPILOT_* variable(s), ignored: {', '.join(unknown)} (typos?)" if unknown
                         else "every BIZPILOT_* variable names a setting"))
    url = make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
    from bizpilot.db import get_engine
    from bizpilot.db.migrate import current_revision, head_revision

    engine = get_engine()
    try:
        current, head = current_revision(engine), head_revision(engine)
    except Exception as exc:  # noqa: BLE001 - the check reports any failure to open the database
        checks.append(_check("database", "fail", f"cannot open {url}: {str(exc).splitlines()[0]}"))
        return checks
    if current != head:
        checks.append(_check("database", "fail", f"{url} is at schema {current}, this version needs {head}: run "
                             "`bizpilot init`"))
        return checks
    checks.append(_check("database", "ok", f"{url} at schema {head}"))
    checks.append(_llm_check(settings))
    from bizpilot.db.engine import session_scope
    from bizpilot.services.models.access import model_state
    from bizpilot.services.models.registry import MODELS

    with session_scope(engine) as session:
        for spec in MODELS.values():
            state = model_state(session, spec)
            status = {"ready": "ok", "default": "ok", "training": "ok", "queued": "ok"}.get(state.state, "warn")
            detail = state.state + (f": {state.message}" if state.message else "")
            if state.last_error:
                detail += f" (last retrain failed: {state.last_error})"
            checks.append(_check(f"model {spec.name}", status, detail))
    return checks


def _llm_check(settings: Any) -> dict[str, Any]:
    try:
        from bizpilot.llm.registry import backend_class

        backend_class(settings.llm_backend)
        return _check("llm backend", "ok", settings.llm_backend)
    except Exception as exc:  # noqa: BLE001 - an unusable backend is reported, not raised
        return _check("llm backend", "warn", getattr(exc, "message", str(exc)))


__all__ = ["run_checks"]
