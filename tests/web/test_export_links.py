"""The dashboard's "Download: CSV | Excel" links: the accounts list (with the page's filters), the account page's
reorder list and the Forecasts page's at-risk list; a signed-in browser gets the file with the page's rows and
column titles in the page's language."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account
from bizpilot.services.intelligence.specs import CHURN, SEGMENTS
from bizpilot.services.models.jobs import run_training
from tests.services.recommend_data import seed_recommend_workspace


def _links(page: str, block_id: str) -> dict[str, str]:
    block = re.search(rf'<p class="downloads muted small" id="{block_id}">(.*?)</p>', page, re.S)
    assert block, f"no download links #{block_id}"
    return {fmt: html.unescape(href) for href, fmt in
            re.findall(r'href="([^"]+)" data-format="(csv|xlsx)"', block.group(1))}


def _csv_rows(client: TestClient, url: str) -> list[dict[str, str]]:
    resp = client.get(url)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv"), resp.text[:300]
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))


def test_download_links_carry_the_page_filters(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    for spec in (SEGMENTS, CHURN):
        assert run_training(spec, engine=engine, trigger="test").status == "finished"

    page = browser_client.get("/accounts", params={"industry": "offices", "q": "office", "sort": "-name"}).text
    links = _links(page, "accounts-download")
    assert links["csv"] == "/api/v1/accounts?industry=offices&q=office&sort=-name&format=csv&lang=en"
    rows = _csv_rows(browser_client, links["csv"])
    assert [r["Name"] for r in rows] == [f"Office {n}" for n in range(9, -1, -1)]
    xlsx = browser_client.get(links["xlsx"])
    assert xlsx.status_code == 200 and 'filename="accounts-' in xlsx.headers["content-disposition"]
    assert len(list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows())) == 11
    unfiltered = _links(browser_client.get("/accounts").text, "accounts-download")
    assert unfiltered["csv"] == "/api/v1/accounts?format=csv&lang=en"
    archived = _links(browser_client.get("/accounts", params={"archived": "include"}).text, "accounts-download")
    assert archived["csv"] == "/api/v1/accounts?archived=include&format=csv&lang=en"

    zh = browser_client.get("/forecasts?lang=zh").text
    at_risk = _links(zh, "at-risk-download")
    assert at_risk["xlsx"] == "/api/v1/intelligence/at-risk?limit=10&format=xlsx&lang=zh"
    sheet = list(load_workbook(io.BytesIO(browser_client.get(at_risk["xlsx"]).content)).active.iter_rows(
        values_only=True))
    assert sheet[0][1] == "名称" and len(sheet) == 11
    shown = re.findall(r'<tr><td><a href="/accounts/(\d+)">', zh.split('id="at-risk"')[1])
    assert [str(r[0]) for r in sheet[1:]] == shown  # the rows the page lists, in its order

    with Session(engine) as session:
        account = session.scalar(select(Account).where(Account.external_id == "O02"))
    detail = browser_client.get(f"/accounts/{account.id}?lang=en").text
    reorder = _links(detail, "reorders-download")
    assert reorder["csv"] == "/api/v1/recommend/reorder?account=O02&format=csv&lang=en"
    lines = _csv_rows(browser_client, reorder["csv"])
    assert {r["Account"] for r in lines} == {"Office 2"} and len(lines) == 4


def test_pipeline_download_links_keep_the_owner(engine: Engine, browser_client: TestClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.services.pipeline_data import pin_today, seed_pipeline

    pin_today(monkeypatch)
    bob = seed_pipeline(engine).users["bob"]
    everyone = _links(browser_client.get("/pipeline").text, "pipeline-download")
    assert everyone["xlsx"] == "/api/v1/pipeline?format=xlsx&lang=en"
    links = _links(browser_client.get("/pipeline", params={"owner": bob}).text, "pipeline-download")
    assert links["csv"] == f"/api/v1/pipeline?owner={bob}&format=csv&lang=en"
    rows = _csv_rows(browser_client, links["csv"])
    assert rows and {r["Owner"] for r in rows} == {"bob"}
    assert len(_csv_rows(browser_client, everyone["xlsx"].replace("xlsx", "csv"))) > len(rows)
