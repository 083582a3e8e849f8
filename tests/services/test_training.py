"""Training every workspace model from the registry (what `bizpilot train all`, the demo and the nightly retrain
do): each model ends finished, or skipped with the reason when the workspace lacks its data; a model that fails is
recorded with the reason and the others still train; `train all` exits 1 only for a failure."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models.access import model_state
from bizpilot.services.models.jobs import train_many
from bizpilot.services.models.registry import MODELS, train_all_specs
from bizpilot.services.models.store import get_store

from .recommend_data import seed_recommend_workspace

runner = CliRunner()
ALL = ["segments", "churn", "winprob", "forecast", "recommend", "reorder", "signals", "knowledge", "industry",
       "topics"]


def _runs(engine: Engine) -> dict[str, ModelRun]:
    with Session(engine) as session:
        return {r.task: r for r in session.scalars(select(ModelRun).order_by(ModelRun.id))}


def test_train_all_on_a_seeded_workspace(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)  # orders, no opportunities, messages or articles
    seen: list[str] = []
    outcomes = train_many(train_all_specs(), engine=engine, trigger="test",
                          on_step=lambda spec, i, n: seen.append(f"{spec.name} {i + 1}/{n}"))
    assert seen == [f"{name} {i + 1}/{len(ALL)}" for i, name in enumerate(ALL)]
    status = {o.name: o.status for o in outcomes}
    assert status == {**dict.fromkeys(ALL, "finished"), "winprob": "skipped", "topics": "skipped"}
    skipped = next(o for o in outcomes if o.name == "winprob")
    assert skipped.message == "no closed (won/lost) opportunities to learn from" and skipped.ok
    runs = _runs(engine)
    assert {name: run.status for name, run in runs.items()} == status  # the records say the same
    assert runs["winprob"].message == skipped.message
    for name in ALL:
        spec, run = MODELS[name], runs[name]
        assert run.trigger == "test" and run.finished_at is not None and run.duration_s is not None
        if run.status == "finished":
            assert run.as_of is not None and run.progress == 1.0
            assert (run.artifact_path is not None) == (spec.estimator is not None) == get_store().exists(spec)
    assert runs["segments"].metrics["n_accounts"] == 20 and runs["reorder"].metrics["pairs"] == 80
    assert runs["forecast"].metrics["n_series"] == 13  # every product bought but the handling fee
    assert runs["signals"].n_rows == 0 and runs["knowledge"].n_rows == 0  # nothing to analyse or index yet
    with Session(engine) as session:
        states = {name: model_state(session=session, spec=MODELS[name]).state for name in ALL}
    assert states == {**dict.fromkeys(ALL, "ready"), "winprob": "skipped", "topics": "skipped"}


def _one_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:500]
    return json.loads(lines[0])


def test_train_all_exits_1_only_when_a_model_failed(engine: Engine, workspace: Path) -> None:
    seed_recommend_workspace(engine, train=False)
    skip = ["--skip", "recommend", "--skip", "signals", "--skip", "knowledge", "--skip", "industry",
            "--skip", "topics"]
    result = runner.invoke(app, ["train", "all", *skip, "--json"])
    assert result.exit_code == 0, result.output  # winprob skipped for lack of data is not a failure
    steps = {s["name"]: s for s in _one_json(result.stdout)["steps"]}
    assert list(steps) == ["segments", "churn", "winprob", "forecast", "reorder"]
    assert steps["winprob"]["status"] == "skipped" and steps["winprob"]["message"]
    assert set(steps["segments"]) == {"name", "status", "run_id", "seconds", "message", "metrics", "n_rows",
                                      "artifact", "model", "outputs"}
    assert steps["segments"]["outputs"] == 20 and steps["segments"]["model"] == "RFMSegmenter"

    # The segments file cannot be written (its temporary name is taken by a directory): a real failure.
    # ml/base.py's temp name (train all trains in the calling thread)
    (workspace / "models" / f".segments.npz.{threading.get_ident()}.{os.getpid()}.tmp").mkdir(parents=True)
    result = runner.invoke(app, ["train", "all", *skip, "--json"])
    assert result.exit_code == 1, result.output
    steps = {s["name"]: s for s in _one_json(result.stdout)["steps"]}
    assert steps["segments"]["status"] == "failed" and "IsADirectoryError" in steps["segments"]["message"]
    assert [steps[n]["status"] for n in ("churn", "forecast", "reorder")] == ["finished"] * 3  # the rest went on
    with Session(engine) as session:
        state = model_state(session=session, spec=MODELS["segments"])
    assert state.state == "ready" and "IsADirectoryError" in state.last_error  # the earlier model still serves


def test_train_all_on_an_empty_workspace_skips_with_reasons(engine: Engine) -> None:
    outcomes = train_many([MODELS[n] for n in ("segments", "churn", "winprob", "forecast", "reorder")],
                          engine=engine, trigger="test")
    assert {o.name: o.status for o in outcomes} == dict.fromkeys(["segments", "churn", "winprob", "forecast",
                                                                  "reorder"], "skipped")
    assert all(o.message and o.ok for o in outcomes)
    assert {o.name: o.message for o in outcomes}["forecast"] == "need at least 12 complete weeks of sales to forecast"
    assert not any(get_store().exists(MODELS[o.name]) for o in outcomes)
