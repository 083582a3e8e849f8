"""The shared list service: filters, search, sort, paging and the errors edges rely on."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.listing import (
    apply_filters,
    distinct_values,
    get_row,
    list_rows,
    parse_sort,
    unknown_params,
)

pytestmark = pytest.mark.storage


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.name for a in page.items]


def test_default_sort_is_registry_default_and_total_counts_all(sample_session: Session) -> None:
    page = list_rows(session=sample_session, entity="accounts", limit=2)
    assert names(page) == ["Acme Trading Co", "Borealis Foods GmbH"]
    assert (page.total, page.limit, page.offset, page.has_next, page.has_prev) == (5, 2, 0, True, False)


def test_pagination_walks_every_row_once(sample_session: Session) -> None:
    seen = []
    for offset in range(0, 5, 2):
        seen += names(list_rows(session=sample_session, entity="accounts", sort="name", limit=2, offset=offset))
    assert seen == ["Acme Trading Co", "Borealis Foods GmbH", "Cedar Retail Ltd", "Delta 100% Supplies_",
                    "Echo Wholesale"]
    last = list_rows(session=sample_session, entity="accounts", limit=2, offset=4)
    assert last.has_prev and not last.has_next


def test_exact_filters_combine(sample_session: Session) -> None:
    page = list_rows(session=sample_session, entity="accounts", filters={"industry": "Retail", "country": "China"})
    assert names(page) == ["Acme Trading Co", "Echo Wholesale"]
    assert page.total == 2
    # empty values are "no filter" (what an unselected drop-down sends)
    assert list_rows(session=sample_session, entity="accounts", filters={"industry": "", "tier": None}).total == 5
    # exact, not substring
    assert list_rows(session=sample_session, entity="accounts", filters={"industry": "Ret"}).total == 0


def test_filter_values_are_coerced_to_column_type(sample_session: Session) -> None:
    acme = sample_session.execute(select(Account.id).where(Account.external_id == "ACME")).scalar_one()
    orders = list_rows(session=sample_session, entity="orders", filters={"account_id": str(acme)})
    assert sorted(o.external_id for o in orders.items) == ["C5", "O1", "O2", "O3"]
    guests = list_rows(session=sample_session, entity="orders", filters={"is_guest": "true"})
    assert [o.external_id for o in guests.items] == ["G6"]
    with pytest.raises(ValidationFailed, match="expected int"):
        list_rows(session=sample_session, entity="orders", filters={"account_id": "abc"})


def test_search_is_case_insensitive_over_searchable_columns(sample_session: Session) -> None:
    assert names(list_rows(session=sample_session, entity="accounts", q="ACME")) == ["Acme Trading Co"]
    # matches the description column too
    assert names(list_rows(session=sample_session, entity="accounts", q="tea")) == ["Borealis Foods GmbH",
                                                                                    "Echo Wholesale"]
    # LIKE wildcards in the query are literal characters
    assert names(list_rows(session=sample_session, entity="accounts", q="100%")) == ["Delta 100% Supplies_"]
    assert list_rows(session=sample_session, entity="accounts", q="s_").total == 1
    assert list_rows(session=sample_session, entity="accounts", q="%").total == 1


def test_search_and_filters_together(sample_session: Session) -> None:
    page = list_rows(session=sample_session, entity="accounts", q="tea", filters={"country": "China"})
    assert names(page) == ["Echo Wholesale"]


def test_sorting_descending_and_multiple_keys(sample_session: Session) -> None:
    assert names(list_rows(session=sample_session, entity="accounts", sort="-created_at"))[:2] == ["Echo Wholesale",
                                                                                     "Cedar Retail Ltd"]
    page = list_rows(session=sample_session, entity="accounts", sort="country,-name")
    assert names(page) == ["Echo Wholesale", "Delta 100% Supplies_", "Acme Trading Co", "Borealis Foods GmbH",
                           "Cedar Retail Ltd"]
    assert parse_sort(entity="orders", sort=None) == [("ordered_at", True)]


def test_bad_names_raise_validation_errors_listing_the_choices(sample_session: Session) -> None:
    with pytest.raises(ValidationFailed, match="sortable: id, name, created_at") as exc:
        list_rows(session=sample_session, entity="accounts", sort="description")
    assert exc.value.details == [{"field": "sort", "reason": "'description' is not sortable"}]
    with pytest.raises(ValidationFailed, match="filterable: industry, country"):
        list_rows(session=sample_session, entity="accounts", filters={"name": "Acme"})
    with pytest.raises(ValidationFailed, match="no searchable columns"):
        list_rows(session=sample_session, entity="order_lines", q="x")
    with pytest.raises(ValidationFailed, match="limit"):
        list_rows(session=sample_session, entity="accounts", limit=501)
    with pytest.raises(NotFoundError, match="unknown entity"):
        list_rows(session=sample_session, entity="widgets")


def test_get_row_and_missing_row(sample_session: Session) -> None:
    acme = sample_session.execute(select(Account).where(Account.external_id == "ACME")).scalar_one()
    assert get_row(session=sample_session, entity="accounts", row_id=acme.id).name == "Acme Trading Co"
    with pytest.raises(NotFoundError, match="accounts 999999 not found"):
        get_row(session=sample_session, entity="accounts", row_id=999999)


def test_distinct_values_and_unknown_params(sample_session: Session) -> None:
    assert distinct_values(session=sample_session, entity="accounts", column="country") == [
        "China", "Germany", "United Kingdom"]
    assert distinct_values(session=sample_session, entity="accounts", column="tier") == [
        "key", "small", "standard", "strategic"]
    assert unknown_params(["industry", "limit", "colour"], entity="accounts", reserved=("limit",)) == ["colour"]


def test_filters_compose_on_a_custom_select(sample_session: Session) -> None:
    stmt = apply_filters(select(Account.name), entity="accounts", filters={"tier": "standard"})
    assert sorted(sample_session.execute(stmt).scalars()) == ["Cedar Retail Ltd", "Echo Wholesale"]


def test_archived_records_are_left_out_unless_asked_for(sample_session: Session) -> None:
    from datetime import datetime

    from sqlalchemy import update

    echo = update(Account).where(Account.external_id == "ECHO")
    sample_session.execute(echo.values(archived_at=datetime(2024, 5, 1)))
    assert "Echo Wholesale" not in names(list_rows(session=sample_session, entity="accounts"))
    assert names(list_rows(session=sample_session, entity="accounts", archived="only")) == ["Echo Wholesale"]
    assert list_rows(session=sample_session, entity="accounts", archived="include").total == 5
    assert list_rows(session=sample_session, entity="orders", archived="only").total == 6  # orders are never archived
    with pytest.raises(ValidationFailed, match="archived must be one of exclude, include, only"):
        list_rows(session=sample_session, entity="accounts", archived="maybe")
