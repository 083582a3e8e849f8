"""Recommendations over HTTP: next-best products for an account (with reasons), the reorder-due list, similar
products (GET, role read) and retraining (POST /recommend/train, role write)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import ensure_database
from bizpilot.services import recommend as service

router = APIRouter(prefix="/recommend", tags=["recommendations"])


@router.get("/accounts/{account}")
async def for_account(account: str, n: Annotated[int, Query(ge=1, le=200)] = 10, lang: Literal["en", "zh"] = "en",
                      category: str | None = None) -> dict[str, Any]:
    """Next-best products for an account (id or external id), each with a reason; ``fallback`` is true when the
    account has no purchase history (most popular products); ``reorder`` lists its due replenishments."""
    return await run_in_threadpool(service.recommend_for_account, engine=ensure_database(), account=account, n=n,
                                   lang=lang, category=category)


@router.get("/reorder")
async def reorder(account: str | None = None, lang: Literal["en", "zh"] = "en",
                  limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    """Purchase cycles and due dates per account and product, soonest (most overdue) first."""
    return await run_in_threadpool(service.reorder_due, engine=ensure_database(), account=account, lang=lang,
                                   limit=limit)


@router.get("/products/{product}/similar")
async def similar(product: str, n: Annotated[int, Query(ge=1, le=200)] = 10) -> dict[str, Any]:
    """Products similar to one (id or SKU): bought together, and by description for new products."""
    return await run_in_threadpool(service.similar_products, engine=ensure_database(), product=product, n=n)


@router.post("/train")
async def train() -> dict[str, Any]:
    """Retrain from the workspace's order lines; records a model run and returns its metrics."""
    return await run_in_threadpool(service.train, engine=ensure_database())
