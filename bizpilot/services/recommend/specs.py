"""The recommendation models as the model store knows them (see ``services/models/spec.py``)."""

from __future__ import annotations

from bizpilot.domain import Order, OrderLine, Product
from bizpilot.ml.recommend.coldstart import HybridRecommender
from bizpilot.services.models.spec import ModelSpec
from bizpilot.services.recommend.training import reorder_drift, train_recommender, train_reorder

RECOMMEND = ModelSpec(
    name="recommend", title="Recommendations", estimator=HybridRecommender, train=train_recommender,
    summary="Next-best products per account (who bought what, blended with product text for new products and "
            "sparse accounts) and similar products", inputs=(Order, OrderLine, Product),
    key_metrics={"holdout_ndcg@10": "higher", "holdout_precision@10": "higher"})

REORDER = ModelSpec(
    name="reorder", title="Reorder cycles", train=train_reorder,
    summary="Each account's purchase cycle per product: due date, chance of a reorder within 30 days and the "
            "units it would bring", inputs=(Order, OrderLine, Product), drift=reorder_drift)

SPECS = (RECOMMEND, REORDER)

__all__ = ["RECOMMEND", "REORDER", "SPECS"]
