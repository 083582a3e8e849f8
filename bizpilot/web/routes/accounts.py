"""Accounts list (search, filters, sort, pages) and the account detail page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from bizpilot.api.deps import SessionDep
from bizpilot.services.accounts import account_detail, revenue_for_accounts
from bizpilot.services.intelligence.profile import account_intelligence
from bizpilot.services.listing import distinct_values, list_rows
from bizpilot.web.charts import revenue_chart
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import refresh_after

router = APIRouter()

PAGE_SIZE = 50
FACETS = ("industry", "country", "tier")
SORT_CHOICES = ("name", "-name", "-created_at", "created_at", "country", "industry")


@router.get("/accounts", name="accounts")
def accounts_list(request: Request, session: SessionDep, q: str | None = None, industry: str | None = None,
                  country: str | None = None, tier: str | None = None, sort: str | None = None,
                  page: Annotated[int, Query(ge=1)] = 1) -> Response:
    lang = request_lang(request)
    filters = {"industry": industry, "country": country, "tier": tier}
    result = list_rows(session=session, entity="accounts", filters=filters, q=q, sort=sort or None, limit=PAGE_SIZE,
                       offset=(page - 1) * PAGE_SIZE)
    facets = {name: distinct_values(session=session, entity="accounts", column=name) for name in FACETS}
    revenue = revenue_for_accounts(session=session, account_ids=[a.id for a in result.items])
    filtered = bool((q or "").strip() or any(filters.values()))
    return render(request, "accounts/list.html", title=t("accounts.title", lang), page=result,
                  page_no=page, page_size=PAGE_SIZE, revenue=revenue, facets=facets, filters=filters, q=q or "",
                  sort=sort or "", sort_choices=SORT_CHOICES, filtered=filtered)


@router.get("/accounts/{account_id}", name="account_detail")
def account_page(request: Request, account_id: int, session: SessionDep) -> Response:
    lang = request_lang(request)
    detail = account_detail(session=session, account_id=account_id)
    chart = revenue_chart(detail.revenue_by_month, label=t("account.revenue_by_month", lang))
    # Profile, segment, repurchase score and win probabilities with their factors, as training computed them;
    # a section whose model is still training says so (``intel.pending``) and the page refreshes itself.
    intel = account_intelligence(session=session, account_id=account_id)
    return render(request, "accounts/detail.html", title=detail.account.name, d=detail, chart=chart, intel=intel,
                  refresh=refresh_after(intel["pending"]))
