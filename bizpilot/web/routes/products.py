"""Products: the catalogue (search, category, status, sort, pages) and each product's page with its facts, attributes,
sales and audit trail. Managers and admins add, edit, archive and restore products (nobody owns a product, so the
policy gives them to managers); everyone else reads, and the records service answers 403 to anything more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.errors import ConflictError, ValidationFailed
from bizpilot.services.listing import list_rows
from bizpilot.services.products import categories, product_sales
from bizpilot.services.records import archive_record, create_record, get_record, restore_record, update_record
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
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

router = APIRouter()

PAGE_SIZE = 50
SORT_CHOICES = ("sku", "name", "price", "-price", "category")
PRODUCT_FIELDS = ("sku", "name", "category", "price", "currency", "unit", "stock_qty", "description", "language",
                  "active")
ProductId = Annotated[int, Path(ge=1, le=2**63 - 1)]
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
def products_list(request: Request, session: SessionDep, q: str | None = None, category: str | None = None,
                  archived: str | None = None, sort: str | None = None,
                  page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _list_page(request, session, q=q, category=category, archived=archived, sort=sort, page=page)


def _list_page(request: Request, session: Session, *, q: str | None, category: str | None, archived: str | None,
               sort: str | None, page: int, status_code: int = 200, new: FormState | None = None) -> Response:
    lang = request_lang(request)
    archived = archived if archived in ("only", "include") else None
    sort = sort if sort in SORT_CHOICES else None
    result = list_rows(session=session, entity="products", filters={"category": category}, q=q, sort=sort,
                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, archived=archived or "exclude")
    filtered = bool((q or "").strip() or category or archived)
    return render(request, "products/list.html", status_code=status_code, title=t("products.title", lang),
                  page=result, page_no=page, page_size=PAGE_SIZE, q=q or "", category=category or "",
                  archived=archived or "", sort=sort or "", sort_choices=SORT_CHOICES, filtered=filtered,
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


def _detail_page(request: Request, session: Session, product_id: int, *, status_code: int = 200,
                 edit: FormState | None = None) -> Response:
    product = get_record(session=session, entity="products", record_id=product_id)
    return render(request, "products/detail.html", status_code=status_code, title=product.name, p=product,
                  sales=product_sales(session=session, product_id=product_id),
                  editable=can_change(principal_of(request), session=session, record=product),
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
