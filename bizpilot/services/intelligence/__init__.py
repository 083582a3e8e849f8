"""Customer intelligence: segments, profiles and narratives, repurchase and win scores with factors, demand
forecasts (read from what training computed: ``scores``, ``profile``, ``forecasts``), how the models train
(``training``, ``specs``), and the evaluations behind `bizpilot eval churn|forecast|winprob` (``evaluate``)."""

from bizpilot.services.intelligence.forecasts import ProductForecast, product_forecasts
from bizpilot.services.intelligence.profile import account_intelligence, account_profile, narrative
from bizpilot.services.intelligence.scores import (
    account_repurchase,
    account_segment,
    at_risk_accounts,
    behaviour_clusters,
    churn_scores,
    opportunity_scores,
    segment_definitions,
    segment_summary,
)

__all__ = ["ProductForecast", "account_intelligence", "account_profile", "account_repurchase", "account_segment",
           "at_risk_accounts", "behaviour_clusters", "churn_scores", "narrative", "opportunity_scores",
           "product_forecasts", "segment_definitions", "segment_summary"]
