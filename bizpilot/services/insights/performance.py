"""Product and category performance for a period against the previous period of the same length: net revenue and
its growth, the top movers up and down, margin where a cost is known, returns with their stated reasons, and what
reviews say by aspect. Plain aggregates of order lines and interactions (no model), read on the request.

- Revenue is net (``services.overview.net_amount``: cancellations and returns carry negative quantities), by the
  order's date. Growth is (now - before) / before; a product without revenue before is "new" (None).
- Cost: the product table has no cost column, so a cost exists only where a product's attributes hold a numeric
  unit cost under one of ``COST_KEYS``; margin is (revenue - cost x units) / revenue over those products only, and
  "no cost data" is said otherwise. Nothing is estimated.
- Returns: lines of orders with status ``returned`` or kind ``return``, and lines of type ``return``. Orders have no
  note field, so a stated reason is a customer message: one linked to the returned order (``linked``) or, failing
  that, an inbound message from the same account about a returned product from ``REASON_BEFORE_DAYS`` before to
  ``REASON_AFTER_DAYS`` after the return (``nearby``). Its reason is the aspect it talks about (quality,
  delivery...: ``products_insight.aspects_of``), "other" when none; a return counts each reason once; praise (a
  positive message or rating) states no reason and is skipped. A return stating several reasons counts once under
  each (so the reasons' counts may add up to more than the returns with a reason, ``with_reason``). The messages
  quoted for the reasons (``statements``) are listed once each, with all the aspects they state and the number of
  returns they are a stated reason for; each reason's ``example`` is one of them.
- Review sentiment by aspect: reviews in the period, each review's aspects, its stored sentiment, else its rating.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction, Order, OrderLine, Product
from bizpilot.services.insights.period import period_bounds
from bizpilot.services.insights.texts import message_text
from bizpilot.services.overview import net_amount
from bizpilot.services.products_insight import aspects_of

COST_KEYS = ("unit_cost", "cost", "cost_price", "purchase_price", "成本", "成本价", "进价")
UNCATEGORISED = "—"
TOP = 5
REASON_BEFORE_DAYS = 30
REASON_AFTER_DAYS = 7
SENTIMENTS = ("positive", "neutral", "negative")


def unit_cost(attributes: dict[str, Any] | None) -> float | None:
    """The product's unit cost from its attributes (first of ``COST_KEYS`` that holds a positive number)."""
    for key in COST_KEYS:
        value = (attributes or {}).get(key)
        try:
            cost = float(str(value).replace(",", "")) if value is not None and str(value).strip() else None
        except ValueError:
            cost = None
        if cost is not None and cost > 0:
            return cost
    return None


def _growth(now: float, before: float) -> float | None:
    return round((now - before) / before, 4) if before > 0 else None


def _lines(session: Session, lo: datetime, hi: datetime) -> dict[int, dict[str, float]]:
    rows = session.execute(
        select(OrderLine.product_id, func.sum(net_amount()), func.sum(OrderLine.quantity),
               func.count(func.distinct(Order.id)))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(Order.ordered_at >= lo, Order.ordered_at < hi).group_by(OrderLine.product_id)).all()
    return {int(p): {"revenue": float(r or 0.0), "units": float(u or 0.0), "orders": int(o or 0)}
            for p, r, u, o in rows}


def product_performance(*, session: Session, start: date, end: date, top: int = TOP) -> dict[str, Any]:
    """Revenue, growth, movers, margin, returns and review aspects for [start, end] (see the module docstring)."""
    prev, lo, hi = period_bounds(start, end)
    now, before = _lines(session, lo, hi), _lines(session, prev, lo)
    ids = sorted(set(now) | set(before))
    info = {int(i): (sku, name, cat, attrs) for i, sku, name, cat, attrs in session.execute(
        select(Product.id, Product.sku, Product.name, Product.category, Product.attributes)
        .where(Product.id.in_(ids))).all()} if ids else {}
    products = []
    for pid in ids:
        sku, name, category, attrs = info[pid]
        n, b = now.get(pid, {}), before.get(pid, {})
        revenue, units = round(n.get("revenue", 0.0), 2), n.get("units", 0.0)
        cost = unit_cost(attrs)
        margin = (round((revenue - cost * units) / revenue, 4) if cost is not None and revenue > 0 else None)
        products.append({"product_id": pid, "sku": sku, "name": name, "category": category or UNCATEGORISED,
                         "revenue": revenue, "previous_revenue": round(b.get("revenue", 0.0), 2),
                         "units": units, "orders": n.get("orders", 0), "unit_cost": cost, "margin": margin,
                         "change": round(revenue - b.get("revenue", 0.0), 2),
                         "growth": _growth(revenue, b.get("revenue", 0.0))})
    products.sort(key=lambda p: (-p["revenue"], p["sku"]))
    categories = _categories(products)
    total, total_before = round(sum(p["revenue"] for p in products), 2), round(
        sum(p["previous_revenue"] for p in products), 2)
    costed = [p for p in products if p["margin"] is not None]
    costed_revenue = sum(p["revenue"] for p in costed)
    margin = (round(sum(p["revenue"] * p["margin"] for p in costed) / costed_revenue, 4)
              if costed_revenue > 0 else None)
    up = sorted((p for p in products if p["change"] > 0), key=lambda p: (-p["change"], p["sku"]))[:top]
    down = sorted((p for p in products if p["change"] < 0), key=lambda p: (p["change"], p["sku"]))[:top]
    return {"revenue": total, "previous_revenue": total_before, "growth": _growth(total, total_before),
            "margin": margin, "margin_coverage": round(costed_revenue / total, 4) if costed and total > 0 else 0.0,
            "has_cost": bool(costed), "products": products[:50], "n_products": len(products),
            "categories": categories, "movers_up": up, "movers_down": down,
            "returns": returns(session=session, lo=lo, hi=hi), "aspects": review_aspects(session=session, prev=prev,
                                                                                         lo=lo, hi=hi)}


def _categories(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"revenue": 0.0, "previous_revenue": 0.0,
                                                             "products": 0, "costed": 0.0, "cost": 0.0})
    for p in products:
        g = groups[p["category"]]
        g["revenue"] += p["revenue"]
        g["previous_revenue"] += p["previous_revenue"]
        g["products"] += 1
        if p["unit_cost"] is not None and p["revenue"] > 0:
            g["costed"] += p["revenue"]
            g["cost"] += p["unit_cost"] * p["units"]
    total = sum(g["revenue"] for g in groups.values())
    out = []
    for name, g in groups.items():
        revenue, before = round(g["revenue"], 2), round(g["previous_revenue"], 2)
        out.append({"category": name, "revenue": revenue, "previous_revenue": before,
                    "change": round(revenue - before, 2), "growth": _growth(revenue, before),
                    "share": round(revenue / total, 4) if total > 0 else 0.0, "products": g["products"],
                    "margin": round((g["costed"] - g["cost"]) / g["costed"], 4) if g["costed"] > 0 else None})
    out.sort(key=lambda c: (-c["revenue"], c["category"]))
    return out


def returns(*, session: Session, lo: datetime, hi: datetime, top: int = TOP) -> dict[str, Any]:
    """Returned lines in [lo, hi) and the reasons customers stated for them (see the module docstring)."""
    is_return = or_(Order.status == "returned", Order.kind == "return", OrderLine.line_type == "return")
    rows = session.execute(
        select(Order.id, Order.account_id, Order.ordered_at, OrderLine.product_id, Product.sku, Product.name,
               OrderLine.quantity, net_amount())
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.ordered_at >= lo, Order.ordered_at < hi, is_return)).all()
    orders: dict[int, dict[str, Any]] = {}
    per_product: dict[int, dict[str, Any]] = {}
    for oid, account, at, pid, sku, name, qty, value in rows:
        o = orders.setdefault(int(oid), {"account_id": account, "at": at, "products": set()})
        o["products"].add(int(pid))
        p = per_product.setdefault(int(pid), {"product_id": int(pid), "sku": sku, "name": name, "lines": 0,
                                              "units": 0.0, "value": 0.0})
        p["lines"] += 1
        p["units"] += abs(float(qty or 0.0))
        p["value"] += abs(float(value or 0.0))
    reasons, statements, stated = _reasons(session, orders)
    items = sorted(per_product.values(), key=lambda p: (-p["value"], p["sku"]))
    for p in items:
        p["value"] = round(p["value"], 2)
    return {"orders": len(orders), "lines": len(rows), "units": sum(p["units"] for p in items),
            "value": round(sum(p["value"] for p in items), 2), "products": items[:top],
            "with_reason": stated, "reasons": reasons, "statements": statements}


def _reasons(session: Session, orders: dict[int, dict[str, Any]]
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(top reasons with counts and an example, the quoted messages, returns with a stated reason)."""
    if not orders:
        return [], [], 0
    found: dict[int, list[Any]] = defaultdict(list)  # messages that may state why, per returned order
    for ix in session.scalars(select(Interaction).where(Interaction.order_id.in_(list(orders)),
                                                        Interaction.archived_at.is_(None),
                                                        Interaction.text.is_not(None))):
        found[int(ix.order_id)].append((ix, "linked"))
    missing = {oid: o for oid, o in orders.items() if oid not in found and o["account_id"] is not None}
    if missing:
        lo = min(o["at"] for o in missing.values()) - timedelta(days=REASON_BEFORE_DAYS)
        hi = max(o["at"] for o in missing.values()) + timedelta(days=REASON_AFTER_DAYS)
        products = {p for o in missing.values() for p in o["products"]}
        accounts = {o["account_id"] for o in missing.values()}
        nearby = session.scalars(select(Interaction).where(
            Interaction.account_id.in_(accounts), Interaction.product_id.in_(products),
            Interaction.direction == "inbound", Interaction.archived_at.is_(None), Interaction.text.is_not(None),
            and_(Interaction.occurred_at >= lo, Interaction.occurred_at < hi))).all()
        for oid, o in missing.items():
            for ix in nearby:
                if (ix.account_id == o["account_id"] and ix.product_id in o["products"]
                        and o["at"] - timedelta(days=REASON_BEFORE_DAYS) <= ix.occurred_at
                        <= o["at"] + timedelta(days=REASON_AFTER_DAYS)):
                    found[oid].append((ix, "nearby"))
    counts: Counter[str] = Counter()
    quotes: dict[int, dict[str, Any]] = {}  # each stating message once, with all its aspects and its returns
    stated = 0
    for oid, messages in found.items():
        seen: set[str] = set()
        for ix, how in messages:
            if _review_sentiment(ix.sentiment, ix.rating) == "positive":
                continue  # praise states no reason for a return
            text = message_text(ix.subject, ix.text)
            aspects = aspects_of(text) or ["other"]
            quote = quotes.setdefault(ix.id, {"interaction_id": ix.id, "account_id": ix.account_id, "source": how,
                                              "occurred_at": ix.occurred_at.date().isoformat(), "text": text[:200],
                                              "aspects": aspects, "returns": set()})
            quote["returns"].add(oid)
            for reason in aspects:
                if reason not in seen:
                    seen.add(reason)
                    counts[reason] += 1
        stated += bool(seen)
    reasons = [{"reason": r, "returns": n} for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    reasons = reasons[:TOP + 2]
    return reasons, _statements(reasons, list(quotes.values())), stated


def _statements(reasons: list[dict[str, Any]], quotes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A few messages, each once, that together quote the top reasons: for each reason in order, its first message
    (a linked one before a nearby one) unless a message already chosen states it too. Each reason gets its
    ``example`` (the chosen message stating it) and each chosen message the reasons it is quoted for."""
    rank = {"linked": 0, "nearby": 1}
    quotes = sorted(quotes, key=lambda q: (rank.get(q["source"], 2), q["occurred_at"], q["interaction_id"]))
    chosen: list[dict[str, Any]] = []
    for r in reasons:
        example = next((q for q in chosen if r["reason"] in q["aspects"]), None)
        if example is None:
            example = next((q for q in quotes if r["reason"] in q["aspects"]), None)
            if example is None:
                continue
            chosen.append(example)
        r["example"] = {k: example[k] for k in ("interaction_id", "account_id", "source", "occurred_at", "text")}
    return [{**q, "returns": len(q["returns"])} for q in chosen]


def _review_sentiment(sentiment: str | None, rating: float | None) -> str | None:
    if sentiment in SENTIMENTS:
        return sentiment
    if rating is not None:
        value = rating / (10.0 if rating > 5 else 5.0)
        return "positive" if value >= 0.7 else "negative" if value <= 0.4 else "neutral"
    return None


def review_aspects(*, session: Session, prev: datetime, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    """Per aspect: reviews in the period that talk about it, their sentiment, net score (positive - negative over
    analysed) and the previous period's net score."""
    rows = session.execute(select(Interaction.occurred_at, Interaction.subject, Interaction.text,
                                  Interaction.sentiment, Interaction.rating)
                           .where(Interaction.channel == "review", Interaction.archived_at.is_(None),
                                  Interaction.occurred_at >= prev, Interaction.occurred_at < hi)).all()
    counts: dict[tuple[str, bool], Counter[str]] = defaultdict(Counter)
    for at, subject, text, sentiment, rating in rows:
        label = _review_sentiment(sentiment, rating) or "unanalysed"
        for aspect in aspects_of(message_text(subject, text)):
            counts[(aspect, at >= lo)][label] += 1
    out = []
    for aspect in sorted({a for a, _ in counts}):
        c, b = counts[(aspect, True)], counts[(aspect, False)]
        out.append({"aspect": aspect, "reviews": sum(c.values()), **{s: c[s] for s in SENTIMENTS},
                    "net": _net(c), "previous_net": _net(b), "previous_reviews": sum(b.values())})
    out.sort(key=lambda a: (-a["reviews"], a["aspect"]))
    return [a for a in out if a["reviews"]]


def _net(c: Counter[str]) -> float | None:
    analysed = sum(c[s] for s in SENTIMENTS)
    return round((c["positive"] - c["negative"]) / analysed, 3) if analysed else None


__all__ = ["COST_KEYS", "product_performance", "returns", "review_aspects", "unit_cost"]
