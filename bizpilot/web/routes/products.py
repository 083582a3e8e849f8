"""Products: the catalogue (search, category, price range, in stock, status, sort, pages) and each product's page with
its facts, attributes, price and stock, monthly sales, demand forecast with intervals, who buys it (industries,
segments), similar products, what is bought with it, what customers say about it by aspect, its generated copy with
the checks' results, and its audit trail. Model-backed sections read stored outputs (``web/pending.py``). Managers
and admins add, edit, archive and restore products (nobody owns a product, so the policy gives them to
managers); everyone else reads, and the records service answers 403 to anything more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.errors import ConflictError, ValidationFailed
from bizpilot.services.content.facts import PRODUCT_KINDS
from bizpilot.services.products import (
    bought_together,
    buyer_industries,
    catalogue,
    categories,
    monthly_sales,
    product_sales,
)
from bizpilot.services.products_insight import (
    account_segments,
    buyer_segments,
    product_forecast,
    product_generations,
    product_voice,
    similar,
)
from bizpilot.services.records import archive_record, create_record, get_record, restore_record, update_record
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import attempt, refresh_after
from bizpilot.web.record_forms import (
    FormState,
    can_change,
    can_create_unowned,
    form_values,
    notice_of,
    principal_of,
    trail,
    version_of,
)
from bizpilot.web.routes.forecasts import forecast_chart

router = APIRouter()

PAGE_SIZE = 50
SORT_CHOICES = ("sku", "name", "price", "-price", "category")
PRODUCT_FIELDS = ("sku", "name", "category", "price", "currency", "unit", "stock_qty", "description", "language",
                  "active")
ProductId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PriceText = Annotated[str | None, Query(max_length=24)]  # a form's empty box arrives as "", so parsed here
COPY_KINDS = tuple(k for k in PRODUCT_KINDS if k != "inquiry_reply")  # copy about the product alone
Text = Annotated[str, Form(max_length=255)]


def _values(form: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Posted fields as the product schema takes them: numbers as typed (the schema checks them), the active box."""
    fields = PRODUCT_FIELDS if creating else tuple(f for f in PRODUCT_FIELDS if f != "sku")
    values = form_values(form, fields)
    values["active"] = form.get("active") in ("1", "on", "true")
    if values.get("currency"):
        values["currency"] = values["currency"].upper()
    return values


@router.get("/products", name="products")
def products_list(request: Request, session: SessionDep, q: Annotated[str | None, Query(max_length=200)] = None,
                  category: Annotated[str | None, Query(max_length=100)] = None,
                  archived: Annotated[str | None, Query(max_length=10)] = None,
                  sort: Annotated[str | None, Query(max_length=10)] = None, min_price: PriceText = None,
                  max_price: PriceText = None, in_stock: Annotated[str | None, Query(max_length=5)] = None,
                  page: Annotated[int, Query(ge=1, le=10**6)] = 1) -> Response:
    return _list_page(request, session, q=q, category=category, archived=archived, sort=sort, page=page,
                      min_price=min_price, max_price=max_price, in_stock=in_stock)


def _price(name: str, text: str | None) -> float | None:
    """A price box's value: empty is no bound; anything but a number >= 0 is a 422 naming the box."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e15:
        raise ValidationFailed(f"{name} must be a number >= 0", details=[{"field": name, "reason": "not a price",
                                                                         "value": text}])
    return value


def _list_page(request: Request, session: Session, *, q: str | None, category: str | None, archived: str | None,
               sort: str | None, page: int, status_code: int = 200, new: FormState | None = None,
               min_price: str | None = None, max_price: str | None = None, in_stock: str | None = None) -> Response:
    lang = request_lang(request)
    archived = archived if archived in ("only", "include") else None
    sort = sort if sort in SORT_CHOICES else None
    low, high = _price("min_price", min_price), _price("max_price", max_price)
    stocked = in_stock in ("1", "on", "true")
    result = catalogue(session=session, q=q, category=category or None, min_price=low, max_price=high,
                       in_stock=stocked, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                       archived=archived or "exclude")
    filtered = bool((q or "").strip() or category or archived or low is not None or high is not None or stocked)
    return render(request, "products/list.html", status_code=status_code, title=t("products.title", lang),
                  page=result, page_no=page, page_size=PAGE_SIZE, q=q or "", category=category or "",
                  archived=archived or "", sort=sort or "", sort_choices=SORT_CHOICES, filtered=filtered,
                  min_price=(min_price or "").strip(), max_price=(max_price or "").strip(), in_stock=stocked,
                  categories=categories(session=session), can_create=can_create_unowned(principal_of(request)),
                  new=new or FormState(), filters={"category": category, "archived": archived})


@router.post("/products/new", name="product_create")
def product_create(request: Request, session: SessionDep, sku: Text = "", name: Text = "", category: Text = "",
                   price: Text = "", currency: Text = "", unit: Text = "", stock_qty: Text = "",
                   description: Annotated[str, Form(max_length=20_000)] = "", language: Text = "",
                   active: Text = "") -> Response:
    values = _values({"sku": sku, "name": name, "category": category, "price": price, "currency": currency,
                      "unit": unit, "stock_qty": stock_qty, "description": description, "language": language,
                      "active": active}, creating=True)
    try:
        product = create_record(session=session, entity="products", data=values, principal=principal_of(request),
                                channel="page")
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        return _list_page(request, session, q=None, category=None, archived=None, sort=None, page=1,
                          status_code=exc.status, new=FormState.failed(values, exc))
    return RedirectResponse(f"/products/{product.id}?notice=created", status_code=303)


@router.get("/products/{product_id}", name="product_detail")
def product_page(request: Request, product_id: ProductId, session: SessionDep) -> Response:
    return _detail_page(request, session, product_id)


def sales_chart(months: list[Any], lang: str) -> dict[str, Any]:
    """Bars of net revenue per month (the table under the chart adds units and orders)."""
    return {"type": "bar", "labels": [m.month for m in months],
            "series": [{"label": t("products.revenue", lang), "data": [m.revenue for m in months]}]}


def _detail_page(request: Request, session: Session, product_id: int, *, status_code: int = 200,
                 edit: FormState | None = None) -> Response:
    lang = request_lang(request)
    product = get_record(session=session, entity="products", record_id=product_id)
    principal = principal_of(request)
    sales = product_sales(session=session, product_id=product_id)
    months = monthly_sales(session=session, product_id=product_id)
    pending: list[dict[str, Any]] = []
    forecast = attempt(pending, lambda: product_forecast(session=session, product_id=product_id), None)
    segments = attempt(pending, lambda: buyer_segments(session=session, product_id=product_id, lang=lang), [])
    buyer_segment = attempt(pending, lambda: account_segments(
        session=session, account_ids=[b.account_id for b in sales.top_buyers], lang=lang), {})
    alike = attempt(pending, lambda: similar(session=session, product_id=product_id), None)
    return render(request, "products/detail.html", status_code=status_code, title=product.name, p=product,
                  sales=sales, months=months, sales_chart=sales_chart(months, lang) if months else None,
                  forecast=forecast, forecast_chart=forecast_chart(forecast, lang) if forecast else None,
                  industries=buyer_industries(session=session, product_id=product_id), segments=segments,
                  buyer_segment=buyer_segment, similar=alike,
                  together=bought_together(session=session, product_id=product_id),
                  voice=product_voice(session=session, product_id=product_id),
                  generations=product_generations(session=session, product_id=product_id),
                  copy_kinds=COPY_KINDS, can_generate=principal.allows("write"),
                  pending=pending, refresh=None if edit and edit.error else refresh_after(pending),
                  editable=can_change(principal, session=session, record=product),
                  history=trail(session=session, entity="products", record_id=product_id),
                  notice=notice_of(request), edit=edit or FormState())


@router.post("/products/{product_id}/edit", name="product_edit")
def product_edit(request: Request, product_id: ProductId, session: SessionDep, name: Text = "", category: Text = "",
                 price: Text = "", currency: Text = "", unit: Text = "", stock_qty: Text = "",
                 description: Annotated[str, Form(max_length=20_000)] = "", language: Text = "", active: Text = "",
                 version: Annotated[str, Form(max_length=20)] = "") -> Response:
    values = _values({"name": name, "category": category, "price": price, "currency": currency, "unit": unit,
                      "stock_qty": stock_qty, "description": description, "language": language, "active": active},
                     creating=False)
    try:
        update_record(session=session, entity="products", record_id=product_id, data=values,
                      principal=principal_of(request), channel="page",
                      expected_version=version_of({"version": version}))
    except (ValidationFailed, ConflictError) as exc:
        session.rollback()
        state = FormState.failed(values, exc, get_record(session=session, entity="products", record_id=product_id))
        return _detail_page(request, session, product_id, status_code=exc.status, edit=state)
    return RedirectResponse(f"/products/{product_id}?notice=saved", status_code=303)


@router.post("/products/{product_id}/archive", name="product_archive")
def product_archive(request: Request, product_id: ProductId, session: SessionDep) -> Response:
    archive_record(session=session, entity="products", record_id=product_id, principal=principal_of(request),
                   channel="page")
    return RedirectResponse(f"/products/{product_id}?notice=archived", status_code=303)


@router.post("/products/{product_id}/restore", name="product_restore")
def product_restore(request: Request, product_id: ProductId, session: SessionDep) -> Response:
    restore_record(session=session, entity="products", record_id=product_id, principal=principal_of(request),
                   channel="page")
    return RedirectResponse(f"/products/{product_id}?notice=restored", status_code=303)
