"""`train_all`: every workspace model in sequence; a step that cannot train is reported and the rest still run."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ValidationFailed
from bizpilot.ingest.demo import build_demo
from bizpilot.services.training import STEPS, train_all


def test_empty_workspace_reports_every_step_and_keeps_going(engine: Engine) -> None:
    seen: list[str] = []
    results = train_all(engine=engine, steps=("churn", "winprob", "recommend"),
                        on_step=lambda step, i, n: seen.append(f"{step} {i + 1}/{n}"))
    assert seen == ["churn 1/3", "winprob 2/3", "recommend 3/3"]
    assert [r.step for r in results] == ["churn", "winprob", "recommend"]
    assert not any(r.ok for r in results)
    assert all(r.error for r in results)  # each says why, e.g. nothing to learn from


def test_demo_workspace_trains_and_records_runs(engine: Engine) -> None:
    build_demo(seed=42, engine=engine)
    results = train_all(engine=engine, steps=("segments", "churn", "knowledge"))
    assert [(r.step, r.ok) for r in results] == [("segments", True), ("churn", True), ("knowledge", True)], results
    assert results[2].detail["chunks"] > 0
    with Session(engine) as session:
        tasks = set(session.scalars(select(ModelRun.task)))
    assert len(tasks) >= 2


def test_unknown_step_is_refused(engine: Engine) -> None:
    with pytest.raises(ValidationFailed, match="unknown training step"):
        train_all(engine=engine, steps=("nope",))
    assert "recommend" in STEPS
