"""The CLI as scripts use it: exit codes, one JSON object on stdout, messages on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from tests.ingest.helpers import ACCOUNTS_CSV, PRODUCTS_CSV, write

runner = CliRunner()


def test_stats_json_counts_every_table(workspace: Path) -> None:
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accounts"] == 0 and "order_lines" in data and "knowledge_articles" in data


def test_import_then_stats(workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "accounts", str(write(tmp_path, "a.csv", ACCOUNTS_CSV)), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tables"]["accounts"]["inserted"] == 3
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["accounts"] == 3


def test_import_human_output_names_rejects(workspace: Path, tmp_path: Path) -> None:
    bad = PRODUCTS_CSV + "P-400,Broken,Tools,-5,EUR,,\n"
    result = runner.invoke(app, ["import", "products", str(write(tmp_path, "p.csv", bad))])
    assert result.exit_code == 0
    assert "rejected rows: 1" in result.stderr


def test_strict_import_fails_with_exit_2_and_row_details(workspace: Path, tmp_path: Path) -> None:
    bad = PRODUCTS_CSV + "P-400,Broken,Tools,-5,EUR,,\n"
    result = runner.invoke(app, ["import", "products", str(write(tmp_path, "p.csv", bad)), "--strict"])
    assert result.exit_code == 2
    assert "strict mode wrote nothing" in result.stderr and "row 5" in result.stderr
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["products"] == 0


@pytest.mark.parametrize("args,needle", [
    (["import", "widgets", "x.csv"], "unknown entity"),
    (["import", "accounts", "/nonexistent/file.csv"], "file not found"),
])
def test_bad_invocations_say_why(workspace: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and needle in result.stderr


def test_demo_build_only_then_stats(workspace: Path) -> None:
    result = runner.invoke(app, ["demo", "--build-only", "--no-train", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "demo workspace (seed 7) ready" in result.stderr
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["accounts"] == 300 and stats["products"] == 500 and stats["knowledge_articles"] >= 50
    assert stats["order_lines"] > 10_000 and stats["interactions"] > 1_000 and stats["opportunities"] > 300
