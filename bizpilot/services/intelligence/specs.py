"""The customer-intelligence models as the model store knows them (see ``services/models/spec.py``)."""

from __future__ import annotations

from bizpilot.domain import Account, Interaction, Opportunity, Order, OrderLine
from bizpilot.ml.forecast import DemandForecaster
from bizpilot.ml.scoring.churn import RepurchaseModel
from bizpilot.ml.scoring.winprob import WinProbabilityModel
from bizpilot.ml.segment import RFMSegmenter
from bizpilot.services.intelligence.training import (
    churn_drift,
    forecast_drift,
    segments_drift,
    train_churn,
    train_forecast,
    train_segments,
    train_winprob,
)
from bizpilot.services.models.spec import ModelSpec

SEGMENTS = ModelSpec(
    name="segments", title="Segments", estimator=RFMSegmenter, train=train_segments,
    summary="RFM quintile scores and named segments of every account, each with its rule and suggested action",
    inputs=(Order, OrderLine, Account), drift=segments_drift)

CHURN = ModelSpec(
    name="churn", title="Repurchase", estimator=RepurchaseModel, train=train_churn,
    summary="Chance that an account orders within 90 days, with the factors that raise and lower it",
    inputs=(Order, OrderLine, Account), key_metrics={"auc": "higher", "brier": "lower"},
    drift=churn_drift)

WINPROB = ModelSpec(
    name="winprob", title="Win probability", estimator=WinProbabilityModel, train=train_winprob,
    summary="Chance that an open opportunity is won, with the factors behind it",
    inputs=(Opportunity, Account, Order, Interaction), key_metrics={"cv_auc": "higher", "cv_brier": "lower"})

FORECAST = ModelSpec(
    name="forecast", title="Demand forecast", estimator=DemandForecaster, train=train_forecast,
    summary="Weekly quantity per product for the next 8 weeks with an 80 % interval, method chosen by backtest",
    inputs=(Order, OrderLine), key_metrics={"mase": "lower"}, drift=forecast_drift)

SPECS = (SEGMENTS, CHURN, WINPROB, FORECAST)

__all__ = ["CHURN", "FORECAST", "SEGMENTS", "SPECS", "WINPROB"]
