"""Scores with factors: repurchase/churn propensity per account, product reorder propensity, win probability."""

from bizpilot.ml.scoring.churn import RepurchaseModel
from bizpilot.ml.scoring.propensity import product_propensity
from bizpilot.ml.scoring.winprob import WinProbabilityModel

__all__ = ["RepurchaseModel", "WinProbabilityModel", "product_propensity"]
