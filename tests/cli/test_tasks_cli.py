"""`bizpilot tasks refresh|list`: exactly one JSON object on stdout with `--json` (created/kept/closed by source,
skipped notes), a table on stderr otherwise; `--user`/`--mine` pick whose tasks; `train all` refreshes the tasks
after training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.domain import Task
from bizpilot.services.models.registry import train_all_specs
from bizpilot.services.task_sources import AUTOMATIC
from tests.services.tasks_data import seed_tasks_workspace

runner = CliRunner()


def _one_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:500]
    return json.loads(lines[0])


def test_refresh_prints_one_json_object_and_a_second_run_keeps_everything(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_tasks_workspace(engine, monkeypatch)
    result = runner.invoke(app, ["tasks", "refresh", "--json"])
    assert result.exit_code == 0, result.output
    first = _one_json(result.stdout)
    assert list(first) == ["created", "kept", "closed", "skipped"]
    for key in ("created", "kept", "closed"):
        assert list(first[key]) == [*AUTOMATIC, "sequence"] and all(isinstance(n, int) for n in first[key].values())
    assert first["created"]["handoff"] == 1 and first["skipped"] == {}
    with Session(engine) as session:  # the command committed what it created
        assert session.scalar(select(func.count()).select_from(Task)) == sum(first["created"].values())

    second = _one_json(runner.invoke(app, ["tasks", "refresh", "--json"]).stdout)
    assert second["kept"] == first["created"] and sum(second["created"].values()) == 0

    people = runner.invoke(app, ["tasks", "refresh"])
    assert people.exit_code == 0 and people.stdout == ""
    assert "tasks refreshed" in people.stderr and "stale_deal" in people.stderr


def test_list_filters_by_user_and_status(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed_tasks_workspace(engine, monkeypatch)
    runner.invoke(app, ["tasks", "refresh"])
    result = runner.invoke(app, ["tasks", "list", "--user", "ann", "--status", "active", "--limit", "500", "--json"])
    assert result.exit_code == 0, result.output
    listed = _one_json(result.stdout)
    assert listed["total"] == len(listed["items"]) > 0
    assert {t["owner_id"] for t in listed["items"]} == {ids["ann"]}
    assert {t["owner_name"] for t in listed["items"]} == {"ann"}
    dues = [t["due_date"] for t in listed["items"]]
    assert dues == sorted(dues)  # soonest due first
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    mine = _one_json(runner.invoke(app, ["tasks", "list", "--mine", "--json"]).stdout)
    assert {t["owner_name"] for t in mine["items"]} == {"bob"}
    table = runner.invoke(app, ["tasks", "list", "--user", "bob", "--source", "alert"])
    assert table.exit_code == 0 and "tasks: 1 of 1" in table.stderr and "Unhappy" in table.stderr

    monkeypatch.setattr("getpass.getuser", lambda: "nobody-here")
    missing = runner.invoke(app, ["tasks", "list", "--mine"])
    assert missing.exit_code == 2 and "no bizpilot user named 'nobody-here'" in missing.stderr
    bad = runner.invoke(app, ["tasks", "list", "--status", "someday"])
    assert bad.exit_code == 2 and "status" in bad.stderr


def test_train_all_refreshes_the_tasks_after_training(engine: Engine, workspace: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seed_tasks_workspace(engine, monkeypatch, train=False)
    wanted = ["segments", "churn", "winprob", "reorder"]  # the quick ones; the recommender is left out
    skip = [arg for spec in train_all_specs() if spec.name not in wanted for arg in ("--skip", spec.name)]
    result = runner.invoke(app, ["train", "all", *skip, "--json"])
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in _one_json(result.stdout)["steps"]] == wanted
    assert "tasks" in result.stderr and "the recommend model is missing" in result.stderr
    with Session(engine) as session:
        sources = dict(session.execute(select(Task.source, func.count()).group_by(Task.source)).all())
    assert sources["reorder"] > 0 and sources["churn"] == 1 and "recommendation" not in sources
