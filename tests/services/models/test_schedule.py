"""The retrain schedule of `bizpilot serve`: when it runs next, and what one scheduled retrain does (every
`train all` model queued, then the drift of their inputs checked and kept on their runs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import OrderLine
from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models.registry import train_all_specs
from bizpilot.services.models.schedule import RetrainSchedule, next_run, retrain_now
from tests.services.recommend_data import seed_recommend_workspace


def test_next_run_is_the_next_time_of_day() -> None:
    assert next_run(datetime(2025, 3, 1, 1, 30), "02:00") == datetime(2025, 3, 1, 2, 0)
    assert next_run(datetime(2025, 3, 1, 2, 0), "02:00") == datetime(2025, 3, 2, 2, 0)  # not now: tomorrow
    assert next_run(datetime(2025, 12, 31, 23, 59, 30), "00:00") == datetime(2026, 1, 1, 0, 0)


def test_a_scheduled_retrain_trains_everything_and_checks_drift(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)
    queued = retrain_now(engine)
    assert queued == [s.name for s in train_all_specs()]
    with Session(engine) as session:
        runs = {r.task: r for r in session.scalars(select(ModelRun))}
    assert {r.trigger for r in runs.values()} == {"schedule"}
    assert runs["winprob"].status == "skipped" and runs["churn"].status == "finished"
    assert runs["topics"].status == "skipped"  # the sample has no inbound messages with text
    checked = sorted(name for name, run in runs.items() if "drift" in (run.health or {}))
    assert checked == ["churn", "forecast", "reorder", "segments"]
    assert all(runs[name].health["drift"]["level"] == "stable" for name in checked)  # the data did not move
    # The next night on unchanged data: only the models that never finished (no closed deals, no messages yet) try
    # again.
    assert retrain_now(engine) == ["winprob", "topics"]


def test_the_next_night_retrains_what_new_orders_touch(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)
    retrain_now(engine)
    with Session(engine) as session:
        line = session.scalars(select(OrderLine).order_by(OrderLine.id)).first()
        line.quantity = (line.quantity or 0) + 5  # a corrected quantity, say
        session.commit()
    queued = retrain_now(engine)
    assert {"segments", "churn", "forecast", "recommend", "reorder"} <= set(queued)


def test_the_schedule_thread_starts_once_and_stops(engine: Engine) -> None:
    assert RetrainSchedule(engine, hours=0).start() is False  # off
    schedule = RetrainSchedule(engine, hours=24, at="02:00")
    assert schedule.start() is True and schedule.start() is False
    assert schedule.next_at is not None and schedule.next_at > datetime.now()
    schedule.stop()
    assert schedule._thread is not None
    schedule._thread.join(timeout=10)
    assert not schedule._thread.is_alive()
