"""Training the recommendation models from the workspace: the hybrid recommender (who bought what, plus product
text) and the replenishment view (each account's purchase cycle per product, its due date, reorder chance and
expected units), which every page, route and the assistant read.

Only goods count: sale lines with a positive quantity on sale orders of known accounts, of products that are not
postage, fees or discounts (``domain.product.is_merchandise``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Order, OrderLine, Product
from bizpilot.domain.product import is_merchandise
from bizpilot.errors import InsufficientData
from bizpilot.ml.recommend.coldstart import HybridRecommender, product_text
from bizpilot.ml.recommend.replenishment import purchase_cycles
from bizpilot.services.models.spec import Output, Progress, Trained

REORDER_HORIZON_DAYS = 30
REORDER_MIN_DAYS = 2


def purchases(*, session: Session, account_id: int | None = None, before: datetime | None = None) -> pd.DataFrame:
    """(account_id, product_id, order_id, ordered_at, quantity) of every purchase of goods (of one account)."""
    stmt = (select(Order.account_id, OrderLine.product_id, Order.id, Order.ordered_at, OrderLine.quantity)
            .join(OrderLine, OrderLine.order_id == Order.id).join(Product, Product.id == OrderLine.product_id)
            .where(Order.account_id.is_not(None), Order.kind == "sale", OrderLine.line_type == "sale",
                   OrderLine.quantity > 0, is_merchandise()))
    if account_id is not None:
        stmt = stmt.where(Order.account_id == account_id)
    if before is not None:
        stmt = stmt.where(Order.ordered_at < before)
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["account_id", "product_id", "order_id", "ordered_at", "quantity"])


def catalogue(*, session: Session) -> dict[int, str]:
    """Every product's text (name, category, attributes, first sentence), what the cold-start side embeds."""
    rows = session.execute(select(Product.id, Product.name, Product.category, Product.attributes,
                                  Product.description).where(is_merchandise())).all()
    return {int(r.id): product_text(r.name, r.category, r.attributes, r.description) for r in rows}


def train_recommender(*, session: Session, as_of: datetime, progress: Progress, content_weight: float = 0.15,
                      reg: float = 500.0, text_model: str = "e5", **_: Any) -> Trained:
    """Fit the hybrid recommender on the workspace's purchases and check it on a per-account holdout."""
    started = time.perf_counter()
    bought = purchases(session=session, before=as_of)
    if bought.empty:
        raise InsufficientData("no purchases to learn from: import orders with account ids first "
                               "(or run `bizpilot demo`)")
    counts = bought.groupby(["account_id", "product_id"]).order_id.nunique().reset_index()
    progress(0.1, "embedding product texts")
    model = HybridRecommender(content_weight=content_weight, reg=reg, text_model=text_model)
    model.fit(counts.account_id.to_numpy(), counts.product_id.to_numpy(), counts.order_id.to_numpy(),
              catalogue=catalogue(session=session))
    metrics: dict[str, Any] = {
        "n_accounts": int(model.user_ids_.size), "n_products": int(model.item_ids_.size),
        "n_pairs": int(len(counts)), "n_cold_products": int(model.cold_items_.sum()),
        "fit_seconds": round(time.perf_counter() - started, 3),
        "text_embedder": getattr(model, "text_embedder_", text_model),
        "text_fallback_reason": getattr(model, "text_fallback_reason_", None)}
    progress(0.8, "holdout check")
    metrics.update(holdout(counts))
    reference = counts.groupby("account_id").size().to_frame("products_per_account")
    return Trained(model, metrics, n_rows=int(len(bought)), reference=reference)


def holdout(counts: pd.DataFrame) -> dict[str, float]:
    """nDCG/precision@10 of the collaborative part on a per-account 75/25 split (too little data: nothing)."""
    from bizpilot.ml.model_selection import stratified_split
    from bizpilot.ml.recommend.data import Interactions
    from bizpilot.ml.recommend.evaluate import score_ranking
    from bizpilot.ml.recommend.implicit import EASERecommender

    if len(counts) < 200:
        return {}
    data = Interactions(counts.account_id.to_numpy(), counts.product_id.to_numpy(),
                        counts.order_id.to_numpy(dtype=float), np.full(len(counts), np.nan), False, "workspace")
    tr, te = stratified_split(data.users, 0.75, seed=0)
    train_part, test_part = data.subset(tr), data.subset(te)
    if len(test_part) == 0:
        return {}
    if np.unique(train_part.items).size > 5000:  # the check is a courtesy; keep training fast on big catalogues
        return {}
    model = EASERecommender().fit(train_part.users, train_part.items, train_part.values)
    scores = score_ranking(model, train_part, test_part, 10)
    return {"holdout_ndcg@10": round(scores["ndcg@10"], 4), "holdout_precision@10": round(scores["precision@10"], 4)}


def _cycles(session: Session, as_of: datetime, horizon_days: int) -> tuple[pd.DataFrame, int, pd.Timestamp]:
    bought = purchases(session=session, before=as_of)
    # The day before as_of is the workspace's today: days since the last purchase count from it.
    today = pd.Timestamp(as_of) - pd.Timedelta(days=1)
    if bought.empty:
        return pd.DataFrame(), 0, today
    cycles = purchase_cycles(bought.account_id.to_numpy(), bought.product_id.to_numpy(),
                             bought.ordered_at.to_numpy(), quantities=bought.quantity.to_numpy(dtype=float),
                             as_of=today, min_orders=REORDER_MIN_DAYS, horizon_days=horizon_days)
    return cycles, len(bought), today


def reorder_drift(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """Cycle lengths and days since the last purchase now (compared with those at training for drift)."""
    cycles, _, _ = _cycles(session, as_of, REORDER_HORIZON_DAYS)
    return cycles[["cycle_days", "days_since_last"]] if not cycles.empty else pd.DataFrame()


def train_reorder(*, session: Session, as_of: datetime, progress: Progress,
                  horizon_days: int = REORDER_HORIZON_DAYS, **_: Any) -> Trained:
    """The replenishment view: one output per account and product bought on 2+ days (``score`` = days until due,
    none when lapsed, so "due soonest" is one ordered query)."""
    cycles, n_rows, today = _cycles(session, as_of, horizon_days)
    if n_rows == 0:
        raise InsufficientData("no purchases to find reorder cycles in: import orders with account ids first")
    outputs = [Output("account_product", int(r.account), item_id=int(r.product),
                      score=None if r.status == "lapsed" else float(r.due_in_days), payload={
        "n_orders": int(r.n_orders), "cycle_days": round(float(r.cycle_days), 1),
        "regularity": round(float(r.regularity), 2) if pd.notna(r.regularity) else None,
        "last_purchase": pd.Timestamp(r.last_purchase).date().isoformat(),
        "days_since_last": int(round(r.days_since_last)), "due_date": pd.Timestamp(r.due_date).date().isoformat(),
        "due_in_days": int(round(r.due_in_days)), "status": r.status, "probability": round(float(r.probability), 4),
        "horizon_days": horizon_days, "units_per_order": round(float(r.units_per_order), 2),
        "expected_units": round(float(r.expected_units), 1), "expected_low": round(float(r.expected_low), 1),
        "expected_high": round(float(r.expected_high), 1)}) for r in cycles.itertuples()]
    status = cycles["status"].value_counts().to_dict() if not cycles.empty else {}
    metrics = {"pairs": len(cycles), "status": {k: int(v) for k, v in status.items()},
               "horizon_days": horizon_days, "as_of": today.date().isoformat()}
    reference = cycles[["cycle_days", "days_since_last"]] if not cycles.empty else None
    return Trained(None, metrics, n_rows=n_rows, outputs=outputs, reference=reference,
                   params={"horizon_days": horizon_days, "min_orders": REORDER_MIN_DAYS})


__all__ = ["REORDER_HORIZON_DAYS", "catalogue", "holdout", "purchases", "reorder_drift", "train_recommender",
           "train_reorder"]
