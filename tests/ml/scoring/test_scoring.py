"""Repurchase propensity, win probability and reorder propensity on small synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizpilot.ml.base import Estimator
from bizpilot.ml.evaluation import auc, brier, lift_at_k, mase, pr_auc, wape
from bizpilot.ml.scoring import RepurchaseModel, WinProbabilityModel, product_propensity


def synthetic_tx(n_accounts: int = 300, days: int = 400, seed: int = 0) -> pd.DataFrame:
    """Accounts with their own order rate; a third stop buying half-way (the churners)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for a in range(n_accounts):
        rate = rng.uniform(0.01, 0.15)
        stop = days // 2 if a % 3 == 0 else days
        for d in np.flatnonzero(rng.random(days) < rate):
            if d >= stop:
                break
            for p in rng.choice(20, size=2, replace=False):
                rows.append((str(a), f"o{a}-{d}", str(p), start + pd.Timedelta(days=int(d)), 2.0, 10.0 + p, False))
    return pd.DataFrame(rows, columns=["account", "order", "product", "ordered_at", "quantity", "amount",
                                       "is_return"])


def test_repurchase_model_learns_and_explains(tmp_path) -> None:
    tx = synthetic_tx()
    cutoff = pd.Timestamp("2024-11-01")
    model = RepurchaseModel(horizon_days=60, n_estimators=100).fit(tx[tx["ordered_at"] < cutoff], cutoff)
    assert model.method_ == "lightgbm" and model.fallback_reason_ is None
    x = model.features(tx, cutoff)
    buyers = set(tx[(tx["ordered_at"] >= cutoff) & (tx["ordered_at"] < cutoff + pd.Timedelta(days=60))]["account"])
    y = x.index.isin(list(buyers)).astype(int)
    p = model.predict_proba(x)
    assert auc(y, p) > 0.75
    assert p.min() >= 0.01 and p.max() <= 0.99
    scored = model.score(tx, cutoff)
    pos, neg = scored.iloc[0]["positive"], scored.iloc[0]["negative"]
    assert pos or neg
    assert all(f["effect"] > 0 for f in pos) and all(f["effect"] < 0 for f in neg)
    loaded = Estimator.load(model.save(tmp_path / "churn"))
    np.testing.assert_allclose(loaded.predict_proba(x), p)


def test_repurchase_model_falls_back_and_says_so() -> None:
    tx = synthetic_tx(n_accounts=20)
    model = RepurchaseModel(horizon_days=60).fit(tx)
    assert model.method_ == "frequency-fallback"
    assert "smoothed purchase-rate" in model.fallback_reason_
    p = model.predict_proba(model.features(tx))
    assert ((p >= 0.01) & (p <= 0.99)).all()


def test_training_never_reads_after_the_cutoff() -> None:
    tx = synthetic_tx(n_accounts=60)
    cutoff = pd.Timestamp("2024-09-01")
    a = RepurchaseModel(horizon_days=60, n_estimators=50).fit(tx, cutoff)
    b = RepurchaseModel(horizon_days=60, n_estimators=50).fit(tx[tx["ordered_at"] < cutoff], cutoff)
    x = a.features(tx, cutoff)
    np.testing.assert_allclose(a.predict_proba(x), b.predict_proba(x))


def _opportunities(n: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"amount": rng.lognormal(9, 1, n), "source": rng.choice(["referral", "web", "fair"], n),
                      "tier": rng.choice(["key", "standard"], n)})
    logit = 1.5 * (x["source"] == "referral") - 1.0 * (x["source"] == "web") - 0.5 * np.log(x["amount"] / 8000)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y.to_numpy()


def test_win_probability_with_factors(tmp_path) -> None:
    x, y = _opportunities(400)
    model = WinProbabilityModel().fit(x.iloc[:300], y[:300])
    assert model.method_ == "lightgbm"
    p = model.predict_proba(x.iloc[300:])
    assert auc(y[300:], p) > 0.65 and brier(y[300:], p) < 0.25
    pos, neg = model.explain(x.iloc[300:301])[0]
    assert {f.feature for f in pos + neg} <= {"amount", "source", "tier"}
    loaded = WinProbabilityModel.load(model.save(tmp_path / "wp"))
    np.testing.assert_allclose(loaded.predict_proba(x.iloc[300:]), p)


def test_win_probability_fallback_with_few_closed_deals() -> None:
    x, y = _opportunities(25)
    model = WinProbabilityModel().fit(x, y)
    assert model.method_ == "frequency-fallback" and "closed opportunities" in model.fallback_reason_
    p = model.predict_proba(pd.DataFrame({"amount": [5000.0], "source": ["referral"], "tier": ["unseen"]}))
    assert 0.01 <= p[0] <= 0.99
    pos, neg = model.explain(x.iloc[:1])[0]
    assert pos or neg


def test_product_propensity_ranks_regular_reorders_first() -> None:
    t0 = pd.Timestamp("2024-01-01")
    rows = [("1", f"a{i}", "regular", t0 + pd.Timedelta(days=14 * i), 1.0, 5.0, False) for i in range(10)]
    rows += [("1", "b", "once", t0 + pd.Timedelta(days=3), 1.0, 5.0, False)]
    tx = pd.DataFrame(rows, columns=["account", "order", "product", "ordered_at", "quantity", "amount", "is_return"])
    out = product_propensity(tx, t0 + pd.Timedelta(days=140), horizon_days=30)
    assert out.iloc[0]["product"] == "regular" and out.iloc[0]["probability"] > out.iloc[1]["probability"]


def test_metrics_match_definitions() -> None:
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    assert auc(y, s) == pytest.approx(0.75)
    assert pr_auc(y, s) == pytest.approx((1 + 2 / 3) / 2)
    assert brier(y, s) == pytest.approx(np.mean((s - y) ** 2))
    assert lift_at_k(y, s, 0.25) == pytest.approx(2.0)
    train = np.array([[1.0, 3.0, 2.0]])
    assert mase(np.array([[2.0, 4.0]]), np.array([[2.0, 2.0]]), train) == pytest.approx(1.0 / 1.5)
    assert wape(np.array([2.0, 4.0]), np.array([2.0, 2.0])) == pytest.approx(2 / 6)
