"""The payment reminder: chosen by ``auto`` (before a thank-you for a fresh order) when an invoice is overdue as of the
workspace's today, stating the invoice's facts under their own ids, and written in both languages so that the fact
check backs every sentence and every quality check passes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.account import Account
from bizpilot.domain.invoice import Invoice
from bizpilot.errors import ValidationFailed
from bizpilot.services.content import generate_content, load_facts
from bizpilot.services.content.checker import check_text
from bizpilot.services.content.lint import LintContext, lint_text
from bizpilot.services.content.purpose import AUTO_ORDER, choose_purpose

HOW = "bank transfer to Harbor Commerce Bank, account 4471039218, with the invoice number as the reference"


def _invoice(session: Session, number: str, due: date, amount: float, paid: float = 0.0,
             status: str = "open") -> None:
    account_id = session.scalar(select(Account.id).where(Account.external_id == "ACC-T1"))
    session.add(Invoice(external_id=number, account_id=account_id, number=number, issued_at=date(2024, 3, 5),
                        due_at=due, amount=amount, currency="USD", amount_paid=paid, status=status,
                        payment_instructions=HOW))
    session.flush()


def test_auto_chooses_the_reminder_only_while_an_invoice_is_overdue(small_session: Session) -> None:
    bundle = load_facts(session=small_session, kind="sales_email", account_id="ACC-T1")
    # The small workspace's today is its newest order, 2024-06-01: without an overdue invoice that order is thanked.
    _invoice(small_session, "INV-0001", date(2024, 6, 1), 500.0)  # due today: not overdue yet
    _invoice(small_session, "INV-0002", date(2024, 4, 4), 300.0, paid=300.0, status="paid")
    assert choose_purpose(session=small_session, bundle=bundle).name == "thank_you"
    with pytest.raises(ValidationFailed):
        choose_purpose(session=small_session, bundle=bundle, purpose="payment_reminder")
    _invoice(small_session, "INV-0003", date(2024, 5, 2), 1250.0, paid=250.0)  # 30 days overdue, 1000 due
    chosen = choose_purpose(session=small_session, bundle=bundle)
    assert AUTO_ORDER[0] == "payment_reminder" and chosen.name == "payment_reminder"
    facts = {f.id: f for f in chosen.facts}
    assert facts["invoice.number"].text == "INV-0003" and facts["invoice.due_date"].text == "2024-05-02"
    assert facts["invoice.amount_due"].value == pytest.approx(1000.0)
    assert facts["invoice.amount_due"].text == "USD 1000.00" and facts["invoice.days_overdue"].value == 30
    assert facts["invoice.payment"].text == HOW and "invoice.overdue_count" not in facts


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_deterministic_reminder_passes_the_fact_check_and_every_quality_check(small_session: Session,
                                                                                  language: str) -> None:
    _invoice(small_session, "INV-0003", date(2024, 5, 2), 1250.0, paid=250.0)
    _invoice(small_session, "INV-0004", date(2024, 5, 20), 80.5)
    result = generate_content(session=small_session, kind="sales_email", account_id="ACC-T1", language=language,
                              use_llm=False, purpose="auto")
    assert result.purpose["name"] == "payment_reminder"
    text = result.output
    for value in ("INV-0003", "2024-05-02", "30"):
        assert value in text
    assert ("USD 1000.00" if language == "en" else "1000.00 USD") in text
    assert ("USD 1080.50" if language == "en" else "1080.50 USD") in text  # both overdue invoices together
    # English payment instructions go into the English letter only.
    assert (HOW in text) == (language == "en")
    assert not any(w in text.lower() for w in ("discount", "penalty", "fee", "折扣", "罚", "滞纳金"))
    bundle = load_facts(session=small_session, kind="sales_email", account_id="ACC-T1")
    bundle.facts += [f for f in choose_purpose(session=small_session, bundle=bundle).facts]
    check = check_text(text, bundle)
    assert check.clean and all(s.backed_by for s in check.sentences if any(c.isdigit() for c in s.text))
    assert {"invoice.number", "invoice.amount_due", "invoice.days_overdue", "invoice.overdue_total"} <= set(
        check.backed_by)
    assert lint_text(text, LintContext(kind="sales_email", language=language, bundle=bundle)) == []
    assert result.lint["failed_checks"] == [] and not result.removed
