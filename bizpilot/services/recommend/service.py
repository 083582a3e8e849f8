"""Recommendations for the workspace: next-best products for an account with reasons, its reorder cycles, the
workspace's due reorders, similar products.

Scores come from the saved hybrid recommender (loaded once per process by the model store; scoring one account is
a sparse row times the item weights) and reorder cycles from the replenishment view training computed
(``training.train_reorder``), so every page, route and the assistant show the same cycle for an account and a
product. Postage, fees and inactive products are never recommended.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.domain.model_run import ModelOutput
from bizpilot.domain.product import is_merchandise
from bizpilot.errors import ModelNotReady
from bizpilot.ml.recommend.explain import explain, reorder_reason
from bizpilot.services.models.access import load_model, outputs, require_ready
from bizpilot.services.models.spec import ModelSpec
from bizpilot.services.recommend.specs import RECOMMEND, REORDER
from bizpilot.services.references import resolve_account, resolve_product

DUE_STATUSES = ("overdue", "due", "upcoming")
DUE_WINDOW_DAYS = 7  # "due" means due within a week (see ml/recommend/replenishment.py)
# The replenishment view's score is the days until due (none when lapsed): each status is a score range.
STATUS_SCORES = {"overdue": ModelOutput.score < 0,
                 "due": ModelOutput.score.between(0, DUE_WINDOW_DAYS),
                 "upcoming": ModelOutput.score > DUE_WINDOW_DAYS}


def _excluded_products(session: Session) -> list[int]:
    """Products never recommended: inactive ones and postage/fees/discounts."""
    return list(session.scalars(select(Product.id).where(or_(Product.active.is_(False), ~is_merchandise()))))


def _bought(session: Session, account_id: int) -> list[int]:
    """The goods an account has bought (what ``training.purchases`` counts), as sorted ids: one small query, no
    DataFrame, since every recommendation request asks."""
    return sorted(int(p) for p in session.scalars(
        select(OrderLine.product_id).distinct().join(Order, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.account_id == account_id, Order.kind == "sale", OrderLine.line_type == "sale",
               OrderLine.quantity > 0, is_merchandise())))


def _require_all(session: Session, *specs: ModelSpec) -> None:
    """Every model a reader needs is ready; otherwise all missing ones are queued at once (one wait, not one per
    model) and the first one's ``ModelNotReady`` is raised."""
    not_ready: list[ModelNotReady] = []
    for spec in specs:
        try:
            require_ready(session=session, spec=spec)
        except ModelNotReady as exc:
            not_ready.append(exc)
    if not_ready:
        raise not_ready[0]


def recommend_for_account(*, session: Session, account: str | int, n: int = 10, lang: str = "en",
                          category: str | None = None, include_bought: bool = False) -> dict[str, Any]:
    """Next-best products for one account, each with a reason, plus its reorder cycles that are coming due."""
    _require_all(session, RECOMMEND, REORDER)
    model = load_model(session=session, spec=RECOMMEND)
    acct = resolve_account(session=session, ref=account)
    peers = (list(session.scalars(select(Account.id).where(Account.industry == acct.industry, Account.id != acct.id)))
             if acct.industry else [])
    history = _bought(session, acct.id)
    excluded = _excluded_products(session)
    allowed = list(session.scalars(select(Product.id).where(Product.category == category))) if category else None
    if model.user_index([acct.id])[0] >= 0:
        recs = model.recommend([acct.id], n, filter_already_bought=not include_bought, exclude_items=excluded,
                               allowed_items=allowed)
    else:
        recs = model.recommend_for_history(history, n, filter_already_bought=not include_bought,
                                           exclude_items=excluded, allowed_items=allowed)
    ids = [int(x) for x in recs.ids[0] if x is not None]
    scores = [float(s) for s in recs.scores[0][:len(ids)]]
    info = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    names = dict(session.execute(select(Product.id, Product.name).where(Product.id.in_(ids + history))).all())
    cold = {int(x) for x in model.item_ids_[model.cold_items_].tolist()}
    reasons = explain(model, user_id=acct.id, item_ids=ids, history=history, peers=peers, industry=acct.industry,
                      names=names, cold_items=cold, lang=lang)
    items = [{"product_id": pid, "sku": info[pid].sku, "name": info[pid].name, "category": info[pid].category,
              "price": info[pid].price, "currency": info[pid].currency, "score": round(score, 4),
              "reason": reason["text"], "reason_kind": reason["kind"], "new_product": pid in cold}
             for pid, score, reason in zip(ids, scores, reasons, strict=True) if pid in info]
    fallback = bool(recs.fallback[0])
    return {"account": {"id": acct.id, "name": acct.name, "industry": acct.industry}, "fallback": fallback,
            "fallback_reason": "no purchase history: most popular products" if fallback else None,
            "text_embedder": getattr(model, "text_embedder_", model.text_model),
            "text_fallback_reason": getattr(model, "text_fallback_reason_", None),
            "items": items, "reorder": account_reorders(session=session, account_id=acct.id, lang=lang,
                                                        statuses=DUE_STATUSES)}


def _reorder_items(session: Session, rows: list[Any], lang: str) -> list[dict[str, Any]]:
    product_ids = sorted({r.item_id for r in rows})
    account_ids = sorted({r.subject_id for r in rows})
    products = {pid: (sku, name) for pid, sku, name in session.execute(
        select(Product.id, Product.sku, Product.name).where(Product.id.in_(product_ids))).all()}
    accounts = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids))).all())
    items = []
    for r in rows:
        sku, name = products.get(r.item_id, (None, str(r.item_id)))
        p = r.payload
        items.append({"account_id": r.subject_id, "account_name": accounts.get(r.subject_id), "product_id": r.item_id,
                      "name": name, "sku": sku, **p,
                      "reason": reorder_reason(name, p["cycle_days"], p["days_since_last"], lang)["text"]})
    return items


def account_reorders(*, session: Session, account_id: int, lang: str = "en",
                     statuses: tuple[str, ...] | None = None, order: str = "due", limit: int | None = None
                     ) -> list[dict[str, Any]]:
    """The account's purchase cycles per product (soonest due first, or most likely reorder first with
    ``order="probability"``), optionally only some statuses."""
    rows = outputs(session=session, spec=REORDER, subject="account_product", subject_id=account_id)
    if statuses is not None:
        rows = [r for r in rows if r.payload["status"] in statuses]
    if order == "probability":
        rows.sort(key=lambda r: (-r.payload["probability"], r.payload["due_in_days"]))
    else:
        rows.sort(key=lambda r: (r.payload["due_in_days"], r.item_id or 0))
    return _reorder_items(session, rows[:limit] if limit else rows, lang)


def reorder_due(*, session: Session, account: str | int | None = None, lang: str = "en", limit: int = 50,
                statuses: tuple[str, ...] = DUE_STATUSES) -> dict[str, Any]:
    """Reorder cycles coming due, soonest (most overdue) first: of one account, or of the whole workspace."""
    run = require_ready(session=session, spec=REORDER)
    as_of = run.metrics.get("as_of")
    if account is not None:
        acct = resolve_account(session=session, ref=account)
        return {"as_of": as_of, "items": account_reorders(session=session, account_id=acct.id, lang=lang,
                                                         statuses=statuses, limit=limit)}
    rows = outputs(session=session, spec=REORDER, subject="account_product", order="score", limit=limit,
                   where=[or_(*[STATUS_SCORES[s] for s in statuses if s in STATUS_SCORES]) if statuses else false()])
    return {"as_of": as_of, "items": _reorder_items(session, rows, lang)}


def similar_products(*, session: Session, product: str | int, n: int = 10) -> dict[str, Any]:
    """Products most similar to one (bought together, and by description for new products)."""
    model = load_model(session=session, spec=RECOMMEND)
    prod = resolve_product(session=session, ref=product)
    recs = model.similar_items([prod.id], n + 5)
    candidates = [int(x) for x in recs.ids[0] if x is not None]
    excluded = set(_excluded_products(session))
    info = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(candidates)))}
    items = [{"product_id": pid, "sku": info[pid].sku, "name": info[pid].name, "category": info[pid].category,
              "score": round(float(score), 4)}
             for pid, score in zip(candidates, recs.scores[0], strict=False) if pid in info and pid not in excluded]
    return {"product": {"id": prod.id, "name": prod.name, "sku": prod.sku}, "fallback": bool(recs.fallback[0]),
            "items": items[:n]}


__all__ = ["account_reorders", "recommend_for_account", "reorder_due", "similar_products"]
