"""Overview page: data counts, revenue by month, top accounts, the latest interactions and dissatisfaction alerts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bizpilot.api.deps import SessionDep
from bizpilot.services.overview import get_overview
from bizpilot.services.signals.analysis import ALERT_DAYS, dissatisfaction_alerts, unanalysed_count
from bizpilot.web.charts import revenue_chart
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()


@router.get("/", name="overview")
def overview(request: Request, session: SessionDep) -> Response:
    lang = request_lang(request)
    data = get_overview(session=session)
    return render(request, "overview.html", title=t("overview.title", lang), data=data,
                  chart=revenue_chart(data.revenue_by_month, label=t("overview.revenue_by_month", lang)),
                  alerts=dissatisfaction_alerts(session=session, days=ALERT_DAYS, limit=8), alert_days=ALERT_DAYS,
                  unanalysed=unanalysed_count(session=session))
