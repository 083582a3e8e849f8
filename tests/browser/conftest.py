"""Real headless Chromium against a real server: the demo workspace is built once per module and served by
uvicorn on a loopback port; every test gets a fresh browser context that fails on console errors and refuses
(and records) any request to another host, since the dashboard must work offline."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.ingest.demo import build_demo
from bizpilot.services.auth import set_password
from bizpilot.services.models.jobs import train_many
from bizpilot.services.models.registry import train_all_specs
from tests.live_server import live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "browser-demo-pass"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
_ENV = ("BIZPILOT_HOME", "BIZPILOT_DATABASE_URL", "BIZPILOT_AUTH_OPEN_READS")


@dataclass
class Site:
    """The running demo: its base URL and its database (tests compare pages with it)."""

    url: str
    engine: Engine


@dataclass
class Watch:
    """What went wrong in the browser while a test ran: console errors, failed or foreign requests."""

    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.foreign, f"requests to other hosts: {self.foreign}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed, f"failed requests: {self.failed}"


def _playwright() -> Any:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install -e '.[test]'); no browser download "
                    "is needed, they use the system Chromium")
    return sync_playwright


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo workspace (seed 42) with a dashboard password, served by a live uvicorn; env restored after."""
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ["BIZPILOT_HOME"] = str(tmp_path_factory.mktemp("browser") / "ws")
    os.environ.pop("BIZPILOT_DATABASE_URL", None)  # pages are what is tested here; SQLite is enough
    os.environ.pop("BIZPILOT_AUTH_OPEN_READS", None)
    reset_settings()
    reset_engine()
    forget_database_checks()
    try:
        engine = get_engine()
        upgrade(engine)
        build_demo(seed=42, engine=engine)
        results = train_many(train_all_specs(), engine=engine, trigger="test")  # as `bizpilot demo` does
        assert [r.name for r in results if r.status != "finished"] == [], results
        with session_scope(engine) as session:
            set_password(session=session, password=PASSWORD)
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    sync_playwright = _playwright()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, site: Site, watch: Watch) -> Iterator[Page]:
    """A fresh context (no cookies) whose requests may only go to the test server."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US",
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)

    def gate(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.foreign.append(route.request.url)
            route.abort()

    context.route(re.compile(r".*"), gate)
    tab = context.new_page()
    tab.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: watch.console_errors.append(f"uncaught: {exc}"))
    # A request the browser itself cancelled because the page navigated away (a redirect to the login page while
    # the favicon loads) is not a failure of the server; any answer the server gave is checked by "response".
    tab.on("requestfailed", lambda req: None if req.failure == "net::ERR_ABORTED"
           else watch.failed.append(f"{req.url} ({req.failure})"))
    tab.on("response", lambda resp: watch.failed.append(f"{resp.url} -> {resp.status}")
           if resp.status >= 400 else None)
    try:
        yield tab
    finally:
        context.close()


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/browser/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # the sidebar is sticky: from the top, the page looks as it is
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Page, site: Site, *, next_path: str = "/") -> None:
    """Sign in through the real login form, as a person would."""
    page.goto(f"{site.url}/login" + (f"?next={next_path}" if next_path != "/" else ""))
    page.fill("#password", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{site.url}{next_path}")
