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
