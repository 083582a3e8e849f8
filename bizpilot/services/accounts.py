"""One account's 360° view: firmographics, owner, people, revenue history, orders, touchpoints (with who logged them,
their outcome and how the customer felt), pipeline and the account's audit trail. Archived contacts, activities and
deals are left out, as lists leave them out.

Kept apart from the page so the API, reports and later features (recommendations, content) can reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Contact, Interaction, Opportunity, Order, OrderLine
from bizpilot.domain.user import User
from bizpilot.services.listing import get_row
from bizpilot.services.overview import MonthRevenue, net_amount, revenue_by_month


@dataclass(frozen=True)
class OrderSummary:
    id: int
    external_id: str
    ordered_at: datetime
    kind: str
    status: str
    currency: str | None
    lines: int
    net_amount: float


@dataclass(frozen=True)
class Activity:
    """A touchpoint as the account page lists it: what, with whom, who logged it, what came of it, the signals."""

    id: int
    occurred_at: datetime
    channel: str
    direction: str
    subject: str | None
    text: str | None
    contact_name: str | None
    logged_by: str | None
    outcome: str | None
    sentiment: str | None
    intent: str | None


@dataclass(frozen=True)
class AccountDetail:
    account: Account
    contacts: list[Contact]
    revenue_by_month: list[MonthRevenue]
    orders: list[OrderSummary]
    order_count: int
    total_revenue: float
    last_order_at: datetime | None
    interactions: list[Activity]
    opportunities: list[Opportunity]
    owner_name: str | None = None


def recent_orders(*, session: Session, account_id: int, limit: int = 20) -> list[OrderSummary]:
    """Newest orders of an account with their line count and net amount (orders without lines show 0)."""
    lines = func.count(OrderLine.id)
    amount = func.coalesce(func.sum(net_amount()), 0.0)
    stmt = (
        select(Order.id, Order.external_id, Order.ordered_at, Order.kind, Order.status, Order.currency, lines,
               amount)
        .select_from(Order).outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.account_id == account_id)
        .group_by(Order.id, Order.external_id, Order.ordered_at, Order.kind, Order.status, Order.currency)
        .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(limit)
    )
    return [OrderSummary(int(i), e, at, k, s, c, int(n), float(a or 0.0))
            for i, e, at, k, s, c, n, a in session.execute(stmt).all()]


def revenue_for_accounts(*, session: Session, account_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Net revenue and order count for a page of accounts in one grouped query (absent ids had no orders)."""
    if not account_ids:
        return {}
    stmt = (
        select(Order.account_id, func.sum(net_amount()), func.count(func.distinct(Order.id)))
        .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
        .where(Order.account_id.in_(account_ids)).group_by(Order.account_id)
    )
    return {int(a): (float(r or 0.0), int(n)) for a, r, n in session.execute(stmt).all()}


def owner_choices(*, session: Session, keep: int | None = None) -> list[User]:
    """The active users a record can be given to, by name (for owner drop-downs and filters), and the user ``keep``
    even if deactivated (a record's current owner: saving its form must not take it from them unasked)."""
    condition = User.active.is_(True) if keep is None else (User.active.is_(True) | (User.id == keep))
    return list(session.scalars(select(User).where(condition).order_by(User.name, User.id)))


def account_activities(*, session: Session, account_id: int, limit: int = 20) -> list[Activity]:
    """The account's latest touchpoints (archived ones left out), newest first."""
    stmt = (select(Interaction, Contact.name, User.name)
            .outerjoin(Contact, Contact.id == Interaction.contact_id).outerjoin(User, User.id == Interaction.user_id)
            .where(Interaction.account_id == account_id, Interaction.archived_at.is_(None))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit))
    return [Activity(ix.id, ix.occurred_at, ix.channel, ix.direction, ix.subject, ix.text, contact, user, ix.outcome,
                     ix.sentiment, ix.intent) for ix, contact, user in session.execute(stmt).all()]


def account_detail(*, session: Session, account_id: int, orders: int = 20, interactions: int = 20,
                   opportunities: int = 50) -> AccountDetail:
    """Everything the account page shows; raises NotFoundError for an unknown id."""
    account = get_row(session=session, entity="accounts", row_id=account_id)
    contacts = list(session.execute(
        select(Contact).where(Contact.account_id == account_id, Contact.archived_at.is_(None))
        .order_by(Contact.name, Contact.id)).scalars())
    months = revenue_by_month(session=session, account_id=account_id)
    order_count, last_order_at = session.execute(
        select(func.count(Order.id), func.max(Order.ordered_at)).where(Order.account_id == account_id)).one()
    opps = list(session.execute(
        select(Opportunity).where(Opportunity.account_id == account_id, Opportunity.archived_at.is_(None))
        .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()).limit(opportunities)).scalars())
    return AccountDetail(
        account=account,
        contacts=contacts,
        revenue_by_month=months,
        orders=recent_orders(session=session, account_id=account_id, limit=orders),
        order_count=int(order_count or 0),
        total_revenue=sum(m.revenue for m in months),
        last_order_at=last_order_at,
        interactions=account_activities(session=session, account_id=account_id, limit=interactions),
        opportunities=opps,
        owner_name=session.scalar(select(User.name).where(User.id == account.owner_id)) if account.owner_id else None,
    )


__all__ = ["Activity", "AccountDetail", "OrderSummary", "account_activities", "account_detail", "owner_choices",
           "recent_orders", "revenue_for_accounts"]
