"""Users in real headless Chromium: an admin signs in with their e-mail, adds a sales user on the Settings page and
hands over a login link; the sales user signs in with their password and sees their profile, not the team."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.services.users import create_user, get_user
from tests.browser.conftest import _ENV, Site, Watch, shot
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN_EMAIL, ADMIN_PASSWORD = "alex@harborline.example", "alex-browser-pass"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A workspace with one admin user (no demo data: these pages need none), served by a live uvicorn."""
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ["BIZPILOT_HOME"] = str(tmp_path_factory.mktemp("browser-users") / "ws")
    os.environ.pop("BIZPILOT_DATABASE_URL", None)
    os.environ.pop("BIZPILOT_AUTH_OPEN_READS", None)
    reset_settings()
    reset_engine()
    forget_database_checks()
    try:
        engine = get_engine()
        upgrade(engine)
        with session_scope(engine) as session:
            create_user(session=session, name="Alex Morgan", email=ADMIN_EMAIL, role="admin",
                        password=ADMIN_PASSWORD)
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


def sign_in(page: Page, site: Site, login: str, password: str) -> None:
    page.goto(f"{site.url}/login?next=/settings")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/settings")


def test_admin_adds_a_sales_user_who_signs_in(page: Page, site: Site, watch: Watch) -> None:
    sign_in(page, site, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert "Alex Morgan" in page.locator("#signed-in-user").inner_text()
    page.fill("#user-name", "Emily Carter")
    page.fill("#user-email", "emily@harborline.example")
    page.select_option("#user-role", "sales")
    page.fill("#user-password", "emily-browser-pass")
    page.click("#user-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/settings\?notice=user_added#users$"))
    row = page.locator('#user-list tr[data-user="Emily Carter"]')
    assert "emily@harborline.example" in row.inner_text() and row.locator("select").input_value() == "sales"
    shot(page, "settings-users")

    row.locator("button", has_text="Login link").click()
    link = page.locator("#link-value").input_value()
    assert re.fullmatch(rf"{re.escape(site.url)}/login/token/[A-Za-z0-9_-]+", link)
    assert page.locator("text=Give this link to Emily Carter").is_visible()
    page.click("text=Done")
    page.click("form.logout button")
    page.wait_for_url(f"{site.url}/login?signed_out=1")

    page.fill("#login", "emily@harborline.example")
    page.fill("#password", "wrong-password")
    page.click("form.login-form button[type=submit]")
    assert page.locator("#login-error").inner_text() == "Wrong e-mail, name or password."
    assert watch.failed == [f"{site.url}/login -> 401"]  # the refusal itself (also logged by the console), only
    assert watch.console_errors == ["Failed to load resource: the server responded with a status of 401 "
                                    "(Unauthorized)"]
    watch.failed.clear()
    watch.console_errors.clear()
    sign_in(page, site, "Emily Carter", "emily-browser-pass")
    assert "Emily Carter" in page.locator("#signed-in-user").inner_text()
    assert page.locator("#profile-role").inner_text() == "Sales"
    assert page.locator("#users").count() == 0 and page.locator("#key-form").count() == 0
    shot(page, "settings-profile-sales")

    page.context.clear_cookies()  # the link handed over works once, for Emily
    page.goto(f"{link}?next=/settings")
    page.wait_for_url(f"{site.url}/settings")
    assert "Emily Carter" in page.locator("#signed-in-user").inner_text()
    with session_scope(site.engine) as session:
        assert get_user(session=session, ref="emily@harborline.example").role == "sales"
    watch.assert_clean()
