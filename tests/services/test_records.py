"""The records service: creating, updating, archiving and syncing records by external id, with the ownership policy,
optimistic concurrency and the audit trail (the sample dataset of ``sample_data.py``, imported for real)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Contact, Interaction, Opportunity, Order, OrderLine, Product
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, Forbidden, ValidationFailed
from bizpilot.ingest.pipeline import import_frame
from bizpilot.ingest.specs import stable_id
from bizpilot.services.auth import Principal
from bizpilot.services.listing import list_rows
from bizpilot.services.records import (
    archive_record,
    create_record,
    history,
    restore_record,
    update_record,
    upsert_by_external_id,
)

pytestmark = pytest.mark.storage


def principal(user: User) -> Principal:
    return Principal(kind="session", name=user.name, role=user.role, user_id=user.id)


@pytest.fixture
def people(sample_session: Session, sample: dict[str, int]) -> dict[str, Principal]:
    """A manager, two sales reps (Sam owns ACME, Rita owns BOREALIS) and a viewer, committed."""
    users = {name: User(name=name, email=f"{name}@example.com", role=role)
             for name, role in (("max", "manager"), ("sam", "sales"), ("rita", "sales"), ("vic", "viewer"))}
    sample_session.add_all(users.values())
    sample_session.flush()
    for account, owner in (("ACME", "sam"), ("BOREALIS", "rita")):  # as an import with an owner column does
        sample_session.execute(update(Account).where(Account.id == sample[account]).values(owner_id=users[owner].id))
    sample_session.commit()
    return {name: principal(user) for name, user in users.items()}


def audit_rows(session: Session, entity: str, record_id: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.record_id == record_id)
                                .order_by(AuditEntry.id)))


def test_a_sales_rep_creating_an_account_owns_it_and_the_creation_is_audited(sample_session: Session,
                                                                               people: dict[str, Principal]) -> None:
    sam = people["sam"]
    account = create_record(session=sample_session, entity="accounts", principal=sam, channel="api",
                            data={"name": "  Zeta Traders ", "country": "Spain", "tier": "standard"})
    assert (account.name, account.owner_id, account.version, account.archived_at) == ("Zeta Traders", sam.user_id,
                                                                                       1, None)
    assert account.external_id == stable_id("acct", "Zeta Traders")  # the key an import derives for this name
    [row] = audit_rows(sample_session, "accounts", account.id)
    assert (row.action, row.channel, row.user_id, row.actor) == ("create", "api", sam.user_id, "sam")
    assert row.changes["name"] == [None, "Zeta Traders"] and row.changes["owner_id"] == [None, sam.user_id]


def test_a_created_record_is_the_one_a_later_import_of_the_same_row_updates(engine: Engine, sample_session: Session,
                                                                           people: dict[str, Principal]) -> None:
    create_record(session=sample_session, entity="accounts", principal=people["max"], channel="page",
                  data={"name": "Zeta Traders"})
    sample_session.commit()
    before = sample_session.scalar(select(func.count(Account.id)))
    report = import_frame("accounts", pd.DataFrame([{"name": "Zeta Traders", "country": "Spain"}]), source="z.csv",
                          engine=engine)
    assert report.tables["accounts"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    sample_session.expire_all()
    assert sample_session.scalar(select(func.count(Account.id))) == before


def test_only_managers_give_records_to_someone_else(sample_session: Session, people: dict[str, Principal]) -> None:
    rita = people["rita"].user_id
    with pytest.raises(Forbidden, match="only managers and admins"):
        create_record(session=sample_session, entity="accounts", principal=people["sam"], channel="api",
                      data={"name": "Theta", "owner_id": rita})
    account = create_record(session=sample_session, entity="accounts", principal=people["max"], channel="api",
                            data={"name": "Theta", "owner_id": rita})
    assert account.owner_id == rita
    with pytest.raises(ValidationFailed, match="no user with id 999") as err:
        create_record(session=sample_session, entity="accounts", principal=people["max"], channel="api",
                      data={"name": "Iota", "owner_id": 999})
    assert err.value.details[0]["field"] == "owner_id"


def test_create_validates_like_an_import_row(sample_session: Session, people: dict[str, Principal]) -> None:
    max_ = people["max"]
    with pytest.raises(ValidationFailed) as err:
        create_record(session=sample_session, entity="accounts", principal=max_, channel="api", data={"name": ""})
    assert err.value.details[0]["field"] == "name"
    with pytest.raises(ValidationFailed) as err:
        create_record(session=sample_session, entity="contacts", principal=max_, channel="api",
                      data={"name": "Ann", "email": "not-an-email", "account_external_id": "ACME"})
    assert err.value.details[0]["field"] == "email"
    with pytest.raises(ValidationFailed, match="unknown account 'NOPE'") as err:
        create_record(session=sample_session, entity="contacts", principal=max_, channel="api",
                      data={"name": "Ann", "account_external_id": "NOPE"})
    assert err.value.details[0]["field"] == "account_external_id"
    with pytest.raises(ValidationFailed, match="unknown field") as err:
        create_record(session=sample_session, entity="accounts", principal=max_, channel="api",
                      data={"name": "Kappa", "sentiment": "positive"})
    assert err.value.details == [{"field": "sentiment", "reason": "unknown or read-only field"}]
    with pytest.raises(ConflictError, match="already has sku 'MUG-01'"):
        create_record(session=sample_session, entity="products", principal=max_, channel="api",
                      data={"sku": "MUG-01", "name": "Another mug"})


def test_contacts_reference_accounts_by_external_id_or_id(sample_session: Session, sample: dict[str, int],
                                                          people: dict[str, Principal]) -> None:
    by_key = create_record(session=sample_session, entity="contacts", principal=people["sam"], channel="api",
                           data={"name": "Ann Lee", "email": "Ann@Acme.example", "account_external_id": "ACME"})
    by_id = create_record(session=sample_session, entity="contacts", principal=people["sam"], channel="api",
                          data={"name": "Bo Wu", "account_id": sample["ACME"]})
    assert by_key.account_id == by_id.account_id == sample["ACME"]
    assert by_key.external_id == "ann@acme.example"  # as the contacts importer derives it
    assert by_id.external_id == stable_id("contact", "ACME", "Bo Wu")


def test_ownership_on_every_kind_of_write(sample_session: Session, sample: dict[str, int],
                                          people: dict[str, Principal]) -> None:
    sam, vic = people["sam"], people["vic"]
    borealis = sample["BOREALIS"]
    with pytest.raises(Forbidden, match="you may change only what you own"):
        create_record(session=sample_session, entity="contacts", principal=sam, channel="api",
                      data={"name": "Nope", "account_id": borealis})
    with pytest.raises(Forbidden, match="only managers and admins change records nobody owns"):
        create_record(session=sample_session, entity="products", principal=sam, channel="api",
                      data={"sku": "NEW-1", "name": "New"})
    with pytest.raises(Forbidden, match="you may change only what you own"):
        update_record(session=sample_session, entity="accounts", record_id=borealis, data={"tier": "key"},
                      principal=sam, channel="api")
    with pytest.raises(Forbidden, match="you may change only what you own"):
        create_record(session=sample_session, entity="opportunities", principal=sam, channel="api",
                      data={"name": "Poach", "stage": "proposal", "account_id": borealis})
    for entity, data in (("accounts", {"name": "V"}), ("products", {"sku": "V-1", "name": "V"})):
        with pytest.raises(Forbidden, match="your role only reads"):
            create_record(session=sample_session, entity=entity, principal=vic, channel="api", data=data)
    with pytest.raises(Forbidden, match="your role only reads"):
        archive_record(session=sample_session, entity="accounts", record_id=sample["ACME"], principal=vic,
                       channel="api")
    mine = update_record(session=sample_session, entity="accounts", record_id=sample["ACME"],
                         data={"tier": "strategic"}, principal=sam, channel="api")
    assert (mine.tier, mine.version) == ("strategic", 2)
    product = create_record(session=sample_session, entity="products", principal=people["max"], channel="api",
                            data={"sku": "NEW-1", "name": "New", "price": 2.5})
    assert product.price == 2.5


def test_a_deal_belongs_to_its_accounts_owner_and_an_activity_to_who_logged_it(
        sample_session: Session, sample: dict[str, int], people: dict[str, Principal]) -> None:
    deal = create_record(session=sample_session, entity="opportunities", principal=people["max"], channel="api",
                         data={"name": "Summer cups", "stage": "qualification", "account_external_id": "ACME",
                               "amount": 900.123456, "next_step": "Send samples"})
    assert (deal.owner_id, deal.next_step, deal.amount) == (people["sam"].user_id, "Send samples", 900.1235)
    assert deal.created_at is not None  # "when" defaults to now
    call = create_record(session=sample_session, entity="interactions", principal=people["sam"], channel="page",
                         data={"channel": "call", "direction": "outbound", "account_id": sample["ACME"],
                               "text": "Very unhappy: the parcel arrived broken and they want a refund.",
                               "outcome": "refund promised"})
    assert (call.user_id, call.outcome, call.account_id) == (people["sam"].user_id, "refund promised", sample["ACME"])
    assert call.sentiment == "negative" and call.intent == "returns_refunds" and call.analysed_at is not None
    assert call.version == 1  # analysed before it was written: one write


def test_stale_version_is_refused_and_changes_nothing(sample_session: Session, sample: dict[str, int],
                                                      people: dict[str, Principal]) -> None:
    acme = sample["ACME"]
    update_record(session=sample_session, entity="accounts", record_id=acme, data={"industry": "Wholesale"},
                  principal=people["sam"], channel="api", expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else meanwhile"):
        update_record(session=sample_session, entity="accounts", record_id=acme, data={"industry": "Food"},
                      principal=people["max"], channel="api", expected_version=1)
    account = sample_session.get(Account, acme)
    assert (account.industry, account.version) == ("Wholesale", 2)
    [entry] = history(session=sample_session, entity="accounts", record_id=acme)
    assert entry.changes == {"industry": ["Retail", "Wholesale"]}


def test_concurrent_sessions_one_wins_the_other_gets_a_conflict(engine: Engine, sample: dict[str, int],
                                                                people: dict[str, Principal]) -> None:
    acme = sample["ACME"]
    with Session(engine) as first, Session(engine) as second:
        loaded = [first.get(Account, acme), second.get(Account, acme)]  # both read version 1
        assert [a.version for a in loaded] == [1, 1]
        update_record(session=first, entity="accounts", record_id=acme, data={"region": "South"},
                      principal=people["sam"], channel="api", expected_version=1)
        first.commit()
        with pytest.raises(ConflictError):  # the second read version 1 too: its write matches no row now
            update_record(session=second, entity="accounts", record_id=acme, data={"region": "North"},
                          principal=people["max"], channel="api")
        second.rollback()
    with Session(engine) as check:
        account = check.get(Account, acme)
        assert (account.region, account.version) == ("South", 2)
        assert [e.changes for e in history(session=check, entity="accounts", record_id=acme)] == [
            {"region": ["APAC", "South"]}]


def test_owner_change_in_an_update_is_for_managers(sample_session: Session, sample: dict[str, int],
                                                   people: dict[str, Principal]) -> None:
    with pytest.raises(Forbidden, match="may not assign records to another user"):
        update_record(session=sample_session, entity="accounts", record_id=sample["ACME"],
                      data={"owner_id": people["rita"].user_id}, principal=people["sam"], channel="api")
    moved = update_record(session=sample_session, entity="accounts", record_id=sample["ACME"],
                          data={"owner_id": people["rita"].user_id}, principal=people["max"], channel="api")
    assert moved.owner_id == people["rita"].user_id


def test_archive_and_restore_leave_and_rejoin_lists_with_history(sample_session: Session, sample: dict[str, int],
                                                                 people: dict[str, Principal]) -> None:
    acme = sample["ACME"]
    archive_record(session=sample_session, entity="accounts", record_id=acme, principal=people["sam"], channel="page")
    names = [a.name for a in list_rows(session=sample_session, entity="accounts").items]
    assert "Acme Trading Co" not in names and len(names) == 4
    only = list_rows(session=sample_session, entity="accounts", archived="only")
    assert [a.name for a in only.items] == ["Acme Trading Co"]
    assert list_rows(session=sample_session, entity="accounts", archived="include").total == 5
    restore_record(session=sample_session, entity="accounts", record_id=acme, principal=people["sam"], channel="page")
    assert list_rows(session=sample_session, entity="accounts").total == 5
    actions = [e.action for e in history(session=sample_session, entity="accounts", record_id=acme)]
    assert actions == ["restore", "archive"]


def test_owner_filters(sample_session: Session, sample: dict[str, int], people: dict[str, Principal]) -> None:
    sam = people["sam"]
    mine = list_rows(session=sample_session, entity="accounts", owner="me", user_id=sam.user_id)
    assert [a.name for a in mine.items] == ["Acme Trading Co"]
    by_id = list_rows(session=sample_session, entity="accounts", owner=str(people["rita"].user_id))
    assert [a.name for a in by_id.items] == ["Borealis Foods GmbH"]
    assert list_rows(session=sample_session, entity="accounts", owner="rita@example.com").total == 1
    assert list_rows(session=sample_session, entity="accounts", owner="none").total == 3
    # opportunities: the imported owner name still filters
    assert [o.name for o in list_rows(session=sample_session, entity="opportunities", owner="Mia").items] == [
        "Spring fair mugs"]
    with pytest.raises(ValidationFailed, match="owner=me needs a caller who is a user"):
        list_rows(session=sample_session, entity="accounts", owner="me", user_id=None)
    with pytest.raises(ValidationFailed, match="have no owner"):
        list_rows(session=sample_session, entity="products", owner="me", user_id=sam.user_id)


def test_upsert_is_idempotent(sample_session: Session, people: dict[str, Principal]) -> None:
    data = {"name": "Ceramic mug XL", "category": "Kitchen", "price": 4.56789, "currency": "EUR",
            "attributes": {"colour": "white"}}
    first = upsert_by_external_id(session=sample_session, entity="products", external_id="MUG-XL", data=data,
                                  principal=people["max"], channel="api")
    assert first.created and first.record.sku == "MUG-XL" and first.record.price == 4.5679
    again = upsert_by_external_id(session=sample_session, entity="products", external_id="MUG-XL", data=data,
                                  principal=people["max"], channel="api")
    assert (again.created, again.changes, again.record.version) == (False, {}, 1)
    changed = upsert_by_external_id(session=sample_session, entity="products", external_id="MUG-XL",
                                    data={"price": 5.0}, principal=people["max"], channel="api")
    assert changed.changes == {"price": [4.5679, 5.0]} and changed.record.name == "Ceramic mug XL"
    assert [e.action for e in audit_rows(sample_session, "products", first.record.id)] == ["create", "update"]
    with pytest.raises(ValidationFailed, match="is not the one in the path"):
        upsert_by_external_id(session=sample_session, entity="products", external_id="MUG-XL",
                              data={"sku": "OTHER", "name": "x"}, principal=people["max"], channel="api")


def test_upsert_of_an_account_keeps_fields_it_leaves_out(sample_session: Session, sample: dict[str, int],
                                                         people: dict[str, Principal]) -> None:
    result = upsert_by_external_id(session=sample_session, entity="accounts", external_id="ACME",
                                   data={"tier": "strategic"}, principal=people["sam"], channel="api")
    assert not result.created and result.changes == {"tier": ["key", "strategic"]}
    assert (result.record.name, result.record.industry) == ("Acme Trading Co", "Retail")
    with pytest.raises(Forbidden):
        upsert_by_external_id(session=sample_session, entity="accounts", external_id="BOREALIS",
                              data={"tier": "key"}, principal=people["sam"], channel="api")


def _lines(session: Session, order: Order) -> list[tuple[int, str, float, float, str]]:
    rows = session.execute(select(OrderLine.line_no, Product.sku, OrderLine.quantity, OrderLine.unit_price,
                                  OrderLine.line_type).join(Product, Product.id == OrderLine.product_id)
                           .where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)).all()
    return [tuple(r) for r in rows]


def test_orders_upsert_with_lines_replaced_as_a_set(sample_session: Session, sample: dict[str, int],
                                                    people: dict[str, Principal]) -> None:
    sam = people["sam"]
    order = {"account_external_id": "ACME", "ordered_at": "2024-04-02T10:00:00+02:00", "currency": "EUR",
             "lines": [{"sku": "MUG-01", "quantity": 20, "unit_price": 3.9},
                       {"sku": "TEA-02", "quantity": 4, "unit_price": 10, "discount": 0.05}]}
    created = upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-1", data=order,
                                    principal=sam, channel="api")
    assert created.created and created.record.account_id == sample["ACME"] and not created.record.is_guest
    assert created.record.ordered_at == datetime(2024, 4, 2, 8)  # stored in UTC
    assert _lines(sample_session, created.record) == [(1, "MUG-01", 20.0, 3.9, "sale"), (2, "TEA-02", 4.0, 10.0,
                                                                                       "sale")]
    again = upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-1", data=order,
                                  principal=sam, channel="api")
    assert (again.created, again.changes) == (False, {})
    order["status"] = "open"
    order["lines"] = [{"sku": "TEA-02", "quantity": 6, "unit_price": 10, "line_no": 2},
                      {"sku": "POST", "quantity": 1, "unit_price": 15, "line_no": 3}]
    changed = upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-1", data=order,
                                    principal=sam, channel="api")
    assert set(changed.changes) == {"status", "lines"}
    assert _lines(sample_session, changed.record) == [(2, "TEA-02", 6.0, 10.0, "sale"), (3, "POST", 1.0, 15.0,
                                                                                       "sale")]
    assert [e.action for e in audit_rows(sample_session, "orders", changed.record.id)] == ["create", "update"]


def test_orders_upsert_refuses_what_the_importer_refuses(sample_session: Session, people: dict[str, Principal]) -> None:
    bad_sku = {"account_external_id": "ACME", "ordered_at": "2024-04-02",
               "lines": [{"sku": "MUG-01", "quantity": 1, "unit_price": 1}, {"sku": "NOPE", "quantity": 1,
                                                                             "unit_price": 1}]}
    with pytest.raises(ValidationFailed, match="unknown product 'NOPE'") as err:
        upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-2", data=bad_sku,
                              principal=people["max"], channel="api")
    assert err.value.details[0]["field"] == "lines.1.sku"
    with pytest.raises(ValidationFailed) as err:
        upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-2",
                              data={"ordered_at": "2024-04-02", "lines": [{"sku": "MUG-01", "unit_price": 1}]},
                              principal=people["max"], channel="api")
    assert err.value.details[0]["field"] == "lines.0.quantity"
    with pytest.raises(Forbidden):  # an order of somebody else's account
        upsert_by_external_id(session=sample_session, entity="orders", external_id="WEB-3",
                              data={"account_external_id": "BOREALIS", "ordered_at": "2024-04-02", "lines": []},
                              principal=people["sam"], channel="api")
    assert sample_session.scalar(select(func.count(Order.id)).where(Order.external_id.like("WEB-%"))) == 0


def test_interaction_text_change_is_analysed_again(sample_session: Session, people: dict[str, Principal]) -> None:
    ix = sample_session.scalar(select(Interaction).where(Interaction.external_id == "ix-3"))
    updated = update_record(session=sample_session, entity="interactions", record_id=ix.id, principal=people["max"],
                            channel="api", data={"text": "Thank you, the tea is wonderful and we love it!"})
    assert updated.sentiment == "positive" and updated.version == 2


def test_contact_and_opportunity_counts_are_unchanged_by_failed_creates(sample_session: Session,
                                                                        people: dict[str, Principal]) -> None:
    contacts = sample_session.scalar(select(func.count(Contact.id)))
    deals = sample_session.scalar(select(func.count(Opportunity.id)))
    for data in ({"name": "X", "account_external_id": "BOREALIS"},):
        with pytest.raises(Forbidden):
            create_record(session=sample_session, entity="contacts", principal=people["sam"], channel="api", data=data)
    assert sample_session.scalar(select(func.count(Contact.id))) == contacts
    assert sample_session.scalar(select(func.count(Opportunity.id))) == deals
