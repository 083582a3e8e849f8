"""Records in real headless Chromium: a sales rep signs in, logs a call on their account (it shows up analysed),
edits the account and adds a contact, and finds no edit controls on a colleague's account; a manager edits a product
on the Products page. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.domain import Account, Interaction, Product
from bizpilot.services.users import create_user
from tests.browser.conftest import _ENV, Site, Watch, shot
from tests.live_server import live_server
from tests.services.sample_data import load_sample

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORDS = {"sam": "sam-browser-pass", "max": "max-browser-pass"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The small sample dataset; Sam (sales) owns Acme, Rita (sales) Borealis; Max is a manager."""
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ["BIZPILOT_HOME"] = str(tmp_path_factory.mktemp("browser-records") / "ws")
    os.environ.pop("BIZPILOT_DATABASE_URL", None)
    os.environ.pop("BIZPILOT_AUTH_OPEN_READS", None)
    reset_settings()
    reset_engine()
    forget_database_checks()
    try:
        engine = get_engine()
        upgrade(engine)
        ids = load_sample(engine)
        with session_scope(engine) as session:
            users = {name: create_user(session=session, name=name, email=f"{name}@example.com", role=role,
                                       password=PASSWORDS.get(name)).id
                     for name, role in (("sam", "sales"), ("rita", "sales"), ("max", "manager"))}
            for account, owner in (("ACME", "sam"), ("BOREALIS", "rita")):
                session.execute(update(Account).where(Account.id == ids[account]).values(owner_id=users[owner]))
        with live_server() as url:
            yield Site(url=url, engine=engine)
    finally:
        reset_engine()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_database_checks()


def sign_in(page: Page, site: Site, name: str, next_path: str) -> None:
    page.goto(f"{site.url}/login?next={next_path}")
    page.fill("#login", f"{name}@example.com")
    page.fill("#password", PASSWORDS[name])
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{site.url}{next_path}")


def account_id(site: Site, external_id: str) -> int:
    with session_scope(site.engine) as session:
        return int(session.scalar(select(Account.id).where(Account.external_id == external_id)))


def test_a_sales_rep_logs_a_call_edits_and_adds_a_contact(page: Page, site: Site, watch: Watch) -> None:
    acme = account_id(site, "ACME")
    sign_in(page, site, "sam", f"/accounts/{acme}")
    page.click("#log-activity summary")
    page.select_option("#activity-form select[name=kind]", "call")
    page.select_option("#activity-form select[name=contact_id]", label="Li Wei")
    page.fill("#activity-form input[name=outcome]", "Quote requested")
    page.fill("#activity-form textarea[name=text]", "Li is happy with the mugs and wants a quote for 500 more.")
    page.click("#activity-form button[type=submit]")
    page.wait_for_url(f"{site.url}/accounts/{acme}?notice=activity_logged#activities")
    assert page.inner_text("#notice") == "Activity logged."
    with session_scope(site.engine) as session:
        call = session.scalar(select(Interaction).where(Interaction.outcome == "Quote requested"))
        assert (call.channel, call.direction, call.sentiment) == ("call", "outbound", "positive")
    row = page.locator(f'tr[data-interaction="{call.id}"]')
    assert "Quote requested" in row.inner_text() and row.locator(".sentiment-positive").count() == 1

    page.click("#edit-account summary")
    page.fill("#account-form input[name=industry]", "Wholesale")
    page.click("#account-form button[type=submit]")
    page.wait_for_url(f"{site.url}/accounts/{acme}?notice=saved#profile")
    assert "Wholesale" in page.inner_text("#profile")
    assert "industry" in page.inner_text("#audit") and "sam" in page.inner_text("#audit")

    page.click("#add-contact summary")
    page.fill("#contact-form input[name=name]", "Mei Lin")
    page.fill("#contact-form input[name=email]", "mei@acme.example")
    page.click("#contact-form button[type=submit]")
    page.wait_for_url(f"{site.url}/accounts/{acme}?notice=contact_added#contacts")
    assert "Mei Lin" in page.inner_text("#contacts")
    shot(page, "records-account-sales")

    page.goto(f"{site.url}/accounts/{account_id(site, 'BOREALIS')}")
    assert page.locator("#account-form, #activity-form, #contact-form, #archive-account").count() == 0
    page.goto(f"{site.url}/accounts?owner=me")
    names = page.locator("#accounts tbody tr td:first-child").all_inner_texts()
    assert names == ["Acme Trading Co"]
    watch.assert_clean()


def test_a_manager_edits_a_product(page: Page, site: Site, watch: Watch) -> None:
    sign_in(page, site, "max", "/products")
    page.select_option("#category-filter", "Tea")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{site.url}/products?*")
    page.click("#products a:has-text('Green tea 500g')")
    page.click("#edit-product summary")
    page.fill("#product-form input[name=price]", "11.5")
    page.click("#product-form button[type=submit]")
    page.wait_for_url(f"{site.url}/products/*?notice=saved")
    assert "11.50" in page.inner_text("#facts")
    with session_scope(site.engine) as session:
        assert session.scalar(select(Product.price).where(Product.sku == "TEA-02")) == 11.5
    shot(page, "records-product-manager")
    watch.assert_clean()
