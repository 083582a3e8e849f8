"""Business overview figures computed in SQL, so they stay fast on half a million order lines.

Net revenue is ``sum(quantity * unit_price * (1 - discount))`` over order lines: cancellations and returns keep
their negative quantities, so they reduce revenue without special cases. Months come from
``extract(year/month)``, which SQLAlchemy renders for both SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.orm import Session

from bizpilot.db.base import Base
from bizpilot.domain import Account, Interaction, Order, OrderLine

OVERVIEW_TABLES = ("accounts", "products", "orders", "order_lines", "interactions", "opportunities",
                   "knowledge_articles")


@dataclass(frozen=True)
class MonthRevenue:
    month: str  # "YYYY-MM"
    revenue: float
    orders: int


@dataclass(frozen=True)
class AccountRevenue:
    account_id: int
    name: str
    country: str | None
    revenue: float
    orders: int


@dataclass(frozen=True)
class RecentInteraction:
    id: int
    occurred_at: datetime
    channel: str
    direction: str
    subject: str | None
    text: str | None
    account_id: int | None
    account_name: str | None


@dataclass(frozen=True)
class Overview:
    counts: dict[str, int]
    revenue_by_month: list[MonthRevenue]
    top_accounts: list[AccountRevenue]
    recent_interactions: list[RecentInteraction]
    total_revenue: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def net_amount() -> ColumnElement[Any]:
    """Net value of one order line; the single definition every revenue figure uses."""
    return OrderLine.quantity * OrderLine.unit_price * (1 - OrderLine.discount)


def month_key(column: Any) -> ColumnElement[int]:
    """``year * 100 + month`` as an integer: dialect-neutral and cheap to group by."""
    return cast(extract("year", column), Integer) * 100 + cast(extract("month", column), Integer)


def row_counts(*, session: Session, tables: tuple[str, ...]) -> dict[str, int]:
    """Row count of the named tables, in the given order (``services.stats`` counts every table)."""
    known = Base.metadata.tables
    return {name: int(session.execute(select(func.count()).select_from(known[name])).scalar_one())
            for name in tables}


def _month_label(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


def _fill_months(rows: list[tuple[int, float, int]]) -> list[MonthRevenue]:
    """Continuous months from first to last (empty months as 0) so charts do not hide gaps."""
    if not rows:
        return []
    values = {int(k): (float(r or 0.0), int(n or 0)) for k, r, n in rows}
    keys = sorted(values)
    year, month = divmod(keys[0], 100)
    last = keys[-1]
    out: list[MonthRevenue] = []
    while year * 100 + month <= last:
        key = year * 100 + month
        revenue, orders = values.get(key, (0.0, 0))
        out.append(MonthRevenue(_month_label(key), revenue, orders))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def order_totals(*, account_id: int | None = None) -> Subquery:
    """Net amount per order (``order_id``, ``net``). Aggregating lines per order first, then grouping the
    ~20x fewer orders, keeps month and account roll-ups fast on large order tables."""
    stmt = select(OrderLine.order_id.label("order_id"), func.sum(net_amount()).label("net"))
    if account_id is not None:
        stmt = stmt.join(Order, Order.id == OrderLine.order_id).where(Order.account_id == account_id)
    return stmt.group_by(OrderLine.order_id).subquery("order_totals")


def revenue_by_month(*, session: Session, account_id: int | None = None, start: datetime | None = None,
                     end: datetime | None = None) -> list[MonthRevenue]:
    """Net revenue and order count per calendar month of ``orders.ordered_at`` (optionally for one account)."""
    totals = order_totals(account_id=account_id)
    key = month_key(Order.ordered_at).label("month")
    stmt: Select[Any] = (
        select(key, func.sum(totals.c.net), func.count())
        .select_from(totals).join(Order, Order.id == totals.c.order_id)
        .group_by(key).order_by(key)
    )
    if start is not None:
        stmt = stmt.where(Order.ordered_at >= start)
    if end is not None:
        stmt = stmt.where(Order.ordered_at < end)
    return _fill_months([tuple(r) for r in session.execute(stmt).all()])


def top_accounts(*, session: Session, limit: int = 10) -> list[AccountRevenue]:
    """Accounts with the highest net revenue (guest orders have no account and are left out)."""
    totals = order_totals()
    revenue = func.sum(totals.c.net).label("revenue")
    per_account = (
        select(Order.account_id.label("account_id"), revenue, func.count().label("orders"))
        .select_from(totals).join(Order, Order.id == totals.c.order_id)
        .where(Order.account_id.is_not(None)).group_by(Order.account_id)
        .order_by(revenue.desc(), Order.account_id).limit(limit).subquery("per_account")
    )
    stmt = (
        select(Account.id, Account.name, Account.country, per_account.c.revenue, per_account.c.orders)
        .join(per_account, per_account.c.account_id == Account.id)
        .order_by(per_account.c.revenue.desc(), Account.id)
    )
    return [AccountRevenue(int(i), n, c, float(r or 0.0), int(o))
            for i, n, c, r, o in session.execute(stmt).all()]


def recent_interactions(*, session: Session, limit: int = 10, account_id: int | None = None
                        ) -> list[RecentInteraction]:
    """Latest touchpoints with the account name, newest first."""
    stmt = (
        select(Interaction, Account.name).outerjoin(Account, Account.id == Interaction.account_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)
    )
    if account_id is not None:
        stmt = stmt.where(Interaction.account_id == account_id)
    return [RecentInteraction(ix.id, ix.occurred_at, ix.channel, ix.direction, ix.subject, ix.text,
                              ix.account_id, name) for ix, name in session.execute(stmt).all()]


def get_overview(*, session: Session, top: int = 10, recent: int = 10) -> Overview:
    """Everything the overview page shows, in a handful of aggregate queries."""
    months = revenue_by_month(session=session)
    return Overview(
        counts=row_counts(session=session, tables=OVERVIEW_TABLES),
        revenue_by_month=months,
        top_accounts=top_accounts(session=session, limit=top),
        recent_interactions=recent_interactions(session=session, limit=recent),
        total_revenue=sum(m.revenue for m in months),
    )


__all__ = ["Overview", "MonthRevenue", "AccountRevenue", "RecentInteraction", "net_amount", "month_key",
           "order_totals", "row_counts", "revenue_by_month", "top_accounts", "recent_interactions", "get_overview"]
