"""The record pages, signed in as named users: the account page's edit form (and a stale save that keeps what was
typed), archive and restore, adding and editing contacts, logging an activity (an analysed Interaction), the
accounts list's new-account form and owner filter, and the Products page. Controls appear only where the user may
change the record, and the server answers 403 to the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Contact, Interaction, Product
from bizpilot.domain.audit import AuditEntry
from bizpilot.services.auth import create_login_token
from bizpilot.services.users import create_user
from tests.services.sample_data import load_sample
from tests.web.conftest import csrf_token

pytestmark = pytest.mark.storage


@dataclass
class World:
    engine: Engine
    app: FastAPI
    ids: dict[str, int]
    users: dict[str, int]

    def client(self, name: str) -> TestClient:
        """A browser signed in as ``name`` through a one-time login link."""
        with session_scope(self.engine) as session:
            token = create_login_token(session=session, user_id=self.users[name])
        client = TestClient(self.app)
        assert client.get(f"/login/token/{token}", follow_redirects=False).status_code == 303
        return client


@pytest.fixture
def world(engine: Engine) -> World:
    ids = load_sample(engine)
    users: dict[str, int] = {}
    with session_scope(engine) as session:
        for name, role in (("max", "manager"), ("sam", "sales"), ("rita", "sales"), ("vic", "viewer")):
            users[name] = create_user(session=session, name=name, email=f"{name}@example.com", role=role).id
        for account, owner in (("ACME", "sam"), ("BOREALIS", "rita")):
            session.execute(update(Account).where(Account.id == ids[account]).values(owner_id=users[owner]))
    return World(engine, create_app(), ids, users)


def post(client: TestClient, url: str, page: str, **form: str):  # type: ignore[no-untyped-def]
    """Submit a form of ``page`` as the browser would (with the page's CSRF token)."""
    return client.post(url, data={"csrf_token": csrf_token(client, page), **form}, follow_redirects=False)


def stored(engine: Engine, model: type, record_id: int):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.get(model, record_id)


def test_owner_sees_the_edit_controls_others_do_not_and_the_server_agrees(world: World) -> None:
    acme = world.ids["ACME"]
    page = world.client("sam").get(f"/accounts/{acme}").text
    for marker in ('id="account-form"', 'name="version" value="1"', 'id="activity-form"', 'id="contact-form"',
                   'id="archive-account"', 'id="audit"'):
        assert marker in page, marker
    assert 'name="owner_id"' not in page  # a sales rep does not hand accounts to others
    assert 'name="owner_id"' in world.client("max").get(f"/accounts/{acme}").text
    for name in ("rita", "vic"):
        client = world.client(name)
        other = client.get(f"/accounts/{acme}").text
        assert 'id="account-form"' not in other and 'id="activity-form"' not in other
        assert 'id="archive-account"' not in other and 'id="audit"' in other
        resp = post(client, f"/accounts/{acme}/edit", f"/accounts/{acme}", name="Hijacked", version="1")
        assert resp.status_code == 403 and "text/html" in resp.headers["content-type"]
        assert post(client, f"/accounts/{acme}/archive", f"/accounts/{acme}").status_code == 403
    assert stored(world.engine, Account, acme).name == "Acme Trading Co"


def test_edit_saves_and_the_audit_trail_shows_it(world: World) -> None:
    acme = world.ids["ACME"]
    sam = world.client("sam")
    resp = post(sam, f"/accounts/{acme}/edit", f"/accounts/{acme}", name="Acme Trading Co", industry="Wholesale",
                tier="strategic", country="China", region="APAC", size_band="51-200", language="zh",
                description="Wholesale buyer of kitchenware for 40 stores in Guangdong", version="1")
    assert resp.status_code == 303 and resp.headers["location"] == f"/accounts/{acme}?notice=saved#profile"
    account = stored(world.engine, Account, acme)
    assert (account.industry, account.tier, account.version) == ("Wholesale", "strategic", 2)
    page = sam.get(resp.headers["location"]).text
    assert 'id="notice"' in page and 'name="version" value="2"' in page
    audit = page[page.index('id="audit"'):]
    assert "<code>industry</code>" in audit and "Retail" in audit and "Wholesale" in audit and "sam" in audit
    assert "<code>tier</code>" in audit and "<code>name</code>" not in audit  # only what changed


def test_a_stale_save_says_so_shows_the_stored_values_and_keeps_what_was_typed(world: World) -> None:
    acme = world.ids["ACME"]
    sam, max_ = world.client("sam"), world.client("max")
    first = post(max_, f"/accounts/{acme}/edit", f"/accounts/{acme}", name="Acme Trading Co", industry="Food",
                 version="1")
    assert first.status_code == 303
    stale = post(sam, f"/accounts/{acme}/edit", f"/accounts/{acme}", name="Acme Trading Co", industry="Toys",
                 version="1")
    assert stale.status_code == 409
    page = stale.text
    assert "Changed by someone else meanwhile." in page
    conflict = page[page.index('id="edit-error"'):page.index('id="account-form"')]
    assert re.search(r'data-field="industry".*?class="stored">Food<.*?class="yours">Toys<', conflict, re.S)
    form = page[page.index('id="account-form"'):]
    assert 'name="industry" value="Toys"' in form and 'name="version" value="2"' in form
    assert stored(world.engine, Account, acme).industry == "Food"  # the winner's value, nothing overwritten
    again = post(sam, f"/accounts/{acme}/edit", f"/accounts/{acme}", name="Acme Trading Co", industry="Toys",
                 version="2")
    assert again.status_code == 303 and stored(world.engine, Account, acme).industry == "Toys"


def test_invalid_edit_is_shown_with_the_field_and_the_values(world: World) -> None:
    acme = world.ids["ACME"]
    resp = post(world.client("sam"), f"/accounts/{acme}/edit", f"/accounts/{acme}", name="", industry="Retail",
                version="1")
    assert resp.status_code == 422
    assert 'name="name" value=""' in resp.text and 'aria-invalid="true"' in resp.text
    assert stored(world.engine, Account, acme).version == 1


def test_log_activity_creates_an_analysed_interaction(world: World) -> None:
    acme = world.ids["ACME"]
    sam = world.client("sam")
    with Session(world.engine) as session:
        li = session.scalar(select(Contact.id).where(Contact.external_id == "c-li"))
    resp = post(sam, f"/accounts/{acme}/activities", f"/accounts/{acme}", kind="call", contact_id=str(li),
                outcome="Complaint", occurred_on="2024-03-10",
                text="Li was very angry: the second shipment arrived broken and he wants a refund.")
    assert resp.status_code == 303 and resp.headers["location"].endswith("#activities")
    note = post(sam, f"/accounts/{acme}/activities", f"/accounts/{acme}", kind="note", text="Prefers calls after 3pm.")
    assert note.status_code == 303
    with Session(world.engine) as session:
        call = session.scalar(select(Interaction).where(Interaction.outcome == "Complaint"))
        assert (call.channel, call.direction, call.user_id, call.contact_id, call.account_id) == (
            "call", "outbound", world.users["sam"], li, acme)
        assert call.occurred_at.date().isoformat() == "2024-03-10"
        assert call.sentiment == "negative" and call.intent is not None and call.analysed_at is not None
        memo = session.scalar(select(Interaction).where(Interaction.channel == "note"))
        assert (memo.direction, memo.user_id) == ("internal", world.users["sam"])
        assert session.scalar(select(AuditEntry.channel).where(AuditEntry.entity == "interactions",
                                                               AuditEntry.record_id == call.id)) == "page"
    page = sam.get(f"/accounts/{acme}").text
    row = page[page.index(f'data-interaction="{call.id}"'):]
    assert "sentiment-negative" in row[:1500] and "Li Wei" in row[:1500] and "sam" in row[:1500]
    bad = post(sam, f"/accounts/{acme}/activities", f"/accounts/{acme}", kind="call", text="",
               occurred_on="2024-03-11")
    assert bad.status_code == 422 and 'id="activity-error"' in bad.text and 'value="2024-03-11"' in bad.text


def test_add_and_edit_contacts(world: World) -> None:
    acme = world.ids["ACME"]
    sam = world.client("sam")
    bad = post(sam, f"/accounts/{acme}/contacts", f"/accounts/{acme}", name="Mei Lin", email="not-an-email")
    assert bad.status_code == 422 and 'value="Mei Lin"' in bad.text and 'id="contact-error"' in bad.text
    resp = post(sam, f"/accounts/{acme}/contacts", f"/accounts/{acme}", name="Mei Lin", email="mei@acme.example",
                title="Buyer")
    assert resp.status_code == 303
    with Session(world.engine) as session:
        mei = session.scalar(select(Contact).where(Contact.email == "mei@acme.example"))
        assert (mei.account_id, mei.title, mei.version) == (acme, "Buyer", 1)
    assert "Mei Lin" in sam.get(f"/accounts/{acme}").text
    saved = post(sam, f"/accounts/{acme}/contacts/{mei.id}/edit", f"/accounts/{acme}", name="Mei Lin",
                 email="mei@acme.example", title="Head buyer", phone="+86 20 1234", version="1")
    assert saved.status_code == 303
    assert (stored(world.engine, Contact, mei.id).title, stored(world.engine, Contact, mei.id).version) == (
        "Head buyer", 2)
    stale = post(sam, f"/accounts/{acme}/contacts/{mei.id}/edit", f"/accounts/{acme}", name="Mei Lin",
                 title="Intern", version="1")
    assert stale.status_code == 409 and f'id="contact-error-{mei.id}"' in stale.text
    archived = post(sam, f"/accounts/{acme}/contacts/{mei.id}/archive", f"/accounts/{acme}")
    assert archived.status_code == 303 and "Mei Lin" not in sam.get(f"/accounts/{acme}").text
    other = world.ids["BOREALIS"]
    assert post(sam, f"/accounts/{other}/contacts", f"/accounts/{acme}", name="Nope").status_code == 403


def test_archive_and_restore_from_the_page(world: World) -> None:
    acme = world.ids["ACME"]
    sam = world.client("sam")
    assert post(sam, f"/accounts/{acme}/archive", f"/accounts/{acme}").status_code == 303
    assert "Acme Trading Co" not in sam.get("/accounts").text
    assert "Acme Trading Co" in sam.get("/accounts", params={"archived": "only"}).text
    page = sam.get(f"/accounts/{acme}").text
    assert 'id="archived-banner"' in page and 'id="restore-account"' in page
    assert post(sam, f"/accounts/{acme}/restore", f"/accounts/{acme}").status_code == 303
    assert "Acme Trading Co" in sam.get("/accounts").text


def test_new_account_and_the_mine_filter(world: World) -> None:
    sam = world.client("sam")
    page = sam.get("/accounts").text
    assert 'id="new-account-form"' in page and '<option value="me"' in page
    resp = post(sam, "/accounts/new", "/accounts", name="Zeta Traders", country="Spain", tier="standard")
    assert resp.status_code == 303
    new_id = int(resp.headers["location"].split("/")[2].split("?")[0])
    assert stored(world.engine, Account, new_id).owner_id == world.users["sam"]
    mine = sam.get("/accounts", params={"owner": "me"}).text
    table = mine[mine.index('id="accounts"'):]
    assert "Zeta Traders" in table and "Acme Trading Co" in table and "Borealis" not in table
    dup = post(sam, "/accounts/new", "/accounts", name="")
    assert dup.status_code == 422 and 'id="new-account-error"' in dup.text
    assert 'id="new-account-form"' not in world.client("vic").get("/accounts").text


def test_products_page_lists_filters_and_lets_managers_edit(world: World) -> None:
    max_, sam = world.client("max"), world.client("sam")
    page = max_.get("/products").text
    assert all(sku in page for sku in ("MUG-01", "TEA-02", "POST")) and 'id="new-product-form"' in page
    tea = max_.get("/products", params={"category": "Tea"}).text
    table = tea[tea.index('id="products"'):]
    assert "TEA-02" in table and "MUG-01" not in table
    assert "MUG-01" in max_.get("/products", params={"q": "mug"}).text
    with Session(world.engine) as session:
        mug = session.scalar(select(Product).where(Product.sku == "MUG-01"))
    detail = max_.get(f"/products/{mug.id}").text
    assert 'id="product-form"' in detail and 'id="top-buyers"' in detail and "Acme Trading Co" in detail
    resp = post(max_, f"/products/{mug.id}/edit", f"/products/{mug.id}", name="Ceramic mug", category="Kitchen",
                price="4.25", currency="eur", active="1", version="1")
    assert resp.status_code == 303
    assert (stored(world.engine, Product, mug.id).price, stored(world.engine, Product, mug.id).currency) == (4.25,
                                                                                                           "EUR")
    sales_view = sam.get(f"/products/{mug.id}").text
    assert 'id="product-form"' not in sales_view and 'id="archive-product"' not in sales_view
    assert 'id="new-product-form"' not in sam.get("/products").text
    assert post(sam, f"/products/{mug.id}/edit", f"/products/{mug.id}", name="Cheap mug", version="2"
                ).status_code == 403
    created = post(max_, "/products/new", "/products", sku="CUP-90", name="Espresso cup", price="2.5",
                   currency="EUR", active="1")
    assert created.status_code == 303
    assert post(max_, "/products/new", "/products", sku="CUP-90", name="Again").status_code == 409
    assert post(max_, f"/products/{mug.id}/archive", f"/products/{mug.id}").status_code == 303
    assert "MUG-01" not in max_.get("/products").text
