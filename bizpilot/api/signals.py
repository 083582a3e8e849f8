"""Signals over HTTP: POST /signals/analyse (one text: intent and sentiment; nothing is stored), POST /signals/run
(fill the interactions' signal columns) and GET /signals/alerts (dissatisfaction alerts per account)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.services.signals.analysis import (
    AnalysisReport,
    DissatisfactionAlert,
    MessageSignals,
    analyse_interactions,
    analyse_message,
    dissatisfaction_alerts,
)

router = APIRouter(prefix="/signals", tags=["signals"])


class AnalyseRequest(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="A customer message or review")
    language: Literal["zh", "en"] | None = Field(default=None, description="zh or en (detected when absent)")


# Responses are the service's own dataclasses (FastAPI documents and validates them): one definition per shape.


@router.post("/analyse", response_model=MessageSignals)
async def analyse(body: AnalyseRequest) -> dict[str, Any]:
    """Intent (with confidence, top three and out-of-scope flag) and sentiment of one text; nothing is stored."""
    signals = await run_in_threadpool(analyse_message, body.text, language=body.language)
    return asdict(signals)


@router.post("/run", response_model=AnalysisReport)
async def run(session: SessionDep, reanalyse: bool = Query(False, description="Re-analyse all interactions"),
              limit: int | None = Query(None, ge=1, le=100_000)) -> dict[str, Any]:
    """Analyse the stored interactions that have no signals yet (all with ``reanalyse``)."""
    report = await run_in_threadpool(analyse_interactions, session=session, reanalyse=reanalyse, limit=limit)
    return asdict(report)


@router.get("/alerts", response_model=list[DissatisfactionAlert])
def alerts(session: SessionDep, days: int = Query(30, ge=1, le=3650),
           limit: int = Query(10, ge=1, le=200)) -> list[dict[str, Any]]:
    """Accounts with negative or complaint/refund messages in the last ``days`` (counted back from the end of the
    workspace's today), worst first."""
    return [asdict(a) for a in dissatisfaction_alerts(session=session, days=days, limit=limit)]
