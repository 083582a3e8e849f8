"""`bizpilot llm models|chat`: which language model is configured, whether it loads, and a quick way to try it.

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
    if as_json:
        print_json(info)
    else:
        _print_models(info)
    if info["error"]:
        raise typer.Exit(code=2)


def _available(backends: dict[str, Any]) -> dict[str, str]:
    return {name: (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "" for name, cls in
            sorted(backends.items())}


def _print_models(info: dict[str, Any]) -> None:
    table = Table(title="language model", show_header=False)
    table.add_column("key")
    table.add_column("value")
    skip = {"available", "error", "check"}
    for key, value in info.items():
        if key not in skip and value is not None:
            table.add_row(key, str(value))
    if info.get("check"):
        stats = info["check"]
        table.add_row("check", f"answered in {stats['seconds']} s ({stats['prompt_tokens']} prompt tokens)")
    err_console.print(table)
    err_console.print("backends: " + ", ".join(f"{k} ({v})" if v else k for k, v in info["available"].items()),
                      highlight=False, markup=False)
    if info["error"]:
        err_console.print(f"[bold red]error[/]: {info['error']['message']}", highlight=False)


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
