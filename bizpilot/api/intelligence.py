"""Customer intelligence over HTTP: account profiles (with narrative), segments, at-risk accounts, opportunity win
probabilities, demand forecasts (all GET, role read), read from what training computed. Every score carries its
factors and method; every forecast its interval. A model that is not trained yet answers 503 with its state
(queued, training, failed) and is trained in the background; training itself is under /models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.api.export import AT_RISK, EXPORT_RESPONSES, SEGMENT_ACCOUNTS, ExportDep, exportable
from bizpilot.api.params import Id, IdQuery, Offset
from bizpilot.services.intelligence.forecasts import product_forecasts
from bizpilot.services.intelligence.profile import account_intelligence
from bizpilot.services.intelligence.scores import (
    at_risk_accounts,
    behaviour_clusters,
    opportunity_scores,
    segment_accounts,
    segment_summary,
)

router = APIRouter(prefix="/intelligence", tags=["intelligence"])
NOT_READY = {503: {"description": "A model this needs is not trained yet (queued or training): retry later"}}
Lang = Literal["en", "zh"]
SegmentKey = Annotated[str, Path(min_length=1, max_length=64, description="The segment's key")]


@router.get("/accounts/{account_id}/profile", responses={404: {"description": "No such account"}})
async def account_profile(account_id: Id, session: SessionDep, use_llm: bool = False) -> dict[str, Any]:
    """Structured profile (firmographics, RFM/segment, categories, cycle, sentiment, repurchase score with factors,
    open opportunities with win probability and factors, reorders, risks, next actions) and a narrative. A section
    whose model is not ready is listed in ``pending`` with the model's state."""
    return await run_in_threadpool(account_intelligence, session=session, account_id=account_id,
                                   use_llm=use_llm)


@router.get("/segments", responses=NOT_READY)
async def segments(session: SessionDep, lang: Lang = "en") -> list[dict[str, Any]]:
    """Named RFM segments with definition, suggested action, account count and revenue."""
    return await run_in_threadpool(segment_summary, session=session, lang=lang)


@router.get("/segments/{key}/accounts", responses={**NOT_READY, **EXPORT_RESPONSES,
                                                   404: {"description": "No such segment"}})
async def segment_members(key: SegmentKey, session: SessionDep, export: ExportDep, lang: Lang = "en",
                          limit: Annotated[int, Query(ge=1, le=500)] = 50,
                          offset: Offset = 0) -> Any:
    """The accounts of one segment, most valuable first, with their RFM values (``total`` counts them all). A
    download (``format``) holds every member, from ``offset``."""
    result = await run_in_threadpool(segment_accounts, session=session, key=key, lang=lang,
                                     limit=None if export else limit, offset=offset)
    return exportable(result["items"], SEGMENT_ACCOUNTS, export, "segment_accounts", json=result,
                      filename=f"segment-{key}")


@router.get("/clusters")
async def clusters(session: SessionDep, n: Annotated[int, Query(ge=2, le=12)] = 5) -> list[dict[str, Any]]:
    """Behaviour clusters (K-means on log features, computed when asked): size and centre of each."""
    return await run_in_threadpool(behaviour_clusters, session=session, n_clusters=n)


@router.get("/at-risk", responses={**NOT_READY, **EXPORT_RESPONSES})
async def at_risk(session: SessionDep, export: ExportDep,
                  limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    """Valuable accounts least likely to buy again within the horizon, with the factors."""
    rows = await run_in_threadpool(at_risk_accounts, session=session, limit=limit)
    return exportable(rows, AT_RISK, export, "at_risk", filename="at-risk-accounts")  # type: ignore[no-any-return]


@router.get("/opportunities", responses=NOT_READY)
async def opportunities(session: SessionDep, account_id: IdQuery = None) -> list[dict[str, Any]]:
    """Win probability of open opportunities with top positive/negative factors (and the method/fallback)."""
    return await run_in_threadpool(opportunity_scores, session=session, account_id=account_id)


@router.get("/forecasts", responses=NOT_READY)
async def forecasts(session: SessionDep, top: Annotated[int, Query(ge=1, le=500)] = 20,
                    product_id: IdQuery = None) -> list[dict[str, Any]]:
    """Weekly quantity forecasts with prediction intervals for the top products (or one product)."""
    items = await run_in_threadpool(product_forecasts, session=session, top=top, product_id=product_id)
    return [f.to_dict() for f in items]
