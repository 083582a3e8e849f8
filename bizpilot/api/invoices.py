"""Overdue invoices over HTTP: ``GET /invoices-overdue``.

The stored invoices are listed, filtered and exported by the registry's routes (``GET /invoices``,
``GET /invoices/{id}``); whether one is overdue depends on the day, so it is not a stored status to filter by. This
route reads it as of the workspace's today (``services/invoices.py``): the open invoices with money due past their
due date, most overdue first, with the amount still due and the days overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bizpilot.api.deps import SessionDep
from bizpilot.api.params import IdQuery
from bizpilot.domain.invoice import InvoicePublic
from bizpilot.domain.schemas import UTCSchema
from bizpilot.services.clock import workspace_today
from bizpilot.services.invoices import overdue_invoices

router = APIRouter(tags=["invoices"])


class OverdueInvoiceOut(InvoicePublic):
    """A stored invoice as ``GET /invoices/{id}`` returns it, with what is derived from today."""

    amount_due: float
    days_overdue: int


class OverdueInvoices(UTCSchema):
    today: date
    total: int
    items: list[OverdueInvoiceOut]


@router.get("/invoices-overdue", response_model=OverdueInvoices, operation_id="invoices_overdue")
def list_overdue(session: SessionDep, account_id: IdQuery = None,
                 min_days: Annotated[int, Query(ge=1, le=3650, description="At least this many days overdue")] = 1,
                 limit: Annotated[int, Query(ge=1, le=500, description="At most this many invoices")] = 100,
                 ) -> OverdueInvoices:
    """Open invoices past their due date as of the workspace's today, most overdue first (then the larger amount)."""
    today = workspace_today(session=session)
    found = overdue_invoices(session=session, today=today, account_id=account_id, min_days=min_days)
    items = [OverdueInvoiceOut(**InvoicePublic.model_validate(f.invoice).model_dump(), amount_due=f.amount_due,
                               days_overdue=f.days_overdue) for f in found[:limit]]
    return OverdueInvoices(today=today, total=len(found), items=items)


__all__ = ["router"]
