"""Recommendations for the workspace: train from its own order lines, save under the models dir, record a
``ModelRun``; next-best products for an account with reasons, the reorder-due list, similar products.

The model is a ``HybridRecommender`` (EASE/item-KNN over who bought what, blended with product-text embeddings
so new products and accounts with few orders still get sensible suggestions). It is trained on demand the first
time it is needed, and again by ``bizpilot train recommend``. Only sale lines with a positive quantity on orders of
known accounts count as purchases; inactive products are never recommended.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from bizpilot.config import get_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.ml.base import ModelFileError
from bizpilot.ml.recommend.coldstart import HybridRecommender, product_text
from bizpilot.ml.recommend.explain import explain, reorder_reason
from bizpilot.ml.recommend.replenishment import purchase_cycles

MODEL_FILE = "recommend.npz"
TASK = "recommend"
_cache: dict[str, tuple[float, HybridRecommender]] = {}


def model_path() -> Path:
    return get_settings().models_dir / MODEL_FILE


def _purchases(engine: Engine, account_id: int | None = None) -> pd.DataFrame:
    """(account_id, product_id, order_id, ordered_at) of every sale line with a positive quantity (of one
    account when given)."""
    stmt = (select(Order.account_id, OrderLine.product_id, Order.id, Order.ordered_at)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.account_id.is_not(None), Order.kind == "sale", OrderLine.line_type == "sale",
                   OrderLine.quantity > 0))
    if account_id is not None:
        stmt = stmt.where(Order.account_id == account_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["account_id", "product_id", "order_id", "ordered_at"])


def _products(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(Product.id, Product.sku, Product.name, Product.category, Product.attributes,
                                   Product.description, Product.active, Product.price, Product.currency)).all()
    return pd.DataFrame(rows, columns=["id", "sku", "name", "category", "attributes", "description", "active",
                                       "price", "currency"])


def cached_embedder(text_model: str = "e5") -> Any:
    """``embed_texts`` with a per-workspace cache keyed by the text's hash: retraining embeds only new or changed
    product texts (embedding is the slow part of training)."""
    import hashlib

    from bizpilot.ml.recommend.coldstart import embed_texts

    cache_path = get_settings().models_dir / f"recommend_text_{text_model}.npz"

    def embed(texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        known: dict[str, np.ndarray] = {}
        if cache_path.exists():
            try:
                with np.load(cache_path, allow_pickle=False) as npz:
                    known = dict(zip(npz["keys"].tolist(), npz["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                known = {}
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
        if missing:
            vectors = embed_texts([t for _, t in missing], text_model)
            known.update(zip([k for k, _ in missing], vectors, strict=True))
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_path.with_name(cache_path.name + ".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            tmp.replace(cache_path)
        return np.stack([known[k] for k in keys])

    return embed


def train(*, engine: Engine, content_weight: float = 0.15, reg: float = 500.0, text_model: str = "e5"
          ) -> dict[str, Any]:
    """Fit on the workspace's purchases, save, record a ModelRun; returns the run summary."""
    started_at = datetime.now(UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    purchases = _purchases(engine)
    if purchases.empty:
        raise ValidationFailed("no purchases to learn from: import orders with account ids first "
                               "(or run `bizpilot demo`)")
    products = _products(engine)
    counts = purchases.groupby(["account_id", "product_id"]).order_id.nunique().reset_index()
    catalogue = {int(r.id): product_text(r.name, r.category, r.attributes, r.description)
                 for r in products.itertuples()}
    model = HybridRecommender(content_weight=content_weight, reg=reg, text_model=text_model)
    model.fit(counts.account_id.to_numpy(), counts.product_id.to_numpy(), counts.order_id.to_numpy(),
              catalogue=catalogue, embedder=cached_embedder(text_model))
    path = model.save(model_path())
    seconds = time.perf_counter() - t0
    metrics = {"n_accounts": int(model.user_ids_.size), "n_products": int(model.item_ids_.size),
               "n_pairs": int(len(counts)), "n_cold_products": int(model.cold_items_.sum()),
               "fit_seconds": round(seconds, 3)}
    metrics.update(_holdout(counts))
    with session_scope(engine) as session:
        run = ModelRun(task=TASK, model_name=type(model).__name__, version="1", params=model.get_params(),
                       metrics=metrics, n_rows=int(len(purchases)), artifact_path=str(path), status="finished",
                       started_at=started_at, finished_at=datetime.now(UTC).replace(tzinfo=None))
        session.add(run)
        session.flush()
        run_id = run.id
    _cache.pop(str(path), None)
    return {"run_id": run_id, "model": type(model).__name__, "path": str(path), "metrics": metrics,
            "params": model.get_params()}


def _holdout(counts: pd.DataFrame) -> dict[str, float]:
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


def load_model(*, engine: Engine, train_if_missing: bool = True) -> HybridRecommender:
    """The saved model (cached while the file is unchanged); trained first when there is none yet."""
    path = model_path()
    if not path.exists():
        if not train_if_missing:
            raise NotFoundError("no recommendation model yet: run `bizpilot train recommend`")
        train(engine=engine)
    mtime = path.stat().st_mtime
    hit = _cache.get(str(path))
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        model = HybridRecommender.load(path)
    except ModelFileError:
        if not train_if_missing:
            raise
        train(engine=engine)
        model = HybridRecommender.load(path)
        mtime = path.stat().st_mtime
    _cache[str(path)] = (mtime, model)
    return model


def _resolve(session: Any, entity: type, ref: str | int, key: str) -> Any:
    ref_s = str(ref).strip()
    row = session.scalar(select(entity).where(getattr(entity, key) == ref_s))
    if row is None and ref_s.isdigit():
        row = session.get(entity, int(ref_s))
    if row is None:
        raise NotFoundError(f"{entity.__name__.lower()} {ref_s!r} not found (give its id or {key})")
    return row


def _as_of(engine: Engine) -> datetime:
    """Today, unless the order history ends more than 30 days ago (an old import or the demo): then its last day,
    so "overdue" means overdue as of the data's own present."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(Order.ordered_at)).where(Order.kind == "sale"))
    if last is None:
        return now
    last = pd.Timestamp(last).to_pydatetime()
    return now if now - last <= timedelta(days=30) else last


def recommend_for_account(*, engine: Engine, account: str | int, n: int = 10, lang: str = "en",
                          category: str | None = None, include_bought: bool = False) -> dict[str, Any]:
    """Next-best products for one account, each with a reason, plus its reorder-due list."""
    model = load_model(engine=engine)
    products = _products(engine)
    with session_scope(engine) as session:
        acct = _resolve(session, Account, account, "external_id")
        acct_id, acct_name, industry = acct.id, acct.name, acct.industry
        peers = ([a for (a,) in session.execute(select(Account.id).where(Account.industry == industry,
                                                                          Account.id != acct_id))]
                 if industry else [])
    history = sorted(set(_purchases(engine, acct_id).product_id.tolist()))
    inactive = products.loc[~products.active.astype(bool), "id"].tolist()
    allowed = products.loc[products.category == category, "id"].tolist() if category else None
    known = model.user_index([acct_id])[0] >= 0
    if known:
        recs = model.recommend([acct_id], n, filter_already_bought=not include_bought, exclude_items=inactive,
                               allowed_items=allowed)
    else:
        recs = model.recommend_for_history(history, n, filter_already_bought=not include_bought,
                                           exclude_items=inactive, allowed_items=allowed)
    ids = [int(x) for x in recs.ids[0] if x is not None]
    scores = [float(s) for s in recs.scores[0][:len(ids)]]
    names = dict(zip(products.id.astype(int), products.name, strict=True))
    cold = {int(x) for x in model.item_ids_[model.cold_items_].tolist()}
    reasons = explain(model, user_id=acct_id, item_ids=ids, history=history, peers=peers, industry=industry,
                      names=names, cold_items=cold, lang=lang)
    info = products.set_index("id")
    items = [{"product_id": pid, "sku": info.at[pid, "sku"], "name": info.at[pid, "name"],
              "category": info.at[pid, "category"], "price": _num(info.at[pid, "price"]),
              "currency": info.at[pid, "currency"], "score": round(score, 4), "reason": reason["text"],
              "reason_kind": reason["kind"], "new_product": pid in cold}
             for pid, score, reason in zip(ids, scores, reasons, strict=True)]
    return {"account": {"id": acct_id, "name": acct_name, "industry": industry}, "fallback": bool(recs.fallback[0]),
            "fallback_reason": None if not recs.fallback[0] else "no purchase history: most popular products",
            "items": items, "reorder": reorder_due(engine=engine, account=acct_id, lang=lang)["items"]}


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def reorder_due(*, engine: Engine, account: str | int | None = None, lang: str = "en", limit: int = 50,
                statuses: tuple[str, ...] = ("overdue", "due", "upcoming")) -> dict[str, Any]:
    """Per account and product bought on 3+ days: cycle, last purchase and due date, soonest first."""
    acct_id = None
    if account is not None:
        with session_scope(engine) as session:
            acct_id = _resolve(session, Account, account, "external_id").id
    purchases = _purchases(engine, acct_id)
    as_of = _as_of(engine)
    cycles = purchase_cycles(purchases.account_id.to_numpy(), purchases.product_id.to_numpy(),
                             purchases.ordered_at.to_numpy(), as_of=as_of)
    cycles = cycles[cycles.status.isin(statuses)].head(limit)
    products = _products(engine).set_index("id")
    with engine.connect() as conn:
        acct_names = dict(conn.execute(select(Account.id, Account.name)).all())
    items = []
    for row in cycles.itertuples():
        name = products.at[row.product, "name"] if row.product in products.index else str(row.product)
        items.append({"account_id": int(row.account), "account_name": acct_names.get(int(row.account)),
                      "product_id": int(row.product), "name": name, "sku": products.at[row.product, "sku"]
                      if row.product in products.index else None, "n_orders": int(row.n_orders),
                      "cycle_days": round(float(row.cycle_days), 1), "regularity": round(float(row.regularity), 2),
                      "last_purchase": pd.Timestamp(row.last_purchase).date().isoformat(),
                      "days_since_last": int(round(row.days_since_last)),
                      "due_date": pd.Timestamp(row.due_date).date().isoformat(),
                      "due_in_days": int(round(row.due_in_days)), "status": row.status,
                      "reason": reorder_reason(name, row.cycle_days, row.days_since_last, lang)["text"]})
    return {"as_of": as_of.date().isoformat(), "items": items}


def similar_products(*, engine: Engine, product: str | int, n: int = 10) -> dict[str, Any]:
    """Products most similar to one (bought together, and by description for new products)."""
    model = load_model(engine=engine)
    with session_scope(engine) as session:
        prod = _resolve(session, Product, product, "sku")
        pid, name, sku = prod.id, prod.name, prod.sku
    recs = model.similar_items([pid], n + 5)
    products = _products(engine).set_index("id")
    items = []
    for other, score in zip(recs.ids[0], recs.scores[0], strict=True):
        if other is None or int(other) not in products.index or not bool(products.at[int(other), "active"]):
            continue
        row = products.loc[int(other)]
        items.append({"product_id": int(other), "sku": row.sku, "name": row["name"], "category": row.category,
                      "score": round(float(score), 4)})
    return {"product": {"id": pid, "name": name, "sku": sku}, "fallback": bool(recs.fallback[0]),
            "items": items[:n]}


__all__ = ["load_model", "model_path", "recommend_for_account", "reorder_due", "similar_products", "train"]
