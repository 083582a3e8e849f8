"""The Insights page in real headless Chromium on the demo workspace (topics trained by `train all`), in English and
Chinese: key numbers, the topic table with quotes linking to the account, the sentiment trend drawn as inline SVG,
a period chosen through the form; no console errors (the page has no inline scripts), nothing from other hosts.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Site, Watch, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

HEADINGS = {"en": ("Topics", "Sentiment by month"), "zh": ("话题", "每月情感")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_insights_page_in_both_languages(page: Page, site: Site, watch: Watch, lang: str) -> None:
    login(page, site, next_path="/insights")
    page.goto(f"{site.url}/insights?lang={lang}")
    assert page.locator(".notice.pending").count() == 0  # the demo's topics model is trained
    assert page.locator("#insights-key .stat").count() == 4
    rows = page.locator("table#insights-topics tbody tr")
    assert rows.count() >= 2
    link = page.locator("table#insights-topics a[href^='/accounts/']").first
    assert link.count() == 1
    assert page.locator("#insights-trend svg rect").count() >= 1
    assert page.locator("#insights-trend svg").bounding_box()["height"] > 50
    headings = page.locator("main h2").all_inner_texts()
    assert HEADINGS[lang][0] in headings and HEADINGS[lang][1] in headings
    assert page.locator("#insights-summary li").count() >= 2
    shot(page, f"insights-{lang}")

    start = page.input_value("input[name=from]")
    page.fill("input[name=to]", start)  # a one-day period through the form
    page.click("#insights-period button[type=submit]")
    page.wait_for_url(f"**to={start}**")
    assert page.input_value("input[name=to]") == start
    link.page.goto(f"{site.url}/insights?lang={lang}")
    page.locator("table#insights-topics a[href^='/accounts/']").first.click()
    page.wait_for_url("**/accounts/**")
    watch.assert_clean()


SECTIONS = {"en": ("Sudden spikes", "Products and categories", "no cost data"),
            "zh": ("突增", "产品与品类", "无成本数据")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_spikes_and_product_performance_in_both_languages(page: Page, site: Site, watch: Watch, lang: str) -> None:
    """October 2024 of the demo holds a week whose topic count is far above its trailing rate (stored by the
    topics model at training time); the products section has the demo's categories, movers and returns."""
    login(page, site, next_path="/insights")
    page.goto(f"{site.url}/insights?from=2024-10-01&to=2024-10-31&lang={lang}")
    spikes, perf = page.locator("#insights-spikes"), page.locator("#insights-performance")
    assert spikes.locator("h2").inner_text() == SECTIONS[lang][0]
    assert perf.locator("h2").inner_text() == SECTIONS[lang][1]
    rows = spikes.locator("table#insights-spike-table tbody tr")
    assert rows.count() >= 1
    assert rows.first.locator("svg rect").count() >= 8  # the weekly counts around the spike
    assert rows.first.locator("a[href^='/api/v1/interactions/']").count() >= 1
    assert perf.locator("#insights-perf-key .stat").count() == 4
    assert perf.locator("table#insights-categories tbody tr").count() >= 5
    assert perf.locator("table#insights-product-up tbody tr").count() >= 1
    assert perf.locator("table#insights-product-down tbody tr").count() >= 1
    assert SECTIONS[lang][2] in perf.inner_text()  # the demo's products carry no cost
    assert perf.locator("#insights-returns h3").count() == 1 and perf.locator("#insights-aspects h3").count() == 1
    shot(page, f"insights-spikes-products-{lang}")
    href = rows.first.locator("a[href^='/api/v1/interactions/']").first.get_attribute("href")
    response = page.request.get(f"{site.url}{href}")
    assert response.ok and response.json()["id"] == int(href.rsplit("/", 1)[1])
    watch.assert_clean()
