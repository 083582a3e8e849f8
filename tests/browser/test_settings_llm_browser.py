"""Settings › Language models in real headless Chromium: an admin fills in the remote endpoint form (a loopback
OpenAI-compatible server), saves it, presses "Test connection" and watches the page update itself until the probe's
verdict shows; the key's variable is named, the key never appears."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.llm.registry import clear_cache
from bizpilot.services.users import create_user
from tests.browser.conftest import _ENV, Site, Watch, shot
from tests.live_server import live_server
from tests.services.llmprobe.openai_loopback import MODEL, openai_loopback

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN_EMAIL, ADMIN_PASSWORD = "lena@northwind.example", "lena-browser-pass"
KEY_ENV, SECRET = "LOOPBACK_BROWSER_API_KEY", "sk-browser-0123456789abcdef"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A workspace with one admin user (no demo data needed), served by a live uvicorn; env restored after."""
    saved = {name: os.environ.get(name) for name in (*_ENV, KEY_ENV)}
    os.environ["BIZPILOT_HOME"] = str(tmp_path_factory.mktemp("browser-llm") / "ws")
    os.environ.pop("BIZPILOT_DATABASE_URL", None)
    os.environ.pop("BIZPILOT_AUTH_OPEN_READS", None)
    os.environ[KEY_ENV] = SECRET
    reset_settings()
    reset_engine()
    forget_database_checks()
    clear_cache()
    try:
        engine = get_engine()
        upgrade(engine)
        with session_scope(engine) as session:
            create_user(session=session, name="Lena Hoffmann", email=ADMIN_EMAIL, role="admin",
                        password=ADMIN_PASSWORD)
        with live_server() as url:
            yield Site(url=url, engine=engine)
    finally:
        reset_engine()
        clear_cache()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_database_checks()


def test_admin_configures_and_tests_a_remote_endpoint(page: Page, site: Site, watch: Watch) -> None:
    page.goto(f"{site.url}/login?next=/settings")
    page.fill("#login", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/settings")
    assert page.locator("#llm-models tbody tr").count() >= 3   # the packaged models, probed or not
    with openai_loopback() as server:
        page.fill("#llm-base-url", server.url)
        page.fill("#llm-model", MODEL)
        page.fill("#llm-key-env", KEY_ENV)
        page.check("#llm-use")
        page.click("#llm-endpoint-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/settings\?notice=llm_saved#llm$"))
        assert page.locator("#llm-key-state").inner_text() == f"${KEY_ENV} is set in the server's environment."
        assert page.locator("#llm-model").input_value() == MODEL and page.locator("#llm-use").is_checked()
        row = page.locator(f'#llm-models tr[data-model="openai:{MODEL}@{server.url}"]')
        assert "in use" in row.inner_text() and "not probed" in row.inner_text()

        page.click("#llm-test-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/settings\?notice=llm_test_started#llm$"))
        # the page reloads itself every few seconds until the background test is done
        page.locator('#llm-test[data-state="done"]').wait_for(timeout=60_000)
    verdict = page.locator("#llm-test").inner_text()
    assert "Reachable." in verdict and "Probe passed (score 1.0): it drafts content." in verdict
    row = page.locator(f'#llm-models tr[data-model="openai:{MODEL}@{server.url}"]')
    assert "passed" in row.inner_text() and "the model drafts (checked)" in row.inner_text()
    assert SECRET not in page.content()
    shot(page, "settings-llm-endpoint")
    watch.assert_clean()
