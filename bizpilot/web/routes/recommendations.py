"""Recommendations page: per account, next-best products with a reason each and its reorder-due list; per product,
similar products; the workspace-wide reorder-due list; a button to retrain the model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import ensure_database
from bizpilot.domain import Account, Product
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services import recommend as service
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()


def _load(lang: str, account: str | None, product: str | None, n: int) -> dict[str, Any]:
    engine = ensure_database()
    with engine.connect() as conn:
        accounts = conn.execute(select(Account.id, Account.name, Account.industry).order_by(Account.name)).all()
        products = conn.execute(select(Product.id, Product.sku, Product.name).order_by(Product.sku)).all()
    data: dict[str, Any] = {"accounts": accounts, "products": products, "recs": None, "similar": None,
                            "reorder": None, "error": None, "model_run": None}
    try:
        if account:
            data["recs"] = service.recommend_for_account(engine=engine, account=account, n=n, lang=lang)
        else:
            data["reorder"] = service.reorder_due(engine=engine, lang=lang, limit=25, statuses=("overdue", "due"))
        if product:
            data["similar"] = service.similar_products(engine=engine, product=product, n=n)
    except (NotFoundError, ValidationFailed) as exc:
        data["error"] = exc.message
    return data


@router.get("/recommendations", name="recommendations")
async def recommendations_page(request: Request, account: str | None = None, product: str | None = None,
                               n: int = 10) -> Response:
    lang = request_lang(request)
    n = max(1, min(int(n), 50))
    data = await run_in_threadpool(_load, lang, (account or "").strip() or None, (product or "").strip() or None, n)
    status = 404 if data["error"] and "not found" in data["error"] else 200
    return render(request, "recommendations/index.html", title=t("recs.title", lang), account=account or "",
                  product=product or "", n=n, status_code=status, **data)


@router.post("/recommendations/train", name="recommendations_train")
async def recommendations_train(request: Request) -> Response:
    await run_in_threadpool(service.train, engine=ensure_database())
    return RedirectResponse(f"{request.scope.get('root_path', '')}/recommendations?trained=1", status_code=303)
