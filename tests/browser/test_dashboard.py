"""The dashboard in real headless Chromium: sign-in, every nav page with figures from the database, the drawn
revenue chart, Chinese texts, an upload with a rejected row, a live progress bar, a new API key, sign-out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, ImportRun
from bizpilot.services import imports as imports_service
from bizpilot.web.i18n import t
from bizpilot.web.pages import NAV
from tests.browser.conftest import Site, Watch, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

BAD_PRODUCTS = b"""SKU,Product Name,Category,Unit Price,Currency
BT-1,Browser test kettle,Kitchen,19.90,EUR
BT-2,Browser test teapot,Kitchen,-5,EUR
BT-3,Browser test mug,Kitchen,4.50,EUR
"""

CHART_DRAWN = """() => {
  const canvas = document.querySelector('canvas.chart');
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return chart ? {w: canvas.width, h: canvas.height, points: chart.data.datasets[0].data.length} : null;
}"""


def account_count(site: Site) -> int:
    with site.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Account)) or 0)


def assert_chart_drawn(page: Page) -> None:
    drawn = page.evaluate(CHART_DRAWN)
    assert drawn and drawn["w"] > 0 and drawn["h"] > 0 and drawn["points"] > 0, drawn


def test_anonymous_visitors_are_sent_to_the_login_page(page: Page, site: Site, watch: Watch) -> None:
    response = page.goto(f"{site.url}/")
    assert page.url == f"{site.url}/login" and response.status == 200
    assert page.locator("h1").inner_text() == "Sign in" and page.locator("#password").is_visible()
    assert page.locator("nav .nav").count() == 0  # no navigation before signing in
    page.goto(f"{site.url}/settings")
    assert page.url == f"{site.url}/login?next=/settings"
    shot(page, "login")
    watch.assert_clean()


def test_every_page_renders_with_real_figures(page: Page, site: Site, watch: Watch) -> None:
    login(page, site)
    assert page.locator("h1").inner_text() == "Overview"
    total = account_count(site)
    assert page.locator('[data-count="accounts"] .stat-value').inner_text() == f"{total:,}"
    assert_chart_drawn(page)
    shot(page, "overview")

    for item in NAV:
        label = t(f"nav.{item.key}")
        page.click(f'nav .nav a[href="{item.path}"]')
        page.wait_for_url(f"{site.url}{item.path}")
        assert page.locator("nav .nav a.active").inner_text().startswith(label), item
        assert page.locator("h1").first.is_visible()
        shot(page, item.key)
        if item.key == "accounts":
            assert page.locator("#showing").inner_text().endswith(f"of {total}")
            first = page.locator("#accounts tbody tr a").first
            name = first.inner_text()
            first.click()
            page.wait_for_url(re.compile(r".*/accounts/\d+$"))
            assert page.locator("h1").inner_text().startswith(name)
            assert page.locator("#account-orders").inner_text().strip() != ""
            if page.locator("canvas.chart").count():
                assert_chart_drawn(page)
            shot(page, "account-detail")
        elif item.key == "imports":
            assert page.locator("#upload-form").is_visible() and page.locator("#runs, .empty").count() >= 1
        elif item.key == "settings":
            assert page.locator("#fact-dialect").inner_text().startswith("sqlite")
            assert page.locator("#fact-revision").inner_text() not in ("", "—")

    page.click('.langs a[hreflang="zh"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    nav_texts = page.locator("nav .nav a").all_inner_texts()
    for key in ("overview", "accounts", "imports", "settings"):
        assert any(text.startswith(t(f"nav.{key}", "zh")) for text in nav_texts), (key, nav_texts)
    assert page.locator("h1").inner_text() == t("settings.title", "zh")
    page.click('nav .nav a[href="/"]')
    page.wait_for_url(f"{site.url}/")  # the language cookie keeps the choice
    assert page.locator("h1").inner_text() == "概览" and page.locator("text=每月净收入").first.is_visible()
    assert_chart_drawn(page)
    shot(page, "overview-zh")
    page.click('.langs a[hreflang="en"]')
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Overview"
    watch.assert_clean()


def test_upload_with_a_bad_row_shows_the_reason(page: Page, site: Site, watch: Watch) -> None:
    login(page, site, next_path="/imports")
    page.select_option("#entity", "products")
    page.set_input_files("#file", files=[{"name": "kettles.csv", "mimeType": "text/csv", "buffer": BAD_PRODUCTS}])
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    page.wait_for_selector('h1 [data-status="finished"]')
    assert page.locator("#rejected-count").inner_text() == "1"
    assert page.locator('#run-tables [data-table="products"] td').all_inner_texts()[1:] == ["2", "0", "0"]
    reject = page.locator("#reject-rows tbody tr").first.locator("td").all_inner_texts()
    assert reject[0] == "3" and "price" in reject[1] and "greater than or equal to 0" in reject[2]
    with page.expect_download() as download:
        page.click("#download-rejects")
    assert b"BT-2" in Path(download.value.path()).read_bytes()
    shot(page, "import-run")
    page.click("text=All imports")
    assert "kettles.csv" in page.locator("#runs tbody tr").first.inner_text()
    watch.assert_clean()


def test_running_import_shows_a_live_progress_bar(page: Page, site: Site, watch: Watch) -> None:
    """app.js polls the JSON status route with the session cookie and reloads the page when the run ends."""
    with site.engine.begin() as conn:
        run_id = conn.execute(ImportRun.__table__.insert().values(
            entity="orders", source="nightly-orders.csv", status="running", strict=False, counts={},
            started_at=utcnow())).inserted_primary_key[0]
    login(page, site, next_path=f"/imports/{run_id}")
    assert page.locator("#import-progress").is_visible()
    assert page.locator("#import-phase").inner_text().startswith("Reading the file")
    # The progress an upload thread reports (services.imports keeps it in memory for the status route).
    with imports_service._live_lock:
        imports_service._live[run_id] = {"phase": "writing orders", "done": 40, "total": 100}
    try:
        page.wait_for_function("() => document.getElementById('import-progress').value === 40")
        assert page.locator("#import-phase").inner_text() == "Writing orders · 40 of 100 rows"
        shot(page, "import-running")
    finally:
        with imports_service._live_lock:
            imports_service._live.pop(run_id, None)
    with site.engine.begin() as conn:
        conn.execute(update(ImportRun).where(ImportRun.id == run_id).values(
            status="finished", finished_at=utcnow(), counts={"rows_read": 2, "rejected": 0, "tables": {
                "orders": {"inserted": 1, "updated": 0, "unchanged": 0},
                "order_lines": {"inserted": 2, "updated": 0, "unchanged": 0}}}))
    page.wait_for_selector('h1 [data-status="finished"]')
    assert page.locator("#import-progress").count() == 0
    assert page.locator('[data-total="inserted"]').inner_text() == "3"
    assert page.locator("#no-rejects").is_visible()
    watch.assert_clean()


def test_new_api_key_is_shown_once_then_sign_out(page: Page, site: Site, watch: Watch) -> None:
    login(page, site, next_path="/settings")
    page.fill("#key-name", "browser-report")
    page.select_option("#key-role", "read")
    page.click("#key-form button[type=submit]")
    key = page.locator("#key-value").input_value()
    assert re.fullmatch(r"bp_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", key)
    assert page.locator("text=shown only this once").is_visible()
    page.click("button[data-copy]")
    page.wait_for_selector('button[data-copy]:has-text("Copied")')  # the clipboard write is asynchronous
    assert page.evaluate("navigator.clipboard.readText()") == key
    shot(page, "api-key-created")
    assert page.request.get(f"{site.url}/api/v1/accounts?limit=1", headers={"X-API-Key": key}).status == 200

    page.click("text=Done")
    page.wait_for_url(re.compile(r".*/settings(#keys)?$"))
    row = page.locator('#key-list tr[data-key="browser-report"]')
    assert "browser-report" in row.inner_text() and key.split("_")[1] in row.inner_text()
    assert key not in page.content()
    shot(page, "settings-keys")

    page.click("form.logout button")
    page.wait_for_url(f"{site.url}/login?signed_out=1")
    assert page.locator("text=You are signed out.").is_visible()
    page.goto(f"{site.url}/imports")
    assert page.url.startswith(f"{site.url}/login")
    watch.assert_clean()
