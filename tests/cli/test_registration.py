"""How the CLI is put together: every command comes from the one list in `cli/main.py` (no module registers
itself by importing main), every `BizpilotError` below the root becomes one message on stderr and exit code 2, and
unknown BIZPILOT_* variables get one warning line on stderr, never on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bizpilot.cli import main
from bizpilot.cli.eval import EVAL_COMMANDS
from bizpilot.config import unknown_env_vars
from bizpilot.errors import NotFoundError, ValidationFailed
from tests.test_import_graph import PACKAGE, import_graph

runner = CliRunner()


def _names(group: typer.Typer) -> list[str]:
    command = typer.main.get_command(group)
    return list(command.list_commands(None))  # type: ignore[attr-defined]


def test_the_root_lists_exactly_the_registered_commands_in_order() -> None:
    assert _names(main.app) == [name for name, _ in main.COMMANDS] + [name for name, _ in main.SUBAPPS]
    assert _names(main.app)[:2] == ["version", "init"] and "models" in _names(main.app)
    assert _names(dict(main.SUBAPPS)["eval"]) == [name for name, _ in EVAL_COMMANDS]
    assert {"assistant", "content", "intent", "retrieval"} <= set(_names(dict(main.SUBAPPS)["eval"]))
    assert "topics" in _names(dict(main.SUBAPPS)["eval"])  # market insight (issue 15)
    assert "intent" in _names(dict(main.SUBAPPS)["train"])  # the lead's registry-built train app, not signals'


def test_no_module_imports_the_cli_entry_point() -> None:
    """main imports the command modules; were one to import main back, registration would again depend on
    import order."""
    graph = import_graph(PACKAGE)
    importers = sorted(m for m, targets in graph.items() if "bizpilot.cli.main" in targets)
    assert importers == []
    eval_tasks = [m for m in graph if m.startswith("bizpilot.cli.eval_")]
    assert sorted(eval_tasks) == sorted({fn.__module__ for _, fn in EVAL_COMMANDS})  # each one registered
    assert all("bizpilot.cli.eval" not in graph[m] for m in eval_tasks)


def _failing_app() -> typer.Typer:
    """The real root (same group class, same callback) with a command and a sub-app command that fail."""
    def bad_rows() -> None:
        raise ValidationFailed("3 bad rows", details=[{"row": i, "field": "price", "reason": "negative"}
                                                      for i in range(2, 27)])

    def missing() -> None:
        raise NotFoundError("no such thing")

    def crash() -> None:
        raise RuntimeError("a bug, not an expected failure")

    sub = typer.Typer()
    sub.command("missing")(missing)
    sub.command("crash")(crash)
    return main.build_app(commands=[("bad-rows", bad_rows)], subapps=[("sub", sub)])


def test_expected_errors_anywhere_below_the_root_exit_2_with_details() -> None:
    app = _failing_app()
    result = runner.invoke(app, ["bad-rows"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 3 bad rows" and lines[1] == "  - row 2, field price: negative"
    assert len(lines) == 22 and lines[-1] == "  ... and 5 more"  # 20 details shown, the rest counted
    result = runner.invoke(app, ["sub", "missing"])
    assert result.exit_code == 2 and result.stderr.strip() == "error: no such thing"


def test_unexpected_exceptions_are_not_swallowed() -> None:
    result = runner.invoke(_failing_app(), ["sub", "crash"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize("args,needle", [
    (["recommend"], "give exactly one of --account or --product"),
    (["signals", "message", "   "], "message text is empty"),
    (["eval", "generate", "--data", "/nonexistent/rows.json"], "data file not found"),
    (["eval", "intent", "--train", "/nonexistent/a.csv", "--test", "/nonexistent/b.csv"], "data file not found"),
    (["train", "intent", "/nonexistent/labelled.csv"], "data file not found"),
    (["keys", "revoke", "nobody"], "nobody"),
    (["kb", "search", "x", "--embedder", "bogus"], "unknown --embedder"),
])
def test_real_commands_of_every_kind_translate_errors(workspace: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(main.app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and needle in result.stderr and result.stdout == ""


def _clear_unknown_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in unknown_env_vars():
        monkeypatch.delenv(name)


def test_unknown_variables_are_named_on_stderr_only(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_unknown_env(monkeypatch)
    quiet = runner.invoke(main.app, ["version"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    monkeypatch.setenv("BIZPILOT_DATABSE_URL", "sqlite://")
    monkeypatch.setenv("BIZPILOT_LLM_MODLE", "x")
    result = runner.invoke(main.app, ["version"])
    assert result.exit_code == 0 and result.stdout.strip() == main.workspace.__version__
    warning = result.stderr.splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: ")
    assert "BIZPILOT_DATABSE_URL, BIZPILOT_LLM_MODLE" in warning[0]


def test_the_warning_leaves_json_output_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_unknown_env(monkeypatch)
    monkeypatch.setenv("BIZPILOT_TYPO", "1")
    data = tmp_path / "rows.json"
    data.write_text(json.dumps({"content": "类型#裙*颜色#红色", "summary": "红色的裙子。"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    result = runner.invoke(main.app, ["eval", "generate", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 1 and "BIZPILOT_TYPO" in result.stderr
