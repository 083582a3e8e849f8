"""Insights page: a period's key numbers against the previous period, the topics customers write about (with
quotes linking to the account), the biggest movers, sudden spikes with their week's quotes, the sentiment trend,
competitor share of voice and product/category performance. Topics and spikes are read from the stored ``topics``
model (a section shows "training…" while it trains); charts are inline SVG."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from bizpilot.api.deps import SessionDep
from bizpilot.services.clock import workspace_today
from bizpilot.services.insights.overview import attach_topics, insights, period_bounds, spike_table, topic_table
from bizpilot.services.insights.report import sov_svg, trend_svg
from bizpilot.services.insights.report_parts import spike_svg
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import attempt, refresh_after

router = APIRouter()
DEFAULT_DAYS = 90
MAX_SPIKES = 10


def _day(value: str | None) -> date | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


@router.get("/insights", name="insights")
def insights_page(request: Request, session: SessionDep,
                  start: str | None = Query(default=None, alias="from", max_length=10),
                  end: str | None = Query(default=None, alias="to", max_length=10)) -> Response:
    """The period defaults to the last 90 days up to the workspace's today; a bad or reversed date falls back."""
    lang = request_lang(request)
    last = _day(end) or workspace_today(session=session)
    first = _day(start) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    pending: list[dict[str, Any]] = []
    data = insights(session=session, start=first, end=last, with_topics=False)
    prev, lo, hi = period_bounds(first, last)
    topics = attempt(pending, lambda: topic_table(session=session, prev=prev, start=lo, end=hi), None)
    spikes = attempt(pending, lambda: spike_table(session=session, start=first, end=last), None)
    attach_topics(data, topics, spikes)
    return render(request, "insights/index.html", title=t("nav.insights", lang), data=data, pending=pending,
                  refresh=refresh_after(pending), lang=lang,
                  trend_chart=Markup(trend_svg(data["trend"], lang)),  # built from numbers, text escaped
                  sov_chart=Markup(sov_svg(data["competitors"]["competitors"], lang)),
                  spike_charts=[Markup(spike_svg(s)) for s in (spikes or [])[:MAX_SPIKES]])
