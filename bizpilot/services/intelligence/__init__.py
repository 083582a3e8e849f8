"""Customer intelligence as services: segments, profiles and narratives, repurchase and win scores with factors,
demand forecasts, training with ModelRun records, and the evaluations behind `bizpilot eval churn|forecast|winprob`.
"""

from bizpilot.services.intelligence.forecasts import ProductForecast, product_forecasts
from bizpilot.services.intelligence.models import MODEL_NAMES, load_model, train_model
from bizpilot.services.intelligence.profile import account_intelligence, account_profile, narrative
from bizpilot.services.intelligence.scores import (
    at_risk_accounts,
    behaviour_clusters,
    churn_scores,
    opportunity_scores,
    reorder_list,
    segment_definitions,
    segment_summary,
    segments,
)

__all__ = ["MODEL_NAMES", "ProductForecast", "account_intelligence", "account_profile", "at_risk_accounts",
           "behaviour_clusters", "churn_scores", "load_model", "narrative", "opportunity_scores",
           "product_forecasts", "reorder_list", "segment_definitions", "segment_summary", "segments", "train_model"]
