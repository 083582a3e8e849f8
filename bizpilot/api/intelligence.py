"""Customer intelligence over HTTP: account profiles (with narrative), segments, at-risk accounts, opportunity win
probabilities, demand forecasts (all GET, role read) and retraining (POST, role write). Every score carries its
factors and method; every forecast its interval."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.services import intelligence as intel

router = APIRouter(prefix="/intelligence", tags=["intelligence"])


@router.get("/accounts/{account_id}/profile")
async def account_profile(account_id: int, session: SessionDep, use_llm: bool = False) -> dict[str, Any]:
    """Structured profile (firmographics, RFM/segment, categories, cycle, sentiment, repurchase score with factors,
    open opportunities with win probability and factors, reorders, risks, next actions) and a narrative."""
    return await run_in_threadpool(intel.account_intelligence, session, account_id=account_id, use_llm=use_llm)


@router.get("/segments")
async def segments(session: SessionDep, lang: str = "en") -> list[dict[str, Any]]:
    """Named RFM segments with definition, suggested action, account count and revenue."""
    return await run_in_threadpool(intel.segment_summary, session, lang=lang)


@router.get("/clusters")
async def clusters(session: SessionDep, n: Annotated[int, Query(ge=2, le=12)] = 5) -> list[dict[str, Any]]:
    """Behaviour clusters (K-means on log features): size and centre of each."""
    return await run_in_threadpool(intel.behaviour_clusters, session, n_clusters=n)


@router.get("/at-risk")
async def at_risk(session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    """Valuable accounts least likely to buy again within the horizon, with the factors."""
    return await run_in_threadpool(intel.at_risk_accounts, session, limit=limit)


@router.get("/opportunities")
async def opportunities(session: SessionDep, account_id: int | None = None,
                        open_only: bool = True) -> list[dict[str, Any]]:
    """Win probability of opportunities with top positive/negative factors (and the method/fallback)."""
    return await run_in_threadpool(intel.opportunity_scores, session, account_id=account_id, open_only=open_only)


@router.get("/forecasts")
async def forecasts(session: SessionDep, top: Annotated[int, Query(ge=1, le=500)] = 20,
                    product_id: int | None = None) -> list[dict[str, Any]]:
    """Weekly quantity forecasts with prediction intervals for the top products (or one product)."""
    items = await run_in_threadpool(intel.product_forecasts, session, top=top, product_id=product_id)
    return [f.to_dict() for f in items]


@router.post("/train/{name}")
async def train(name: str, session: SessionDep) -> dict[str, Any]:
    """Retrain one model (churn, winprob, forecast, segments) and record the run."""
    result = await run_in_threadpool(intel.train_model, session, name=name)
    session.commit()
    return result
