"""A deterministic demo business: a bilingual (en/zh) industrial & office supplies distributor and its customers.

``generate_demo`` returns frames in the import format (the columns a user's CSV would have), so the demo goes
through exactly the same validation and writing path as real data (``build_demo``). Everything is drawn from one
``numpy.random.default_rng(seed)`` in a fixed order, without wall-clock input: the same seed gives byte-identical
frames, and every row has a stable natural key, so rebuilding into the same database changes nothing.

The data carries the patterns later features should find: seasonality (Q4 peak, a Chinese New Year dip for
Chinese accounts, summer for construction), staple products reordered on per-account cycles, churning accounts
whose orders fade and whose messages turn negative, and opportunity outcomes that depend on tier, source, amount
and account activity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.errors import ImportRejected
from bizpilot.ingest.demo_content import (
    CATEGORY_BY_CODE,
    INDUSTRIES,
    OPP_KINDS,
    OPP_SOURCES,
    ORDER_CHANNELS,
    REP_SKILL,
    SALES_REPS,
    SIZE_QTY,
    DemoAccount,
    DemoProduct,
    glossary_rows,
    make_accounts,
    make_contacts,
    make_products,
    pick,
)
from bizpilot.ingest.demo_invoices import make_invoices
from bizpilot.ingest.demo_kb import knowledge_frame
from bizpilot.ingest.demo_text import (
    CUSTOMER,
    NEUTRAL_REVIEW,
    REVIEW_TITLES,
    STAFF,
    SUBJECTS,
    template_tags,
)
from bizpilot.ingest.demo_users import build_demo_users
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.glossary import import_terms

DEFAULT_START = date(2023, 9, 1)
ENTITY_ORDER = ("accounts", "products", "contacts", "orders", "interactions", "opportunities", "invoices",
                "knowledge")
TIER_DISCOUNT = {"strategic": 0.12, "key": 0.08, "standard": 0.04, "small": 0.0}
ADHOC_PER_MONTH = (0.25, 0.4, 0.6, 0.9, 1.2)  # unplanned orders on top of staple reorders, by size band
# Buyers consolidate: what falls due within one ordering interval goes on one order (larger firms order more often).
CADENCE_DAYS = (42.0, 30.0, 21.0, 14.0, 10.0)
CYCLE_BY_SIZE = (1.6, 1.3, 1.0, 0.9, 0.8)  # small firms use up staples more slowly
# Monthly demand profile: a Q4 peak for most customers, summer for construction, school start for education.
MONTHLY = {
    "default": (0.88, 0.90, 1.00, 0.98, 0.95, 0.92, 0.86, 0.90, 1.05, 1.15, 1.28, 1.20),
    "construction": (0.70, 0.75, 0.95, 1.10, 1.25, 1.30, 1.30, 1.25, 1.10, 1.00, 0.90, 0.75),
    "hospitality": (0.85, 0.85, 0.95, 1.00, 1.05, 1.15, 1.20, 1.15, 0.95, 0.98, 1.10, 1.25),
    "education": (1.00, 0.95, 0.95, 0.90, 0.90, 0.80, 0.85, 1.35, 1.30, 1.00, 1.00, 0.85),
    "retail": (0.85, 0.85, 0.95, 0.95, 0.95, 0.95, 0.95, 1.00, 1.10, 1.25, 1.45, 1.25),
}
CHINESE_NEW_YEAR = tuple(date.fromisoformat(d) for d in (
    "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17",
    "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23", "2032-02-11"))


@dataclass
class DemoOrder:
    """An order document before it becomes flat import rows."""

    account: DemoAccount
    at: datetime
    currency: str
    channel: str
    lines: dict[int, list[float]] = field(default_factory=dict)  # product index -> [qty, unit_price, discount]
    kind: str = "sale"
    status: str = "fulfilled"
    external_id: str = ""


def _window(start: date, years: float) -> tuple[datetime, int]:
    begin = datetime(start.year, start.month, start.day)
    return begin, int(round(years * 365.25))


def _demand_profiles(begin: datetime, span: int) -> dict[tuple[str, str], np.ndarray]:
    """Seasonal demand per (industry, language) for every day of the period."""
    days = [begin + timedelta(days=d) for d in range(span + 1)]
    months = np.array([d.month - 1 for d in days])
    cny = np.ones(span + 1)
    for i, d in enumerate(days):
        if any(-12 <= (d.date() - ny).days <= 10 for ny in CHINESE_NEW_YEAR):
            cny[i] = 0.3
    out = {}
    for industry in INDUSTRIES:
        base = np.array(MONTHLY.get(industry, MONTHLY["default"]))[months]
        out[(industry, "en")] = base
        out[(industry, "zh")] = base * cny
    return out


def _demand(acct: DemoAccount, profile: np.ndarray, t: float) -> float:
    """Demand multiplier for an account at day ``t``: season x growth x the fade before it churns."""
    f = profile[min(int(t), len(profile) - 1)] * (1.0 + acct.growth * t / 365.25)
    if acct.churns:
        f *= float(np.clip((acct.last_day - t) / 100.0, 0.35, 1.0))
    return max(f, 0.05)


def _account_events(rng: np.random.Generator, acct: DemoAccount, products: list[DemoProduct],
                    profile: np.ndarray) -> list[tuple[float, int, int, bool]]:
    """(day, product index, quantity, urgent) purchase events: staples on their reorder cycles (smaller firms
    reorder less often) plus ad-hoc buys, some of them urgent enough to go on an order of their own."""
    events: list[tuple[float, int, int, bool]] = []
    size_qty = SIZE_QTY[acct.size]
    for p_idx in acct.staples:
        product = products[p_idx]
        cat = product.category
        cycle = float(cat.cycle_days[rng.integers(len(cat.cycle_days))]) * CYCLE_BY_SIZE[acct.size]
        cycle *= rng.lognormal(0.0, 0.2)
        base = cat.base_qty * size_qty * CYCLE_BY_SIZE[acct.size] * rng.lognormal(0.0, 0.35)
        t = acct.first_day + rng.uniform(0.0, cycle)
        while t < acct.last_day and t < product.last_day:
            f = _demand(acct, profile, t)
            events.append((t, p_idx, max(1, int(round(base * f ** 0.6 * rng.lognormal(0.0, 0.25)))), False))
            t += cycle / max(f, 0.3) * rng.lognormal(0.0, 0.15)
    rate = ADHOC_PER_MONTH[acct.size] / 30.0
    active = max(acct.last_day - acct.first_day, 0.0)
    for t in np.sort(rng.uniform(acct.first_day, acct.first_day + active, rng.poisson(rate * 1.5 * active))):
        t = float(t)
        if rng.random() * 1.5 > _demand(acct, profile, t):
            continue
        urgent = bool(rng.random() < 0.5)
        for p_idx in rng.choice(acct.candidates, size=1 + int(rng.random() < 0.4), p=acct.candidate_p):
            p_idx = int(p_idx)
            if t < products[p_idx].last_day:
                qty = products[p_idx].category.base_qty * size_qty * 0.6 * rng.lognormal(0.0, 0.4)
                events.append((t, p_idx, max(1, int(round(qty))), urgent))
    events.sort()
    return events


def _business_time(rng: np.random.Generator, begin: datetime, t: float, span: int) -> datetime:
    """A plausible B2B order time: office hours, weekend orders mostly moved to Monday."""
    day = min(int(t), span - 1)
    weekday = (begin + timedelta(days=day)).weekday()
    if weekday >= 5 and rng.random() < 0.85:
        day = day + (7 - weekday) if day + (7 - weekday) < span else day - (weekday - 4)
    return begin + timedelta(days=day, hours=int(rng.integers(8, 18)), minutes=int(rng.integers(0, 60)),
                             seconds=int(rng.integers(0, 60)))


def _price_factor(at: datetime, end: datetime) -> float:
    """List prices rise 3% every January, so older orders carry lower unit prices than today's catalogue."""
    return 1.03 ** -(end.year - at.year)


def _make_orders(rng: np.random.Generator, accounts: list[DemoAccount], products: list[DemoProduct],
                 begin: datetime, span: int) -> list[DemoOrder]:
    end = begin + timedelta(days=span)
    profiles = _demand_profiles(begin, span)
    sales: list[DemoOrder] = []
    for acct in accounts:
        profile = profiles[(acct.industry, acct.language)]
        cadence = CADENCE_DAYS[acct.size] * float(rng.lognormal(0.0, 0.15))
        phase = float(rng.uniform(0.0, cadence))
        by_key: dict[tuple[str, int, int], DemoOrder] = {}
        for n, (t, p_idx, qty, urgent) in enumerate(_account_events(rng, acct, products, profile)):
            product = products[p_idx]
            bucket = int((t - phase) // cadence)
            key = (product.currency, bucket, n if urgent else -1)
            order = by_key.get(key)
            if order is None or len(order.lines) >= 14:
                channel = acct.channel if rng.random() < 0.8 else ORDER_CHANNELS[rng.integers(len(ORDER_CHANNELS))]
                order = DemoOrder(acct, _business_time(rng, begin, t, span), product.currency, channel)
                by_key[key] = order
                sales.append(order)
            if p_idx in order.lines:
                order.lines[p_idx][0] += qty
                continue
            promo = 0.05 if order.at.month == 11 and rng.random() < 0.3 else 0.0
            price = round(product.price * _price_factor(order.at, end), 2)
            order.lines[p_idx] = [qty, price, round(TIER_DISCOUNT[acct.tier] + promo, 2)]
    sales.sort(key=lambda o: (o.at, o.account.index, min(o.lines)))
    per_year: dict[int, int] = {}
    for order in sales:
        per_year[order.at.year] = per_year.get(order.at.year, 0) + 1
        order.external_id = f"SO-{order.at.year}-{per_year[order.at.year]:06d}"
    return sales + _reversals(rng, sales, end)


def _reversals(rng: np.random.Generator, sales: list[DemoOrder], end: datetime) -> list[DemoOrder]:
    """Cancellations (credit notes reversing a whole order) and partial returns, more often from unhappy accounts."""
    docs: list[DemoOrder] = []
    for order in sales:
        if order.at > end - timedelta(days=7):
            order.status = "open"
            continue
        unhappy = order.account.satisfaction < -0.2
        if rng.random() < (0.03 if unhappy else 0.01):
            order.status = "cancelled"
            at = order.at + timedelta(hours=int(rng.integers(1, 48)))
            docs.append(DemoOrder(order.account, min(at, end), order.currency, order.channel,
                                  {p: [-q, u, d] for p, (q, u, d) in order.lines.items()}, "cancellation",
                                  "cancelled", f"{order.external_id}-C"))
        elif rng.random() < (0.06 if unhappy else 0.02):
            at = order.at + timedelta(days=int(rng.integers(5, 29)), hours=int(rng.integers(0, 6)))
            if at > end:
                continue
            keys = list(order.lines)
            chosen = rng.choice(len(keys), size=min(len(keys), 1 + int(rng.random() < 0.3)), replace=False)
            lines = {}
            for k in sorted(int(c) for c in chosen):
                qty, unit_price, discount = order.lines[keys[k]]
                lines[keys[k]] = [-max(1, min(qty, int(round(qty * rng.uniform(0.1, 1.0))))), unit_price, discount]
            docs.append(DemoOrder(order.account, at, order.currency, order.channel, lines, "return", "returned",
                                  f"{order.external_id}-R"))
    return docs


def _orders_frame(orders: list[DemoOrder], products: list[DemoProduct]) -> pd.DataFrame:
    rows = []
    for order in sorted(orders, key=lambda o: (o.at, o.external_id)):
        acct = order.account
        for line_no, (p_idx, (qty, unit_price, discount)) in enumerate(order.lines.items(), start=1):
            rows.append({"external_id": order.external_id, "account_external_id": acct.external_id,
                         "kind": order.kind, "status": order.status, "ordered_at": order.at,
                         "currency": order.currency, "country": acct.country, "channel": order.channel,
                         "line_no": line_no, "sku": products[p_idx].sku, "quantity": float(qty),
                         "unit_price": float(unit_price), "discount": float(discount)})
    return pd.DataFrame(rows)


INTERACTION_CHANNELS = ("review", "ticket", "email", "chat", "call", "note")
INTERACTION_P = np.array([0.20, 0.22, 0.25, 0.12, 0.12, 0.09])
CHURN_CHANNELS, CHURN_P = ("ticket", "review", "email", "call"), np.array([0.4, 0.25, 0.2, 0.15])
TIER_EFFECT = {"strategic": 0.9, "key": 0.5, "standard": 0.0, "small": -0.4}
OPP_BASE_AMOUNT = (3_000.0, 8_000.0, 20_000.0, 45_000.0, 90_000.0)
OPP_SOURCE_P = np.array([0.14, 0.18, 0.14, 0.22, 0.08, 0.08, 0.16])  # same order as OPP_SOURCES
OPEN_STAGES = ("prospecting", "qualification", "proposal", "negotiation")


def _day(begin: datetime, at: datetime) -> float:
    return (at - begin).total_seconds() / 86400.0


def _sentiment(rng: np.random.Generator, acct: DemoAccount, t: float, shift: float) -> str:
    """Mood follows the account's satisfaction, with complaints piling up in the months before a churner leaves."""
    s = acct.satisfaction + rng.normal(0.0, 0.8) + shift
    if acct.churns and t >= acct.last_day - 150:
        s -= 0.5
    return "positive" if s > 0.35 else "negative" if s < -0.45 else "neutral"


def _usable(pool: tuple[str, ...], ctx: dict[str, Any]) -> list[str]:
    """Templates that fit this touchpoint: tagged for its product category or channel (or untagged), and naming
    an order only when there is one to name."""
    out = []
    for template in pool:
        tags, text = template_tags(template)
        if (not tags or tags & ctx["tags"]) and (ctx["order"] or "{order}" not in text):
            out.append(text)
    return out


def _compose(rng: np.random.Generator, pool: tuple[str, ...], k: int, ctx: dict[str, Any], language: str) -> str:
    usable = _usable(pool, ctx)
    chosen = sorted(int(i) for i in rng.choice(len(usable), size=min(k, len(usable)), replace=False))
    return ("" if language == "zh" else " ").join(usable[i].format(**ctx) for i in chosen)


def _interaction(rng: np.random.Generator, acct: DemoAccount, products: list[DemoProduct], orders: list[DemoOrder],
                 begin: datetime, span: int, late: bool) -> dict[str, object]:
    """One touchpoint: who, when, through which channel, what was said, and what it refers to."""
    lang = acct.language
    channel = pick(rng, CHURN_CHANNELS, CHURN_P) if late else pick(rng, INTERACTION_CHANNELS, INTERACTION_P)
    lo = max(acct.first_day, acct.last_day - 150) if late else acct.first_day
    t = float(rng.uniform(lo, min(acct.last_day + (0 if late else 20), span - 0.5)))
    days = [_day(begin, o.at) for o in orders]
    order = None
    if orders:
        before = [o for o, d in zip(orders, days, strict=True) if d <= t]
        order = before[-1] if before and channel not in ("review", "ticket") else None
        if channel in ("review", "ticket"):
            window = [o for o, d in zip(orders, days, strict=True) if lo - 30 <= d <= t] or orders
            order = window[int(rng.integers(len(window)))]
    if order is not None and channel in ("review", "ticket"):
        day = min(int(_day(begin, order.at) + rng.integers(2, 21)), span - 1)
    else:
        day = int(t)
    at = begin + timedelta(days=day, hours=int(rng.integers(8, 20)), minutes=int(rng.integers(0, 60)))
    if order is not None:
        p_idx = list(order.lines)[int(rng.integers(len(order.lines)))]
        qty = int(order.lines[p_idx][0])
    else:
        p_idx, qty = acct.staples[int(rng.integers(len(acct.staples)))], int(rng.integers(5, 50))
    product = products[p_idx]
    contact_id, contact_name = acct.contacts[int(rng.integers(len(acct.contacts)))]
    category = product.category.name_zh if lang == "zh" else product.category.name.lower()
    ctx = {"product": product.name(lang), "order": order.external_id if order else "", "qty": qty,
           "days": int(rng.integers(3, 15)), "contact": contact_name, "category": category,
           "tags": frozenset((product.category.code, channel))}
    direction = {"email": "inbound" if rng.random() < 0.65 else "outbound",
                 "call": "outbound" if rng.random() < 0.75 else "inbound", "note": "internal"}.get(channel, "inbound")
    customer_voice = channel in ("review", "ticket", "chat") or (channel == "email" and direction == "inbound")
    mood = _sentiment(rng, acct, _day(begin, at), -0.6 if channel == "ticket" else 0.0)
    rating = None
    if channel == "review":
        pool = NEUTRAL_REVIEW[lang] if mood == "neutral" else CUSTOMER[(lang, mood)]
        subject = pick(rng, REVIEW_TITLES[(lang, mood)])
        rating = {"positive": 5.0 if rng.random() < 0.6 else 4.0, "neutral": 3.0,
                  "negative": 1.0 if rng.random() < 0.55 else 2.0}[mood]
    elif customer_voice:
        pool = CUSTOMER[(lang, mood)]
        subject = None if channel == "chat" else pick(rng, _usable(SUBJECTS[(lang, mood)], ctx)).format(**ctx)
    else:
        pool = STAFF[(lang, mood)]
        subject = {"email": f"跟进：{category}" if lang == "zh" else f"Follow-up: {category}",
                   "call": f"与{contact_name}通话" if lang == "zh" else f"Call with {contact_name}"}.get(channel)
    text = _compose(rng, pool, 1 + int(rng.integers(0, 2 if channel in ("chat", "note", "call") else 3)), ctx, lang)
    return {"channel": channel, "direction": direction, "subject": subject, "text": text, "language": lang,
            "rating": rating, "occurred_at": at, "account_external_id": acct.external_id,
            "contact_external_id": contact_id, "sku": product.sku if customer_voice else None,
            "order_external_id": order.external_id if customer_voice and order else None}


def make_interactions(rng: np.random.Generator, accounts: list[DemoAccount], products: list[DemoProduct],
                      sales: list[DemoOrder], begin: datetime, span: int) -> pd.DataFrame:
    by_account: dict[int, list[DemoOrder]] = {}
    for order in sales:
        by_account.setdefault(order.account.index, []).append(order)
    records = []
    for acct in accounts:
        orders = by_account.get(acct.index, [])
        n = int(rng.poisson(5.0 + min(0.12 * len(orders), 8.0)))
        n_late = int(rng.poisson(4.0)) if acct.churns else 0
        for j in range(n + n_late):
            records.append((acct.index, j, _interaction(rng, acct, products, orders, begin, span, j >= n)))
    records.sort(key=lambda r: (r[2]["occurred_at"], r[0], r[1]))
    rows = [{"external_id": f"IX-{i + 1:06d}", **rec} for i, (_, _, rec) in enumerate(records)]
    return pd.DataFrame(rows)


def make_opportunities(rng: np.random.Generator, accounts: list[DemoAccount], sales: list[DemoOrder],
                       begin: datetime, span: int) -> pd.DataFrame:
    """Deals whose outcome depends on tier, lead source, size of the ask, recent buying and the account's mood."""
    order_days: dict[int, list[float]] = {}
    for order in sales:
        order_days.setdefault(order.account.index, []).append(_day(begin, order.at))
    sources = list(OPP_SOURCES)
    records = []
    for acct in accounts:
        days = np.array(order_days.get(acct.index, []))
        lo = max(0.0, _day(begin, acct.created_at))
        hi = min(span - 3.0, acct.last_day + 45.0)
        for j in range(int(rng.poisson((0.9, 1.3, 2.0, 2.8, 3.5)[acct.size]))):
            if hi <= lo:
                break
            u = float(rng.random())
            t = lo + (hi - lo) * (u if rng.random() < 0.5 else np.sqrt(u))  # the team grows: more deals lately
            base = OPP_BASE_AMOUNT[acct.size]
            amount = float(round(base * rng.lognormal(0.0, 0.6), -2)) or 100.0
            source = pick(rng, sources, OPP_SOURCE_P)
            own_language = rng.random() < 0.8  # most accounts are handled by a rep who speaks their language
            other = "en" if acct.language == "zh" else "zh"
            owner = pick(rng, SALES_REPS[acct.language if own_language else other])
            recent = int(((days > t - 90) & (days <= t)).sum())
            stalled = rng.random() < 0.12  # deals that drag on are mostly lost (and keep the pipeline populated)
            logit = (-1.0 + TIER_EFFECT[acct.tier] + OPP_SOURCES[source] - 0.45 * np.log(amount / base)
                     + (0.7 if recent >= 2 else -0.3) + REP_SKILL[owner] + rng.normal(0.0, 0.4)
                     - (0.9 if stalled else 0.0) - (1.2 if acct.churns and t > acct.last_day - 150 else 0.0))
            cycle = float(np.exp(rng.normal(np.log(45.0), 0.6)) * (amount / base) ** 0.15)
            cycle *= 4.0 if stalled else 1.0
            created = begin + timedelta(days=int(t), hours=int(rng.integers(8, 18)))
            won = rng.random() < 1.0 / (1.0 + np.exp(-logit))
            cat = CATEGORY_BY_CODE[pick(rng, acct.categories)]
            kind = pick(rng, OPP_KINDS[acct.language])
            name = (f"{acct.short_name}—{cat.name_zh}{kind}" if acct.language == "zh"
                    else f"{acct.short_name} – {cat.name} {kind}")
            rec = {"account_external_id": acct.external_id, "name": name, "amount": amount, "currency": "USD",
                   "source": source, "owner": owner, "created_at": created}
            if t + cycle < span:
                closed = begin + timedelta(days=min(int(t + cycle), span - 1), hours=int(rng.integers(9, 18)))
                rec.update(stage="closed", outcome="won" if won else "lost",
                           closed_at=max(closed, created + timedelta(hours=1)))
            else:
                progress = (span - t) / cycle
                rec.update(stage=OPEN_STAGES[min(int(progress * 4), 3)], outcome="open", closed_at=None)
            records.append((created, acct.index, j, rec))
    records.sort(key=lambda r: r[:3])
    columns = ["external_id", "account_external_id", "name", "stage", "amount", "currency", "source", "owner",
               "created_at", "closed_at", "outcome"]
    return pd.DataFrame([{"external_id": f"OPP-{i + 1:05d}", **r[3]} for i, r in enumerate(records)],
                        columns=columns)


def generate_demo(*, seed: int = 42, start: date | None = None, years: float = 2.25) -> dict[str, pd.DataFrame]:
    """Frames in the IMPORT format keyed by entity name ('accounts', 'contacts', 'products', 'orders',
    'interactions', 'opportunities', 'knowledge'). Same arguments, same bytes."""
    rng = np.random.default_rng(seed)
    begin, span = _window(start or DEFAULT_START, years)
    products = make_products(rng, begin, span)
    accounts = make_accounts(rng, begin, span, products)
    contacts = make_contacts(rng, accounts, begin)
    orders = _make_orders(rng, accounts, products, begin, span)
    sales = [o for o in orders if o.kind == "sale"]
    frames = {
        "accounts": pd.DataFrame([a.row() for a in accounts]),
        "products": pd.DataFrame([p.row() for p in products]),
        "contacts": pd.DataFrame(contacts),
        "orders": _orders_frame(orders, products),
        "interactions": make_interactions(rng, accounts, products, sales, begin, span),
        "opportunities": make_opportunities(rng, accounts, sales, begin, span),
        "knowledge": knowledge_frame(products, begin),
    }
    frames["invoices"] = make_invoices(seed, frames)  # own generator: the frames above are unchanged
    return {name: frames[name] for name in ENTITY_ORDER}


def seed_glossary(engine: Engine | None = None) -> dict[str, int]:
    """Write the demo catalogue's glossary terms (one transaction); counts of inserted/updated/unchanged."""
    if engine is None:
        from bizpilot.db.engine import get_engine

        engine = get_engine()
    with Session(engine) as session:
        summary = import_terms(session=session, rows=glossary_rows(), keep_existing=True)
        session.commit()
    return {"inserted": summary.inserted, "updated": summary.updated, "unchanged": summary.unchanged}


def build_demo(*, seed: int = 42, engine: Engine | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """Seed the workspace glossary with the catalogue's words, then generate the demo and import it through the
    normal pipeline, parents first; returns {entity: tables} ('glossary' first).

    Each entity is imported strictly: a demo that rejects its own rows is a bug, so a reject raises
    :class:`ImportRejected` and that entity writes nothing (entities imported before it stay). Glossary terms the
    workspace already has are kept, so a team's own renderings survive a rebuild."""
    frames = generate_demo(seed=seed)
    out: dict[str, dict] = {"glossary": {"glossary_terms": seed_glossary(engine)}}
    if progress:
        progress(f"glossary seeded ({out['glossary']['glossary_terms']['inserted']} new terms)")
    for entity in ENTITY_ORDER:
        if progress:
            progress(f"importing {entity} ({len(frames[entity])} rows)")
        report = import_frame(entity, frames[entity], source=f"demo:seed={seed}:{entity}", strict=True,
                              engine=engine)
        if report.rejected or report.unused_columns:
            raise ImportRejected(f"demo {entity}: {report.rejected} rejected row(s), unused columns "
                                 f"{report.unused_columns}; see {report.rejects_path}")
        out[entity] = report.tables
    out["team"] = build_demo_users(engine)  # users who own the accounts and deals (ingest/demo_users.py)
    if progress:
        progress("demo data ready")
    return out


__all__ = ["generate_demo", "build_demo", "seed_glossary", "DEFAULT_START", "ENTITY_ORDER"]
