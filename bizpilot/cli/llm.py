"""`bizpilot llm models|probe|chat`: which language model is configured, whether it loads and what it can do (the
capability probe), and a quick way to try it.

Answers go to stdout (so they can be piped), statistics and diagnostics to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from bizpilot.cli._common import err_console, print_json
from bizpilot.errors import BizpilotError, ValidationFailed

llm_app = typer.Typer(help="Language models: the configured backend, whether it loads, a quick chat.",
                      no_args_is_help=True)


@llm_app.command("models")
def models(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
    check: bool = typer.Option(True, "--check/--no-check", help="Also run a one-token call through the backend"),
) -> None:
    """The configured backend (BIZPILOT_LLM_BACKEND), its model, whether it loads and answers; exit 2 if not."""
    from bizpilot.config import get_settings
    from bizpilot.llm import BACKENDS, get_backend

    settings = get_settings()
    info: dict[str, Any] = {"backend": settings.llm_backend, "available": _available(BACKENDS), "loads": False,
                            "answers": None, "error": None}
    try:
        backend = get_backend(settings)
        info.update(backend.describe())
        info["loads"] = True
        if check:
            info["check"] = backend.check().stats()
            info["answers"] = True
    except BizpilotError as exc:
        if info["loads"]:
            info["answers"] = False
        info["error"] = {"code": exc.code, "message": exc.message}
    info["probe"] = _stored_probe(info)
    info["catalogue"] = _catalogue()
    info.update(_configured_models())
    if as_json:
        print_json(info)
    else:
        _print_models(info)
    if info["error"]:
        raise typer.Exit(code=2)


def _probe_summary(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"passed": result.get("passed"), "score": result.get("score"), "date": result.get("date"),
            "capabilities": result.get("capabilities"), "tokens_per_s": result.get("tokens_per_s"),
            "languages": result.get("languages") or {}}


def _stored_probe(info: dict[str, Any]) -> dict[str, Any] | None:
    """The configured model's latest probe result (None: never probed, or the backend did not load)."""
    from bizpilot.services.llmprobe import probe_result

    if not info.get("loads") or not info.get("model"):
        return None
    base_url = f"@{info['base_url']}" if info.get("remote") and info.get("base_url") else ""
    return _probe_summary(probe_result(f"{info['backend']}:{info['model']}{base_url}"))


def _configured_models() -> dict[str, Any]:
    """``models`` (every model the workspace can use, with its probe and who writes) and ``active`` (the one content
    generation uses), as the Settings page shows them; the workspace's endpoint comes from its settings."""
    from bizpilot.cli._common import workspace_session
    from bizpilot.services.llmprobe.overview import configured_models

    with workspace_session() as session:
        return configured_models(session=session)


def _catalogue() -> list[dict[str, Any]]:
    """The packaged models (the ladder, strongest first), installed or not, with their latest probe result."""
    from bizpilot.llm.models import PACKAGED_MODELS, default_model
    from bizpilot.services.llmprobe import load_results

    results = load_results()
    default = default_model()
    rows = []
    for model in PACKAGED_MODELS.values():
        probe = next((r for key, r in results.items()
                      if key.startswith("local:") and r.get("packaged") == model.name), None)
        rows.append({"name": model.name, "extra": model.extra, "installed": model.installed,
                     "default": model.name == default, "description": model.description,
                     "probe": _probe_summary(probe)})
    return rows


def _probe_cell(probe: dict[str, Any] | None) -> str:
    if probe is None:
        return "not probed (bizpilot llm probe)"
    verdict = "passed" if probe["passed"] else "failed"
    passed_in = [lang for lang, ok in (probe.get("languages") or {}).items() if ok]
    if not probe["passed"] and passed_in:
        verdict += f" (passed in {', '.join(passed_in)})"
    failed = [k for k, ok in (probe.get("capabilities") or {}).items() if not ok]
    detail = f" ({', '.join(failed)})" if failed else ""
    return f"{verdict}{detail}, score {probe['score']}, {probe.get('tokens_per_s')} tok/s, {str(probe['date'])[:10]}"


WRITES = {"llm": "the model drafts (checked)", "llm_unprobed": "the model drafts (not probed; every draft checked)",
          "deterministic": "the deterministic path writes",
          "llm_partial": "the model drafts in the languages it passed; the deterministic path writes the others"}


def _print_configured(rows: list[dict[str, Any]]) -> None:
    """Each model with its probe verdict per capability and who writes while it is the one in use."""
    table = Table(title="models and their capability probe (* = used for content)")
    for column in ("model", "where", "voice", "language", "facts", "verdict", "probed", "writes"):
        table.add_column(column)
    for row in rows:
        probe = row["probe"] or {}
        caps = probe.get("capabilities") or {}
        cells = ["" if c not in caps else ("yes" if caps[c] else "no") for c in ("voice", "language", "facts")]
        verdict = "not probed" if not probe else ("passed" if probe["passed"] else "failed")
        where = row.get("base_url") or ("installed" if row.get("installed") else f"not installed ({row['extra']})")
        table.add_row(("* " if row["active"] else "") + row["key"], where, *cells, verdict,
                      str(probe.get("date") or "")[:16], WRITES[row["writes"]])
    err_console.print(table)


def _available(backends: dict[str, Any]) -> dict[str, str]:
    return {name: (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "" for name, cls in
            sorted(backends.items())}


def _print_models(info: dict[str, Any]) -> None:
    table = Table(title="language model", show_header=False)
    table.add_column("key")
    table.add_column("value")
    skip = {"available", "error", "check", "probe", "catalogue", "models", "active"}
    for key, value in info.items():
        if key not in skip and value is not None:
            table.add_row(key, str(value))
    if info.get("check"):
        stats = info["check"]
        table.add_row("check", f"answered in {stats['seconds']} s ({stats['prompt_tokens']} prompt tokens)")
    table.add_row("probe", _probe_cell(info.get("probe")))
    err_console.print(table)
    catalogue = Table(title="packaged models (strongest first)")
    for column in ("model", "extra", "installed", "default", "probe"):
        catalogue.add_column(column)
    for row in info["catalogue"]:
        catalogue.add_row(row["name"], row["extra"], "yes" if row["installed"] else "no",
                          "yes" if row["default"] else "", _probe_cell(row["probe"]))
    err_console.print(catalogue)
    _print_configured(info["models"])
    err_console.print("backends: " + ", ".join(f"{k} ({v})" if v else k for k, v in info["available"].items()),
                      highlight=False, markup=False)
    if info["error"]:
        err_console.print(f"[bold red]error[/]: {info['error']['message']}", highlight=False)


@llm_app.command("probe")
def probe(
    model: str | None = typer.Option(None, "--model", help="A packaged model (local backend) or the endpoint's "
                                     "model name (openai); default: the configured one"),
    endpoint: bool = typer.Option(False, "--endpoint", help="Probe the workspace's remote endpoint (Settings › "
                                  "Language models) instead: reach it, then probe it, as its Test connection does"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Run the capability probe (seller's voice, language, facts) on the configured model and store the result
    in the workspace; content generation lets only a passing model draft. Exit 1 if it fails, 2 on errors."""
    from bizpilot.config import get_settings
    from bizpilot.llm import get_backend
    from bizpilot.services.llmprobe import save_result
    from bizpilot.services.llmprobe.probe import CASES, run_probe

    if endpoint:
        _probe_endpoint(as_json)
        return
    settings = get_settings()
    if model:
        settings = settings.model_copy(update={"llm_model": model, "llm_model_path": None})
    backend = get_backend(settings)
    err_console.print(f"probing {backend.name}:{backend.model_name} with {len(CASES)} prompts…", highlight=False,
                      markup=False)

    def progress(case: dict[str, Any]) -> None:
        verdict = "ok" if case["passed"] else "failed: " + ", ".join(case["failed"])
        err_console.print(f"  {case['id']}: {verdict}", highlight=False, markup=False)

    result = run_probe(backend, on_case=progress)
    result["packaged"] = getattr(backend, "packaged", None)
    save_result(result)
    if as_json:
        print_json(result)
    else:
        err_console.print(f"{result['model']}: {_probe_cell(_probe_summary(result))}", highlight=False,
                          markup=False)
    if not result["passed"]:
        raise typer.Exit(code=1)


def _probe_endpoint(as_json: bool) -> None:
    """The workspace endpoint's connection test, in the foreground; exit 2 when unreachable, 1 when it fails."""
    from bizpilot.cli._common import workspace_session
    from bizpilot.config import get_settings
    from bizpilot.errors import NotFoundError
    from bizpilot.services.llmprobe import probe_result
    from bizpilot.services.llmprobe.endpoint import get_endpoint
    from bizpilot.services.llmprobe.jobs import run_endpoint_test

    with workspace_session() as session:
        found = get_endpoint(session=session)
    if found is None:
        raise NotFoundError("no remote endpoint is configured: set one on Settings › Language models",
                            details=[{"field": "endpoint", "reason": "not configured"}])
    home = get_settings().resolved_home
    err_console.print(f"testing {found.key} (key from ${found.api_key_env}: "
                      f"{'set' if found.api_key_set else 'not set'})…", highlight=False, markup=False)
    state = run_endpoint_test(found, home=home)
    result = probe_result(found.key, home=home) if state["state"] == "done" else None
    if as_json:
        print_json({"test": state, "probe": result})
    elif state["state"] == "done":
        err_console.print(f"{found.key}: {_probe_cell(_probe_summary(result))}", highlight=False, markup=False)
    else:
        err_console.print(f"{found.key}: {'reachable' if state['reachable'] else 'unreachable'}: {state['error']}",
                          highlight=False, markup=False)
    if state["state"] != "done":
        raise typer.Exit(code=2)
    if not state["passed"]:
        raise typer.Exit(code=1)


@llm_app.command("chat")
def chat(
    prompt: str = typer.Argument(..., help="The user message; '-' reads it from stdin"),
    system: str | None = typer.Option(None, "--system", help="System message; 'default' uses the shipped "
                                      "generic system prompt"),
    max_tokens: int = typer.Option(256, "--max-tokens", min=1, help="Upper bound of generated tokens"),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, max=2.0),
    json_schema: Path | None = typer.Option(None, "--json-schema", help="JSON Schema file: constrain the answer"),
    stream: bool = typer.Option(False, "--stream", help="Print the answer as it is generated"),
    names: list[str] = typer.Option([], "--name", help="A contact name to redact for remote backends (repeat)"),
    backend_name: str | None = typer.Option(None, "--backend", help="Override BIZPILOT_LLM_BACKEND"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object {text, stats} instead of the text"),
) -> None:
    """Send one message and print the answer on stdout; tokens, speed and timing go to stderr."""
    from bizpilot.llm import ChatOptions, Message, get_backend
    from bizpilot.llm.prompts import system_prompt

    if prompt == "-":
        prompt = sys.stdin.read()
    schema = _read_schema(json_schema) if json_schema else None
    messages: list[Message] = []
    if system:
        messages.append(Message.system(system_prompt() if system == "default" else system))
    messages.append(Message.user(prompt))
    options = ChatOptions(max_tokens=max_tokens, temperature=temperature, json_schema=schema, names=tuple(names),
                          tag="cli.chat")
    backend = get_backend(name=backend_name)
    if stream and not as_json:
        chunks = backend.stream(messages, options)
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()
        sys.stdout.write("\n")
        completion = chunks.completion
    else:
        completion = backend.generate(messages, options)
        if as_json:
            print_json({"text": completion.text, "stats": completion.stats()})
        else:
            sys.stdout.write(completion.text + "\n")
    sys.stdout.flush()
    if completion is not None:
        s = completion.stats()
        approx = "~" if s["tokens_estimated"] else ""
        err_console.print(f"{s['backend']} · {s['model']} · {approx}{s['prompt_tokens']} prompt + {approx}"
                          f"{s['completion_tokens']} completion tokens · {s['seconds']} s · {s['tokens_per_s']} "
                          f"tok/s · finish: {s['finish_reason']}", highlight=False, markup=False)


def _read_schema(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"JSON schema file not found: {path}",
                               details=[{"field": "json_schema", "reason": "file not found"}]) from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})",
                               details=[{"field": "json_schema", "reason": exc.msg}]) from None
    if not isinstance(schema, dict):
        raise ValidationFailed(f"{path} must hold a JSON Schema object",
                               details=[{"field": "json_schema", "reason": "not an object"}])
    return schema
