"""Model health: a retrain whose key metric got worse is flagged, input drift is measured by PSI against the
reference kept at training, and both show up as plain-language flags on the model's overview."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models.health import PSI_ALERT, PSI_WATCH, drift_report, metric_changes, psi, reference_bins
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.overview import check_drift, describe, flags
from tests.services.models.toys import PRICES, VIEW, add_products

KEYS = {"auc": "higher", "brier": "lower"}


def test_metric_changes_flag_a_drop_beyond_the_tolerance_and_not_a_rise() -> None:
    rows = {r["metric"]: r for r in metric_changes(KEYS, {"auc": 0.80, "brier": 0.20}, {"auc": 0.70, "brier": 0.15})}
    assert rows["auc"]["flagged"] is True and rows["auc"]["change"] == pytest.approx(-0.10)
    assert rows["brier"]["flagged"] is False  # lower is better: an improvement
    rows = {r["metric"]: r for r in metric_changes(KEYS, {"auc": 0.70, "brier": 0.15}, {"auc": 0.90, "brier": 0.30})}
    assert rows["auc"]["flagged"] is False and rows["brier"]["flagged"] is True
    within = metric_changes(KEYS, {"auc": 0.80}, {"auc": 0.79})  # -1.25 % is within the 5 % tolerance
    assert [(r["metric"], r["flagged"]) for r in within] == [("auc", False)]
    assert metric_changes(KEYS, None, {"auc": 0.8}) == []
    assert metric_changes({"backtest.mase": "lower"}, {"backtest": {"mase": 1.0}}, {"backtest": {"mase": 1.5}})[0][
        "flagged"] is True  # dotted names reach nested metrics
    assert metric_changes(KEYS, {"auc": "n/a"}, {"auc": 0.8}) == []  # not numbers: nothing to compare


def test_psi_is_zero_for_the_same_sample_and_large_for_a_shifted_one() -> None:
    rng = np.random.default_rng(0)
    sample = pd.DataFrame({"x": rng.normal(0, 1, 2000), "label": ["a"] * 2000})
    reference = reference_bins(sample)
    assert set(reference) == {"x"}  # numeric columns only
    assert len(reference["x"]["edges"]) == 9 and sum(reference["x"]["shares"]) == pytest.approx(1.0)
    assert psi(reference, sample)["x"] == pytest.approx(0.0, abs=1e-3)
    same_population = psi(reference, pd.DataFrame({"x": rng.normal(0, 1, 2000)}))["x"]
    assert same_population < PSI_WATCH
    shifted = psi(reference, pd.DataFrame({"x": rng.normal(1.5, 1, 2000)}))["x"]
    assert shifted > 1.0
    report = drift_report(reference, pd.DataFrame({"x": rng.normal(1.5, 1, 500)}))
    assert report["level"] == "alert" and report["flagged"] == ["x"] and report["n"] == 500
    assert report["max_psi"] > PSI_ALERT
    assert drift_report(reference, sample)["level"] == "stable"
    assert psi(reference, pd.DataFrame({"y": [1.0] * 20})) == {}  # a feature that is gone is not compared
    # many tied values (order quantities, weekly means): quantile edges fall on the values themselves
    tied = pd.DataFrame({"x": [10 / 13] * 5 + [20 / 13] * 5 + [30 / 13] * 3})
    assert psi(reference_bins(tied), tied) == {"x": 0.0}


def test_a_worse_retrain_is_flagged_on_the_run_and_the_overview(priced: Engine) -> None:
    run_training(PRICES, engine=priced, trigger="test", params={"quality": 0.8})
    worse = run_training(PRICES, engine=priced, trigger="test", params={"quality": 0.6})
    with Session(priced) as session:
        run = session.get(ModelRun, worse.run_id)
        assert run is not None
        assert run.health["metric_changes"] == [{"metric": "quality", "previous": 0.8, "current": 0.6,
                                                 "change": -0.2, "better": "higher", "flagged": True}]
        assert flags(run) == ["quality got worse: 0.8 -> 0.6"]
        model = describe(session=session, spec=PRICES)
        assert model["state"] == "ready" and model["flags"] == ["quality got worse: 0.8 -> 0.6"]
        assert model["current"]["id"] == worse.run_id and [r["id"] for r in model["runs"]][0] == worse.run_id
        assert "reference" not in model["current"]["health"]  # the drift bins stay out of lists
    better = run_training(PRICES, engine=priced, trigger="test", params={"quality": 0.9})
    with Session(priced) as session:
        run = session.get(ModelRun, better.run_id)
        assert run is not None and [c["flagged"] for c in run.health["metric_changes"]] == [False]
        assert flags(run) == []


def test_check_drift_stores_the_report_on_the_run(priced: Engine) -> None:
    trained = run_training(PRICES, engine=priced, trigger="test")
    with Session(priced) as session:
        stable = check_drift(session=session, spec=PRICES)
        session.commit()
    assert stable is not None and stable["level"] == "stable" and stable["psi"] == {"price": 0.0}
    with Session(priced) as session:
        add_products(session, [float(p) for p in range(1000, 1200)], prefix="NEW")
        session.commit()
        report = check_drift(session=session, spec=PRICES)
        session.commit()
    assert report is not None and report["level"] == "alert" and report["flagged"] == ["price"]
    assert report["n"] == 250 and report["checked_at"] and report["as_of"]
    with Session(priced) as session:
        run = session.get(ModelRun, trained.run_id)
        assert run is not None and run.health["drift"] == report and "reference" in run.health
        assert flags(run) == [f"input drift since training: price (PSI {report['psi']['price']:.2f})"]
        assert check_drift(session=session, spec=VIEW) is None  # no drift check declared


def test_check_drift_needs_a_trained_model(engine: Engine) -> None:
    with Session(engine) as session:
        assert check_drift(session=session, spec=PRICES) is None


def test_the_real_drift_checks_match_their_references(engine: Engine) -> None:
    """Each workspace model with a drift check compares the same features it kept at training: on unchanged data
    every one is stable."""
    from bizpilot.services.models.registry import MODELS
    from tests.services.recommend_data import seed_recommend_workspace

    seed_recommend_workspace(engine, train=False)
    with_drift = [s for s in MODELS.values() if s.drift is not None and s.name != "winprob"]
    assert [s.name for s in with_drift] == ["segments", "churn", "forecast", "reorder"]
    for spec in with_drift:
        assert run_training(spec, engine=engine, trigger="test").status == "finished"
        with Session(engine) as session:
            report = check_drift(session=session, spec=spec)
            session.commit()
        assert report is not None and report["level"] == "stable" and report["psi"], spec.name
        assert all(v == pytest.approx(0.0, abs=1e-3) for v in report["psi"].values()), (spec.name, report)
