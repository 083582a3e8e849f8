"""Recommendations page: per account, next-best products with a reason each and its reorder cycles coming due; per
product, similar products; the workspace-wide reorder-due list; a button that retrains the models in the
background. Everything is read from what training computed; a model still training shows its state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.domain import Account, Product
from bizpilot.domain.product import is_merchandise
from bizpilot.errors import NotFoundError
from bizpilot.services import recommend as service
from bizpilot.services.models import jobs
from bizpilot.services.recommend.specs import SPECS as RECOMMEND_SPECS
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import attempt, refresh_after

router = APIRouter()


@router.get("/recommendations", name="recommendations")
def recommendations_page(request: Request, session: SessionDep, account: str | None = None,
                         product: str | None = None, n: int = 10) -> Response:
    lang = request_lang(request)
    n = max(1, min(int(n), 50))
    account, product = (account or "").strip() or None, (product or "").strip() or None
    accounts = session.execute(select(Account.id, Account.external_id, Account.name, Account.industry)
                               .order_by(Account.name)).all()
    products = session.execute(select(Product.id, Product.sku, Product.name).where(is_merchandise())
                               .order_by(Product.sku)).all()
    pending: list[dict[str, Any]] = []
    data: dict[str, Any] = {"recs": None, "similar": None, "reorder": None, "error": None}
    try:
        if account:
            data["recs"] = attempt(pending, lambda: service.recommend_for_account(
                session=session, account=account, n=n, lang=lang), None)
        else:
            data["reorder"] = attempt(pending, lambda: service.reorder_due(
                session=session, lang=lang, limit=25, statuses=("overdue", "due")), None)
        if product:
            data["similar"] = attempt(pending, lambda: service.similar_products(session=session, product=product,
                                                                                n=n), None)
    except NotFoundError as exc:
        data["error"] = exc.message
    return render(request, "recommendations/index.html", title=t("recs.title", lang), account=account or "",
                  product=product or "", n=n, status_code=404 if data["error"] else 200, accounts=accounts,
                  products=products, pending=pending, refresh=refresh_after(pending), **data)


@router.post("/recommendations/train", name="recommendations_train")
def recommendations_train(request: Request, session: SessionDep) -> Response:
    """Queue the recommender and the reorder cycles for retraining; the page shows their progress."""
    jobs.request_many(RECOMMEND_SPECS, engine=session.get_bind(), trigger="page")  # type: ignore[arg-type]
    return RedirectResponse(f"{request.scope.get('root_path', '')}/recommendations?trained=1", status_code=303)
