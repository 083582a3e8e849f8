"""`bizpilot models`: every workspace model with its state, latest run and health flags; `bizpilot doctor`: checks
of the set-up (settings, unknown BIZPILOT_* variables, database, models), run by the CLI as the edge that opens
the session."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bizpilot.cli._common import JsonOpt, err_console, handle_errors, print_json, print_table, workspace_session
from bizpilot.config import get_settings, unknown_env_vars


@handle_errors
def models(
    check_drift: Annotated[bool, typer.Option("--check-drift", help="Recompute input drift since training for "
                                              "the models that have a drift check (reads the data)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every registered model: state, latest run (metrics, data size, duration, trigger) and flags (a retrain
    that made a key metric worse, input drift since training, a fallback in use)."""
    from bizpilot.services.models.overview import check_drift as check
    from bizpilot.services.models.overview import overview
    from bizpilot.services.models.registry import MODELS

    with workspace_session() as session:
        if check_drift:
            for spec in MODELS.values():
                check(session=session, spec=spec)
        rows = overview(session=session, specs=list(MODELS.values()))
    if as_json:
        print_json({"models": rows})
        return
    print_table("workspace models", ("model", "state", "trained", "rows", "seconds", "by", "flags"),
                (_model_row(row) for row in rows))


def _model_row(row: dict[str, Any]) -> tuple[str, ...]:
    """One model's line in `bizpilot models`: its state (with progress while training), latest run and flags."""
    run = row["current"] or {}
    state = row["state"] + (f" {row['progress']:.0%}" if row["state"] == "training" and row["progress"] else "")
    return (row["name"], state, str(run.get("finished_at") or "")[:16], str(run.get("n_rows") or ""),
            str(run.get("duration_s") or ""), str(run.get("trigger") or ""),
            "; ".join(row["flags"]) or (row["message"] or row["last_error"] or ""))


@handle_errors
def doctor(as_json: JsonOpt = False) -> None:
    """Check the set-up: the workspace, the database schema, unknown BIZPILOT_* variables (typos are otherwise
    ignored), the LLM backend and every model's state. Exit code 1 when something needs attention."""
    checks = run_checks()
    if as_json:
        print_json({"checks": checks})
    else:
        for check in checks:
            mark = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]fail[/red]"}
            err_console.print(f"{mark[check['status']]:<24} {check['name']}: {check['detail']}", highlight=False)
    if any(c["status"] == "fail" for c in checks):
        raise typer.Exit(1)


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
            state = model_state(session=session, spec=spec)
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


__all__ = ["doctor", "models", "run_checks"]
