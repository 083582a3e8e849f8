"""Demand forecasting: weekly series, backtest-selected methods and ensembles, empirical intervals."""

from bizpilot.ml.forecast.methods import BASELINES, METHODS
from bizpilot.ml.forecast.model import DemandForecaster, Forecast, weekly_matrix

__all__ = ["BASELINES", "METHODS", "DemandForecaster", "Forecast", "weekly_matrix"]
