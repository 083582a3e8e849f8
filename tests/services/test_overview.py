"""Overview and account figures equal the hand computation in sample_data."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bizpilot.errors import NotFoundError
from bizpilot.services.accounts import account_detail, revenue_for_accounts
from bizpilot.services.overview import (
    get_overview,
    revenue_by_month,
    row_counts,
    top_accounts,
)
from tests.services import sample_data as sd

pytestmark = pytest.mark.storage


def test_revenue_by_month_matches_hand_computation(sample_session: Session) -> None:
    months = revenue_by_month(session=sample_session)
    assert [m.month for m in months] == ["2024-01", "2024-02", "2024-03"]
    for m in months:
        revenue, orders = sd.MONTHS[m.month]
        assert m.revenue == pytest.approx(revenue)
        assert m.orders == orders


def test_top_accounts_and_guest_orders_left_out(sample_session: Session, sample: dict[str, int]) -> None:
    top = top_accounts(session=sample_session, limit=5)
    assert [(a.account_id, a.name, a.orders) for a in top] == [
        (sample["ACME"], "Acme Trading Co", 4), (sample["BOREALIS"], "Borealis Foods GmbH", 1)]
    assert top[0].revenue == pytest.approx(357.0)
    assert top[1].revenue == pytest.approx(285.0)
    assert len(top_accounts(session=sample_session, limit=1)) == 1


def test_overview_counts_total_and_recent(sample_session: Session) -> None:
    data = get_overview(session=sample_session, recent=2)
    assert data.counts == {"accounts": 5, "products": 3, "orders": 6, "order_lines": 8, "interactions": 3,
                           "opportunities": 2, "knowledge_articles": 1}
    assert data.total_revenue == pytest.approx(sd.TOTAL)
    assert [ix.subject for ix in data.recent_interactions] == ["Damaged parcel", "Reorder mugs"]
    assert data.recent_interactions[0].account_name == "Acme Trading Co"
    assert row_counts(session=sample_session, tables=("import_runs", "model_runs", "contacts")) == {
        "import_runs": 0, "model_runs": 0, "contacts": 3}  # library imports are not logged runs


def test_account_detail_gathers_everything(sample_session: Session, sample: dict[str, int]) -> None:
    d = account_detail(session=sample_session, account_id=sample["ACME"])
    assert d.account.name == "Acme Trading Co"
    assert [c.name for c in d.contacts] == ["Li Wei", "Sarah Chen"]
    assert [(m.month, round(m.revenue, 2)) for m in d.revenue_by_month] == [
        ("2024-01", 105.0), ("2024-02", 0.0), ("2024-03", 252.0)]  # empty month filled with 0
    assert d.total_revenue == pytest.approx(357.0)
    assert d.order_count == 4
    assert [(o.external_id, o.lines, round(o.net_amount, 2)) for o in d.orders] == [
        ("C5", 1, -28.0), ("O3", 1, 280.0), ("O2", 1, 20.0), ("O1", 2, 85.0)]
    assert d.orders[0].kind == "cancellation"
    assert [ix.subject for ix in d.interactions] == ["Damaged parcel", "Reorder mugs"]
    assert [o.name for o in d.opportunities] == ["Spring fair mugs"]
    assert d.last_order_at is not None and d.last_order_at.day == 5


def test_account_without_orders_and_missing_account(sample_session: Session, sample: dict[str, int]) -> None:
    d = account_detail(session=sample_session, account_id=sample["CEDAR"])
    assert (d.revenue_by_month, d.orders, d.order_count, d.total_revenue, d.contacts) == ([], [], 0, 0, [])
    with pytest.raises(NotFoundError):
        account_detail(session=sample_session, account_id=424242)


def test_revenue_for_a_page_of_accounts(sample_session: Session, sample: dict[str, int]) -> None:
    got = revenue_for_accounts(session=sample_session,
                               account_ids=[sample["ACME"], sample["BOREALIS"], sample["CEDAR"]])
    assert set(got) == {sample["ACME"], sample["BOREALIS"]}
    assert got[sample["ACME"]][0] == pytest.approx(357.0) and got[sample["ACME"]][1] == 4
    assert revenue_for_accounts(session=sample_session, account_ids=[]) == {}
