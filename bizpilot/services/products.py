"""One product as its page shows it, and the catalogue it is listed in: how much of it sold (net of cancellations and
returns) month by month, in how many orders, to whom (their industries), what is bought in the same orders; and the
catalogue's filters (category, price range, in stock, archived, search). Plain aggregates of order lines, no model:
the model-backed parts of the page (forecast, segments, similar products) are in ``products_insight``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.errors import ValidationFailed
from bizpilot.services.clock import as_of
from bizpilot.services.listing import Page, list_rows
from bizpilot.services.overview import month_key, net_amount

TREND_MONTHS = 24  # the sales trend shows at most the last two years (to the workspace's today)
UNKNOWN = "—"  # buyers without an industry are counted under this name


@dataclass(frozen=True)
class TopBuyer:
    account_id: int
    name: str
    revenue: float
    units: float
    industry: str | None = None
    orders: int = 0


@dataclass(frozen=True)
class ProductSales:
    units: float
    revenue: float
    orders: int
    last_ordered_at: datetime | None
    top_buyers: list[TopBuyer] = field(default_factory=list)


@dataclass(frozen=True)
class MonthSales:
    month: str  # YYYY-MM
    revenue: float
    units: float
    orders: int


@dataclass(frozen=True)
class Share:
    """A group of buyers (an industry, a segment) and what they bought of the product."""

    key: str
    accounts: int
    revenue: float
    share: float  # of the product's revenue from known accounts, 0..1


@dataclass(frozen=True)
class BoughtWith:
    product_id: int
    sku: str
    name: str
    orders: int  # orders that hold both products
    share: float  # of this product's orders, 0..1


def product_sales(*, session: Session, product_id: int, top: int = 10) -> ProductSales:
    """Units and net revenue of ``product_id`` over all orders, and the accounts that bought the most of it (with
    their industries and how many orders)."""
    units, revenue, orders, last = session.execute(
        select(func.coalesce(func.sum(OrderLine.quantity), 0.0), func.coalesce(func.sum(net_amount()), 0.0),
               func.count(func.distinct(Order.id)), func.max(Order.ordered_at))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id)).one()
    money = func.sum(net_amount())
    buyers = session.execute(
        select(Account.id, Account.name, money, func.sum(OrderLine.quantity), Account.industry,
               func.count(func.distinct(Order.id)))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .join(Account, Account.id == Order.account_id)
        .where(OrderLine.product_id == product_id).group_by(Account.id, Account.name, Account.industry)
        .order_by(money.desc(), Account.id).limit(top)).all()
    return ProductSales(units=float(units or 0.0), revenue=float(revenue or 0.0), orders=int(orders or 0),
                        last_ordered_at=last,
                        top_buyers=[TopBuyer(int(i), n, float(r or 0.0), float(u or 0.0), ind, int(o or 0))
                                    for i, n, r, u, ind, o in buyers])


def buyer_revenue(*, session: Session, product_id: int) -> dict[int, float]:
    """Net revenue of the product per buying account (guest orders left out): what the breakdowns group."""
    rows = session.execute(
        select(Order.account_id, func.sum(net_amount())).select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id, Order.account_id.is_not(None)).group_by(Order.account_id)).all()
    return {int(a): float(r or 0.0) for a, r in rows}


def shares(revenue: dict[int, float], group: dict[int, str]) -> list[Share]:
    """Buyers' revenue summed per group (an account missing from ``group`` counts under ``UNKNOWN``), largest
    first; shares are of the total, so they add up to 1."""
    total = sum(revenue.values())
    money: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for account_id, value in revenue.items():
        key = group.get(account_id) or UNKNOWN
        money[key] += value
        count[key] += 1
    return sorted((Share(k, count[k], round(v, 2), round(v / total, 4) if total else 0.0) for k, v in money.items()),
                  key=lambda s: (-s.revenue, s.key))


def buyer_industries(*, session: Session, product_id: int) -> list[Share]:
    """Who buys the product, by the buyers' industry (net revenue, accounts, share)."""
    revenue = buyer_revenue(session=session, product_id=product_id)
    industries = dict(session.execute(select(Account.id, Account.industry)
                                      .where(Account.id.in_(list(revenue)))).all())
    return shares(revenue, industries)


def monthly_sales(*, session: Session, product_id: int, months: int = TREND_MONTHS) -> list[MonthSales]:
    """Net revenue, units and orders per calendar month, from the first month it sold (at most ``months`` back from
    the workspace's today) to today's month; months without sales are zero, so the trend shows gaps as gaps."""
    key = month_key(Order.ordered_at)
    rows = session.execute(
        select(key, func.sum(net_amount()), func.sum(OrderLine.quantity), func.count(func.distinct(Order.id)))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id).group_by(key).order_by(key)).all()
    if not rows:
        return []
    by_month = {int(k): (float(r or 0.0), float(u or 0.0), int(o or 0)) for k, r, u, o in rows}
    today = as_of(session=session)
    end = max(today.year * 12 + today.month - 1, max(k // 100 * 12 + k % 100 - 1 for k in by_month))
    start = max(min(k // 100 * 12 + k % 100 - 1 for k in by_month), end - months + 1)
    out = []
    for index in range(start, end + 1):
        year, month = divmod(index, 12)
        revenue, units, orders = by_month.get(year * 100 + month + 1, (0.0, 0.0, 0))
        out.append(MonthSales(f"{year:04d}-{month + 1:02d}", round(revenue, 2), units, orders))
    return out


def bought_together(*, session: Session, product_id: int, n: int = 8) -> list[BoughtWith]:
    """Products most often in the same orders as this one (sales lines only; at least two shared orders unless the
    product has fewer orders), with the share of this product's orders they appear in."""
    mine = select(OrderLine.order_id).where(OrderLine.product_id == product_id, OrderLine.quantity > 0).distinct()
    total = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    if not total:
        return []
    other = aliased(OrderLine)
    together = func.count(func.distinct(other.order_id))
    rows = session.execute(
        select(Product.id, Product.sku, Product.name, together).select_from(other)
        .join(Product, Product.id == other.product_id)
        .where(other.order_id.in_(mine), other.product_id != product_id, other.quantity > 0)
        .group_by(Product.id, Product.sku, Product.name)
        .having(together >= min(2, total)).order_by(together.desc(), Product.sku).limit(n)).all()
    return [BoughtWith(int(i), s, nm, int(c), round(int(c) / total, 4)) for i, s, nm, c in rows]


def categories(*, session: Session) -> list[str]:
    """Categories of the catalogue's products (archived ones left out), sorted."""
    column = Product.category
    return list(session.scalars(select(column).where(column.is_not(None), Product.archived_at.is_(None))
                                .distinct().order_by(column)))


def catalogue(*, session: Session, q: str | None = None, category: str | None = None,
              min_price: float | None = None, max_price: float | None = None, in_stock: bool = False,
              archived: str = "exclude", sort: str | None = None, limit: int = 50, offset: int = 0) -> Page:
    """One page of the catalogue: the shared list (search, category, archived, sort) narrowed to a price range
    (inclusive) and to products with stock on hand."""
    for name, value in (("min_price", min_price), ("max_price", max_price)):
        if value is not None and value < 0:
            raise ValidationFailed(f"{name} must be >= 0", details=[{"field": name, "reason": "negative"}])
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ValidationFailed("min_price is above max_price",
                               details=[{"field": "min_price", "reason": "above max_price"}])
    base = select(Product)
    if min_price is not None:
        base = base.where(Product.price >= min_price)
    if max_price is not None:
        base = base.where(Product.price <= max_price)
    if in_stock:
        base = base.where(Product.stock_qty > 0)
    return list_rows(session=session, entity="products", filters={"category": category}, q=q, sort=sort,
                     limit=limit, offset=offset, base=base, archived=archived)


__all__ = ["BoughtWith", "MonthSales", "ProductSales", "Share", "TopBuyer", "bought_together", "buyer_industries",
           "buyer_revenue", "catalogue", "categories", "monthly_sales", "product_sales", "shares"]
