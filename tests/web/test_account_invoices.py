"""The account page lists what the account still owes: open invoices with the amount due, overdue ones first with
their days overdue (derived from the workspace's today, never stored); paid, void and other accounts' invoices
are not listed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine

from bizpilot.db.engine import session_scope
from bizpilot.domain.invoice import Invoice
from bizpilot.services.clock import workspace_today
from tests.web.test_account_work_page import ws  # noqa: F401 - the seeded workspace fixture
from tests.web.test_today_page import signed_in


def test_open_invoices_are_listed_overdue_first(engine: Engine, ws: dict[str, int]) -> None:  # noqa: F811
    account, other = ws["B02"], ws["B03"]
    with session_scope(engine) as session:
        today = workspace_today(session=session)

        def add(number: str, due_in: int, amount: float, paid: float = 0.0, status: str = "open",
                account_id: int = account) -> None:
            session.add(Invoice(external_id=number, account_id=account_id, number=number,
                                issued_at=today + timedelta(days=due_in - 30), due_at=today + timedelta(days=due_in),
                                amount=amount, amount_paid=paid, currency="EUR", status=status))

        add("INV-NOT-DUE", 10, 500.0)
        add("INV-LATE-5", -5, 1200.0, paid=200.0)
        add("INV-LATE-40", -40, 80.0)
        add("INV-PAID", -60, 300.0, paid=300.0, status="paid")
        add("INV-VOID", -60, 300.0, status="void")
        add("INV-OTHER", -20, 50.0, account_id=other)
    html = signed_in(engine, ws["ann"]).get(f"/accounts/{account}").text
    section = re.search(r'<section class="card" id="account-invoices">.*?</section>', html, re.S).group()
    assert re.findall(r'data-invoice="([^"]+)"', section) == ["INV-LATE-40", "INV-LATE-5", "INV-NOT-DUE"]
    late5 = re.search(r'data-invoice="INV-LATE-5".*?</tr>', section, re.S).group()
    assert "1,000.00" in late5 and "5 days overdue" in late5
    assert "not yet due" in re.search(r'data-invoice="INV-NOT-DUE".*?</tr>', section, re.S).group()
    assert "Payment reminder" in section
