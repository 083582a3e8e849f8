"""Recommendations over HTTP: next-best products for an account (with reasons), the reorder-due list, similar
products (GET, role read). Training is under /models (``POST /models/recommend/train``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.api.export import EXPORT_RESPONSES, RECOMMENDATIONS, REORDER, ExportDep, exportable
from bizpilot.services import recommend as service

router = APIRouter(prefix="/recommend", tags=["recommendations"])
RESPONSES = {404: {"description": "No such account or product"},
             503: {"description": "The model is not trained yet (queued or training): retry later"}}
Reference = Annotated[str, Path(min_length=1, max_length=64, description="External id or SKU, or the id")]
Category = Annotated[str | None, Query(max_length=100, description="Only products of this category")]
AccountFilter = Annotated[str | None, Query(min_length=1, max_length=64, description="Only this account "
                                                                                   "(external id, or id)")]


@router.get("/accounts/{account}", responses={**RESPONSES, **EXPORT_RESPONSES})
async def for_account(account: Reference, session: SessionDep, export: ExportDep,
                      n: Annotated[int, Query(ge=1, le=200)] = 10, lang: Literal["en", "zh"] = "en",
                      category: Category = None) -> dict[str, Any]:
    """Next-best products for an account (external id, or id), each with a reason; ``fallback`` is true when the
    account has no purchase history (most popular products); ``reorder`` lists its cycles coming due. A download
    (``format``) holds the recommended products."""
    result = await run_in_threadpool(service.recommend_for_account, session=session, account=account, n=n,
                                     lang=lang, category=category)
    return exportable(result["items"], RECOMMENDATIONS, export, "recommendations",  # type: ignore[no-any-return]
                      json=result, filename=f"recommendations-{result['account']['id']}")


@router.get("/reorder", responses={**RESPONSES, **EXPORT_RESPONSES})
async def reorder(session: SessionDep, export: ExportDep, account: AccountFilter = None,
                  lang: Literal["en", "zh"] = "en", limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    """Purchase cycles and due dates per account and product, soonest (most overdue) first."""
    result = await run_in_threadpool(service.reorder_due, session=session, account=account, lang=lang, limit=limit)
    return exportable(result["items"], REORDER, export, "reorder", json=result,  # type: ignore[no-any-return]
                      filename="reorder-due")


@router.get("/products/{product}/similar", responses=RESPONSES)
async def similar(product: Reference, session: SessionDep,
                  n: Annotated[int, Query(ge=1, le=200)] = 10) -> dict[str, Any]:
    """Products similar to one (SKU, or id): bought together, and by description for new products."""
    return await run_in_threadpool(service.similar_products, session=session, product=product, n=n)
