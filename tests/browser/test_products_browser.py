"""The Products page in real headless Chromium on the demo workspace, in English and Chinese: the catalogue filters,
then a best-selling product's page with its sales and forecast charts drawn by the bundled Chart.js, buyers by
industry and segment, similar products, what customers say by aspect; no console errors, nothing from other hosts.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from bizpilot.db import session_scope
from bizpilot.domain import Product
from bizpilot.domain.model_run import ModelOutput
from tests.browser.conftest import Site, Watch, login, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHARTS_DRAWN = "() => [...document.querySelectorAll('canvas.chart')].map(c => !!window.Chart.getChart(c))"


def best_seller(site: Site) -> tuple[int, str]:
    """The product the forecast model ranks first (the most sold), with its SKU."""
    with session_scope(site.engine) as session:
        pid = session.scalar(select(ModelOutput.subject_id).where(ModelOutput.model == "forecast",
                                                                  ModelOutput.subject == "product")
                             .order_by(ModelOutput.score.desc()).limit(1))
        return int(pid), str(session.scalar(select(Product.sku).where(Product.id == pid)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_products_page_in_both_languages(page: Page, site: Site, watch: Watch, lang: str) -> None:
    product_id, sku = best_seller(site)
    login(page, site, next_path="/products")
    page.goto(f"{site.url}/products?lang={lang}")
    page.fill("#min-price", "1")
    page.check("#in-stock")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**in_stock=1**")
    rows = page.locator("table#products tbody tr")
    assert rows.count() >= 1
    assert page.locator("#in-stock").is_checked() and page.input_value("#min-price") == "1"

    page.goto(f"{site.url}/products/{product_id}")
    assert page.locator("h1 code").inner_text() == sku
    assert page.locator(".notice.pending").count() == 0  # the demo's models are trained
    page.wait_for_function("() => document.querySelectorAll('canvas.chart').length === 2 && "
                           "[...document.querySelectorAll('canvas.chart')].every(c => window.Chart.getChart(c))")
    assert page.evaluate(CHARTS_DRAWN) == [True, True]  # monthly sales and the forecast with its interval
    assert page.locator("#product-forecast canvas").bounding_box()["height"] > 50
    assert page.locator("#top-buyers tbody tr").count() >= 1
    assert page.locator("#industry-shares tbody tr").count() >= 1
    assert page.locator("#segment-shares tbody tr").count() >= 1
    assert page.locator("#similar tbody tr").count() >= 1
    assert page.locator("#aspects tbody tr").count() >= 1  # demo reviews and tickets are filed with their SKU
    assert page.locator("#aspects svg.mix rect").count() >= 1
    heading = page.locator("#product-voice h2").inner_text()
    assert heading == ("客户评价" if lang == "zh" else "What customers say")
    assert page.locator("#generate-copy").count() == 1
    shot(page, f"product-{lang}")
    watch.assert_clean()
