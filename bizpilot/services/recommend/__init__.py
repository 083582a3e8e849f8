"""Recommendations: next-best products with reasons, reorder cycles, similar products (``service``); how the
models train (``training``) and how the model store knows them (``specs``)."""

from bizpilot.services.recommend.service import (
    account_reorders,
    recommend_for_account,
    reorder_due,
    similar_products,
)

__all__ = ["account_reorders", "recommend_for_account", "reorder_due", "similar_products"]
