"""One product as its page shows it: how much of it sold (net of cancellations and returns), in how many orders, when
last, and to whom most; plus the categories the catalogue filters by. Plain aggregates of order lines, no model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Order, OrderLine, Product
from bizpilot.services.overview import net_amount


@dataclass(frozen=True)
class TopBuyer:
    account_id: int
    name: str
    revenue: float
    units: float


@dataclass(frozen=True)
class ProductSales:
    units: float
    revenue: float
    orders: int
    last_ordered_at: datetime | None
    top_buyers: list[TopBuyer] = field(default_factory=list)


def product_sales(*, session: Session, product_id: int, top: int = 5) -> ProductSales:
    """Units and net revenue of ``product_id`` over all orders, and the accounts that bought the most of it."""
    units, revenue, orders, last = session.execute(
        select(func.coalesce(func.sum(OrderLine.quantity), 0.0), func.coalesce(func.sum(net_amount()), 0.0),
               func.count(func.distinct(Order.id)), func.max(Order.ordered_at))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id)).one()
    money = func.sum(net_amount())
    buyers = session.execute(
        select(Account.id, Account.name, money, func.sum(OrderLine.quantity))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .join(Account, Account.id == Order.account_id)
        .where(OrderLine.product_id == product_id).group_by(Account.id, Account.name)
        .order_by(money.desc(), Account.id).limit(top)).all()
    return ProductSales(units=float(units or 0.0), revenue=float(revenue or 0.0), orders=int(orders or 0),
                        last_ordered_at=last,
                        top_buyers=[TopBuyer(int(i), n, float(r or 0.0), float(u or 0.0)) for i, n, r, u in buyers])


def categories(*, session: Session) -> list[str]:
    """Categories of the catalogue's products (archived ones left out), sorted."""
    column = Product.category
    return list(session.scalars(select(column).where(column.is_not(None), Product.archived_at.is_(None))
                                .distinct().order_by(column)))


__all__ = ["ProductSales", "TopBuyer", "categories", "product_sales"]
