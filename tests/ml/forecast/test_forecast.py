"""Weekly matrices, backtest-selected forecasts and their intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizpilot.ml.evaluation import interval_coverage, mase
from bizpilot.ml.forecast import DemandForecaster, weekly_matrix


def test_weekly_matrix_uses_complete_weeks_ending_on_the_last_day() -> None:
    t0 = pd.Timestamp("2024-01-03")
    tx = pd.DataFrame({"product": ["a", "a", "b", "a"], "ordered_at": [t0, t0 + pd.Timedelta(days=7),
                                                                       t0 + pd.Timedelta(days=8),
                                                                       t0 + pd.Timedelta(days=20)],
                       "quantity": [1.0, 2.0, 5.0, -3.0], "is_return": [False, False, False, True]})
    m = weekly_matrix(tx)
    # The last sale is on day 8 (day 20 is a return): one complete week (days 2-8); day 0 is a partial week.
    assert m.shape == (2, 1)
    assert m.loc["b"].tolist() == [5.0] and m.loc["a"].tolist() == [2.0]


def test_forecaster_beats_naive_on_noisy_series_and_covers(tmp_path) -> None:
    rng = np.random.default_rng(0)
    level = rng.uniform(5, 50, size=(60, 1))
    y = rng.poisson(level, size=(60, 60)).astype(float)
    train, test = y[:, :-8], y[:, -8:]
    model = DemandForecaster(horizon=8, candidates=("naive", "mean", "median8", "croston_sba")).fit(train)
    fc = model.predict()
    assert mase(test, fc.mean, train) < mase(test, np.repeat(train[:, -1:], 8, axis=1), train)
    assert (fc.lower <= fc.mean).all() and (fc.mean <= fc.upper).all() and (fc.lower >= 0).all()
    assert 0.6 <= interval_coverage(test, fc.lower, fc.upper) <= 0.97
    assert set(model.backtest_) >= {"naive", "mean", "median8", "croston_sba"}
    loaded = DemandForecaster.load(model.save(tmp_path / "fc"))
    np.testing.assert_allclose(loaded.predict().mean, fc.mean)
