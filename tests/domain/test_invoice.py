"""Invoice rules: the due date is not before the issue date, amounts are not negative and the paid part is not more
than the amount; "overdue" is derived from the due date and a day, never stored."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bizpilot.domain.invoice import Invoice, InvoiceCreate

GOOD = {"account_external_id": "A1", "number": "INV-1", "issued_at": "2025-01-01", "due_at": "2025-01-31",
        "amount": 100.0, "currency": "eur"}


def test_a_good_invoice_gets_its_defaults() -> None:
    inv = InvoiceCreate.model_validate(GOOD)
    assert (inv.status, inv.amount_paid, inv.currency, inv.due_at) == ("open", 0.0, "EUR", date(2025, 1, 31))


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"due_at": "2024-12-31"}, "due_at", "before the issue date"),
    ({"amount": -1}, "amount", "greater than or equal to 0"),
    ({"amount_paid": -5}, "amount_paid", "greater than or equal to 0"),
    ({"amount_paid": 100.01}, "amount_paid", "more than the invoice amount"),
    ({"status": "overdue"}, "status", "'open', 'paid' or 'void'"),
    ({"account_external_id": ""}, "account_external_id", "at least 1 character"),
])
def test_each_rule_names_its_field(change: dict, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        InvoiceCreate.model_validate({**GOOD, **change})
    errors = exc.value.errors()
    assert [e["loc"] for e in errors] == [(field,)]
    assert words in errors[0]["msg"]


def test_overdue_is_derived_from_the_due_date_and_the_day() -> None:
    inv = Invoice(number="INV-1", issued_at=date(2025, 1, 1), due_at=date(2025, 1, 31), amount=100.0,
                  amount_paid=40.0, status="open")
    assert inv.amount_due == pytest.approx(60.0)
    assert [inv.days_overdue(date(2025, 1, d)) for d in (30, 31)] == [0, 0]
    assert inv.days_overdue(date(2025, 2, 10)) == 10 and inv.is_overdue(date(2025, 2, 10))
    inv.amount_paid = 100.0  # paid in full: never overdue, whatever the status says
    assert not inv.is_overdue(date(2025, 3, 1))
    inv.amount_paid, inv.status = 0.0, "void"
    assert inv.days_overdue(date(2025, 3, 1)) == 0
