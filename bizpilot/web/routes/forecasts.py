"""Forecasts page: weekly demand forecasts with prediction intervals (chart + table) for the top products, the
RFM segments with their definitions, and the valuable accounts at risk with the factors behind each score."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from bizpilot.api.deps import SessionDep
from bizpilot.services.intelligence.forecasts import ProductForecast, product_forecasts
from bizpilot.services.intelligence.scores import at_risk_accounts, segment_summary
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import attempt, refresh_after

router = APIRouter()
TOP = 12


def forecast_chart(f: ProductForecast, lang: str) -> dict[str, Any]:
    """A line chart: history, then the forecast (dashed) between its lower and upper bounds (a filled band)."""
    n_hist, n_fut = len(f.history), len(f.mean)
    pad_h, pad_f = [None] * n_hist, [None] * n_fut
    return {"type": "line", "labels": f.history_weeks + f.weeks, "series": [
        {"label": t("forecasts.history", lang), "data": f.history + pad_f},
        {"label": t("forecasts.lower", lang), "data": pad_h + f.lower, "band": True},
        {"label": t("forecasts.upper", lang), "data": pad_h + f.upper, "band": True, "fill": "-1"},
        {"label": t("forecasts.forecast", lang), "data": pad_h + f.mean, "dashed": True, "color": "#8250df"},
    ]}


@router.get("/forecasts", name="forecasts")
def forecasts_page(request: Request, session: SessionDep) -> Response:
    """Reads what training computed; a section whose model is still training shows its state instead."""
    lang = request_lang(request)
    pending: list[dict[str, Any]] = []
    items = attempt(pending, lambda: product_forecasts(session=session, top=TOP), [])
    segments = attempt(pending, lambda: segment_summary(session=session, lang=lang), [])
    at_risk = attempt(pending, lambda: at_risk_accounts(session=session, limit=10), [])
    charts = [forecast_chart(f, lang) for f in items]
    return render(request, "forecasts/index.html", title=t("forecasts.title", lang), charts=charts, items=items,
                  segments=segments, at_risk=at_risk, pending=pending, refresh=refresh_after(pending))
