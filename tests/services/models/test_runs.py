"""Training and recording: every run has the same fields, too little data is a skip with the reason, an error is a
recorded failure, a retrain replaces the outputs, the data fingerprint follows the input tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain import Account, Product
from bizpilot.domain.model_run import ModelOutput, ModelRun
from bizpilot.ml.base import FORMAT_VERSION
from bizpilot.services.models.jobs import run_training, train_many
from bizpilot.services.models.outputs import output_run, read_outputs
from bizpilot.services.models.store import get_store
from bizpilot.services.models.training import data_fingerprint, train_model
from tests.services.models.toys import PRICES, VIEW, add_products


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _run(engine: Engine, run_id: int | None) -> ModelRun:
    with Session(engine) as session:
        run = session.get(ModelRun, run_id)
        assert run is not None
        return run


def _outputs(engine: Engine, model: str) -> list[ModelOutput]:
    with Session(engine) as session:
        return list(session.scalars(select(ModelOutput).where(ModelOutput.model == model).order_by(ModelOutput.id)))


def test_a_finished_run_records_uniform_fields(priced: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_AS_OF", "2024-03-31")
    reset_settings()
    before = _now()
    outcome = run_training(PRICES, engine=priced, trigger="test", params={"scale": 2.0, "quality": 0.75})
    after = _now()
    assert outcome.status == "finished" and outcome.ok and outcome.message is None
    assert outcome.n_rows == 50 and outcome.outputs == 50 and outcome.model == "PriceModel"
    run = _run(priced, outcome.run_id)
    assert run.task == "prices" and run.status == "finished" and run.message is None
    assert run.model_name == "PriceModel" and run.version == "3" and run.format_version == FORMAT_VERSION
    assert run.trigger == "test" and run.progress == 1.0
    # times are naive UTC, as both dialects store them
    assert before - timedelta(seconds=1) <= run.started_at <= run.finished_at <= after + timedelta(seconds=1)
    assert run.duration_s is not None and 0 <= run.duration_s <= (after - before).total_seconds() + 1
    assert run.params == {"scale": 2.0}  # the estimator's parameters, not the trainer's switches
    assert run.metrics == {"quality": 0.75, "mean_price": 25.5, "outputs": 50}
    assert run.n_rows == 50
    assert run.as_of == datetime(2024, 4, 1)  # midnight after the pinned today
    with Session(priced) as session:
        assert run.data_fingerprint == data_fingerprint(session=session, spec=PRICES)
    assert len(run.data_fingerprint) == 16 and int(run.data_fingerprint, 16) >= 0
    assert run.artifact_path == outcome.artifact == str(get_store().path(PRICES))
    assert get_store().exists(PRICES)
    assert run.health["metric_changes"] == []  # nothing to compare the first run with
    assert set(run.health["reference"]) == {"price"}
    assert outcome.to_dict()["metrics"] == run.metrics


def test_a_model_without_a_file_records_its_own_params(priced: Engine) -> None:
    outcome = run_training(VIEW, engine=priced, trigger="test")
    run = _run(priced, outcome.run_id)
    assert run.status == "finished" and run.params == {"kind": "view"} and run.model_name == "view"
    assert run.artifact_path is None and run.format_version is None and outcome.artifact is None
    assert [o.payload for o in _outputs(priced, "view")] == [{"n": 50}]


def test_too_little_data_is_skipped_with_the_reason_and_no_file(engine: Engine) -> None:
    outcome = run_training(PRICES, engine=engine, trigger="test")
    assert outcome.status == "skipped" and outcome.ok
    assert outcome.message == "no priced products to learn from"
    run = _run(engine, outcome.run_id)
    assert run.status == "skipped" and run.message == "no priced products to learn from"
    assert run.finished_at is not None and run.duration_s is not None and run.progress is None
    assert run.artifact_path is None and not get_store().exists(PRICES)
    assert _outputs(engine, "prices") == []


def test_an_error_is_a_failed_run_with_the_reason(priced: Engine) -> None:
    outcome = run_training(PRICES, engine=priced, trigger="test", params={"fail": "disk on fire"})
    assert outcome.status == "failed" and not outcome.ok
    assert outcome.message == "RuntimeError: disk on fire"
    run = _run(priced, outcome.run_id)
    assert run.status == "failed" and run.message == "RuntimeError: disk on fire"
    assert run.finished_at is not None and run.progress is None
    assert run.artifact_path is None and not get_store().exists(PRICES)
    assert _outputs(priced, "prices") == []
    with Session(priced) as session:  # one run row, not a half-written second one
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 1


def test_train_many_goes_on_after_a_failure(priced: Engine) -> None:
    def broken(**_: object) -> None:
        raise ValueError("bad column")

    failing = replace(PRICES, name="broken", train=broken)
    seen: list[str] = []
    outcomes = train_many([failing, VIEW], engine=priced, trigger="test",
                          on_step=lambda spec, i, n: seen.append(f"{spec.name} {i + 1}/{n}"))
    assert seen == ["broken 1/2", "view 2/2"]
    assert [(o.name, o.status) for o in outcomes] == [("broken", "failed"), ("view", "finished")]
    assert outcomes[0].message == "ValueError: bad column"


def test_a_retrain_replaces_the_outputs_and_a_failed_one_keeps_them(priced: Engine) -> None:
    first = run_training(PRICES, engine=priced, trigger="test")
    assert {o.run_id for o in _outputs(priced, "prices")} == {first.run_id}
    with Session(priced) as session:
        session.execute(delete(Product).where(Product.price > 40))
        session.commit()
    second = run_training(PRICES, engine=priced, trigger="test")
    rows = _outputs(priced, "prices")
    assert len(rows) == 40 and {o.run_id for o in rows} == {second.run_id}  # the first run's rows are gone
    with Session(priced) as session:
        assert session.scalar(select(func.count()).where(ModelOutput.run_id == first.run_id)) == 0
        assert output_run(session=session, model="prices").id == second.run_id
        top = read_outputs(session=session, model="prices", subject="product", order="-score", limit=3)
        assert [o.payload["price"] for o in top] == [40.0, 39.0, 38.0]
    failed = run_training(PRICES, engine=priced, trigger="test", params={"fail": "boom"})
    assert failed.status == "failed"
    rows = _outputs(priced, "prices")
    assert len(rows) == 40 and {o.run_id for o in rows} == {second.run_id}  # all or nothing
    assert run_training(VIEW, engine=priced, trigger="test").status == "finished"
    assert {o.run_id for o in _outputs(priced, "prices")} == {second.run_id}  # another model's run leaves them


def test_train_model_leaves_the_transaction_to_the_caller(priced: Engine) -> None:
    with Session(priced) as session:
        outcome = train_model(PRICES, session=session, trigger="test")
        assert outcome.status == "finished"
        session.rollback()
    with Session(priced) as session:
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 0
        assert session.scalar(select(func.count()).select_from(ModelOutput)) == 0


def test_fingerprint_follows_the_input_tables_only(priced: Engine) -> None:
    def fingerprint() -> str | None:
        with Session(priced) as session:
            return data_fingerprint(session=session, spec=PRICES)

    first = fingerprint()
    assert first == fingerprint()  # stable while nothing changes
    with Session(priced) as session:
        session.add(Account(external_id="X", name="Not an input of the toy"))
        session.commit()
    assert fingerprint() == first
    with Session(priced) as session:
        add_products(session, [99.0])
        session.commit()
    added = fingerprint()
    assert added != first
    with Session(priced) as session:
        session.execute(delete(Product).where(Product.sku == "P-1"))
        session.commit()
    removed = fingerprint()
    assert removed not in (first, added)
    with Session(priced) as session:
        session.execute(update(Product).where(Product.sku == "P-2").values(price=1234.5))
        session.commit()
    assert fingerprint() != removed  # an edited row is a change too
    with Session(priced) as session:
        assert data_fingerprint(session=session, spec=replace(PRICES, inputs=())) is None
