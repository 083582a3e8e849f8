"""Open and overdue invoices: the one read of what an account still owes, as of the workspace's today.

"Overdue" is never stored (``domain/invoice.py``): an open invoice with money due whose due date is before the
workspace's today (``services/clock.py``, so the demo and ``BIZPILOT_AS_OF`` read the same as the pages) is overdue
by the days in between. The payment reminder (``services/content/purpose.py``) and the API read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.invoice import Invoice


@dataclass(frozen=True)
class OverdueInvoice:
    invoice: Invoice
    amount_due: float
    days_overdue: int


def overdue_invoices(*, session: Session, today: date | None = None, account_id: int | None = None,
                     min_days: int = 1, limit: int | None = None) -> list[OverdueInvoice]:
    """Open invoices with money due at least ``min_days`` past their due date, most overdue first (then the larger
    amount); ``today`` defaults to the workspace's today."""
    if today is None:
        from bizpilot.services.clock import workspace_today

        today = workspace_today(session=session)
    query = select(Invoice).where(Invoice.status == "open", Invoice.due_at < today,
                                  Invoice.amount_paid < Invoice.amount)
    if account_id is not None:
        query = query.where(Invoice.account_id == account_id)
    rows = [OverdueInvoice(inv, round(inv.amount_due, 2), inv.days_overdue(today))
            for inv in session.scalars(query.order_by(Invoice.due_at, Invoice.id))]
    rows = [r for r in rows if r.days_overdue >= min_days]
    rows.sort(key=lambda r: (-r.days_overdue, -r.amount_due, r.invoice.id))
    return rows[:limit] if limit is not None else rows


def open_invoices(*, session: Session, account_id: int, today: date | None = None,
                  limit: int = 20) -> list[OverdueInvoice]:
    """An account's open invoices with money still due, the overdue ones first (most overdue first), then by due
    date: what the account page lists. ``days_overdue`` is 0 for an invoice not yet due."""
    if today is None:
        from bizpilot.services.clock import workspace_today

        today = workspace_today(session=session)
    query = (select(Invoice).where(Invoice.account_id == account_id, Invoice.status == "open",
                                   Invoice.amount_paid < Invoice.amount)
             .order_by(Invoice.due_at, Invoice.id).limit(limit))
    rows = [OverdueInvoice(inv, round(inv.amount_due, 2), max(inv.days_overdue(today), 0))
            for inv in session.scalars(query)]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.invoice.due_at, r.invoice.id))


__all__ = ["OverdueInvoice", "open_invoices", "overdue_invoices"]
