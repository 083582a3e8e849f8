"""`?format=csv|xlsx` on the list routes: the download holds the rows the JSON has, with the filters applied,
column titles in the asked language, formula characters escaped, numbers as numbers and dates as dates; the
parameter is validated and documented in OpenAPI."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import Engine

from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.intelligence.specs import CHURN, SEGMENTS
from bizpilot.services.models.jobs import run_training
from tests.services.recommend_data import seed_recommend_workspace

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def trained(engine: Engine) -> Engine:
    """The recommendation workspace with the reorder, segment and repurchase models trained, and one account whose
    fields a spreadsheet would run as formulas."""
    seed_recommend_workspace(engine)
    report = import_frame("accounts", pd.DataFrame([{"external_id": "-42", "name": EVIL, "industry": "offices",
                                                     "country": "+86", "region": "@east"}]),
                          source="evil.csv", strict=True, engine=engine)
    assert not report.rejected
    for spec in (SEGMENTS, CHURN):
        assert run_training(spec, engine=engine, trigger="test").status == "finished"
    return engine


def _csv(resp: Response) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))


def _xlsx(resp: Response) -> list[dict[str, Any]]:
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["content-type"] == XLSX
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _disposition(resp: Response, name: str, fmt: str) -> None:
    assert resp.headers["content-disposition"] == f'attachment; filename="{name}-{date.today().isoformat()}.{fmt}"'


def test_at_risk_downloads_match_the_json(trained: Engine, api_client: TestClient) -> None:
    rows = api_client.get("/api/v1/intelligence/at-risk", params={"limit": 5}).json()
    assert len(rows) == 5
    resp = api_client.get("/api/v1/intelligence/at-risk", params={"limit": 5, "format": "xlsx", "lang": "zh"})
    _disposition(resp, "at-risk-accounts", "xlsx")
    sheet = _xlsx(resp)
    assert list(sheet[0]) == ["客户编号（内部）", "名称", "客户分群", "90 天内下单概率", "消费金额", "风险价值",
                              "降低因素", "提高因素"]
    assert [r["名称"] for r in sheet] == [r["name"] for r in rows]
    assert [r["90 天内下单概率"] for r in sheet] == [r["probability"] for r in rows]  # numbers stay numbers
    factors = ["; ".join(f"{f['label']} ({f['value']})" if f.get("value") is not None else f["label"]
                         for f in r["negative"]) for r in rows]
    assert [r["降低因素"] or "" for r in sheet] == factors
    english = _csv(api_client.get("/api/v1/intelligence/at-risk", params={"limit": 5, "format": "csv"}))
    assert list(english[0])[:3] == ["Account ID", "Name", "Segment"]
    assert [float(r["Value at risk"]) for r in english] == [r["risk_value"] for r in rows]
    api_client.cookies.set("bizpilot_lang", "zh")
    cookie = api_client.get("/api/v1/intelligence/at-risk", params={"limit": 1, "format": "csv"})
    assert list(_csv(cookie)[0])[1] == "名称"  # the dashboard's language when the request names none


def test_reorder_and_recommendation_downloads_apply_the_filters(trained: Engine, api_client: TestClient) -> None:
    one = api_client.get("/api/v1/recommend/reorder", params={"account": "O02"}).json()["items"]
    everyone = api_client.get("/api/v1/recommend/reorder", params={"limit": 500}).json()["items"]
    assert len(one) == 4 and len(everyone) > len(one)
    resp = api_client.get("/api/v1/recommend/reorder", params={"account": "O02", "format": "xlsx"})
    _disposition(resp, "reorder-due", "xlsx")
    sheet = _xlsx(resp)
    assert [r["SKU"] for r in sheet] == [r["sku"] for r in one]
    assert {r["Account"] for r in sheet} == {"Office 2"}
    assert all(r["Due date"].date().isoformat() == o["due_date"] for r, o in zip(sheet, one, strict=True))
    assert all(r["Last purchase"].date().isoformat() == o["last_purchase"] for r, o in zip(sheet, one, strict=True))
    recs = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3}).json()
    resp = api_client.get("/api/v1/recommend/accounts/B03", params={"n": 3, "format": "csv"})
    _disposition(resp, f"recommendations-{recs['account']['id']}", "csv")
    table = _csv(resp)
    assert [r["SKU"] for r in table] == [i["sku"] for i in recs["items"]]
    assert [r["Reason"] for r in table] == [i["reason"] for i in recs["items"]]


def test_segment_members_route_and_download(trained: Engine, api_client: TestClient) -> None:
    segments = api_client.get("/api/v1/intelligence/segments").json()
    biggest = max(segments, key=lambda s: s["accounts"])
    assert biggest["accounts"] >= 3
    page = api_client.get(f"/api/v1/intelligence/segments/{biggest['key']}/accounts", params={"limit": 2}).json()
    assert page["total"] == biggest["accounts"] and len(page["items"]) == 2
    assert page["segment"]["key"] == biggest["key"] and page["segment"]["definition"]
    assert page["items"][0]["monetary"] >= page["items"][1]["monetary"]  # most valuable first
    everyone = api_client.get(f"/api/v1/intelligence/segments/{biggest['key']}/accounts",
                              params={"limit": 500}).json()["items"]
    table = _csv(api_client.get(f"/api/v1/intelligence/segments/{biggest['key']}/accounts",
                                params={"limit": 2, "format": "csv"}))
    assert [int(r["Account ID"]) for r in table] == [i["account_id"] for i in everyone]  # the whole segment
    zh = api_client.get(f"/api/v1/intelligence/segments/{biggest['key']}/accounts", params={"lang": "zh"}).json()
    assert zh["segment"]["name"] != page["segment"]["name"]
    missing = api_client.get("/api/v1/intelligence/segments/nope/accounts")
    assert missing.status_code == 404 and "champions" in missing.json()["error"]["message"]


def test_entity_lists_download_with_filters_and_escaping(trained: Engine, api_client: TestClient) -> None:
    listed = api_client.get("/api/v1/accounts", params={"industry": "offices", "sort": "name"}).json()
    assert listed["total"] == 11
    table = _csv(api_client.get("/api/v1/accounts", params={"industry": "offices", "sort": "name",
                                                            "format": "csv"}))
    assert [r["Name"].lstrip("'") for r in table] == [a["name"] for a in listed["items"]]
    assert {r["Industry"] for r in table} == {"offices"}
    evil = next(r for r in table if r["Customer ID"] == "'-42")
    assert (evil["Name"], evil["Country"], evil["Region"]) == ("'" + EVIL, "'+86", "'@east")
    assert "Owner" in table[0] and "Version" in table[0]
    sheet = _xlsx(api_client.get("/api/v1/accounts", params={"industry": "offices", "format": "xlsx",
                                                              "q": "office 1"}))
    assert [r["Name"] for r in sheet] == ["Office 1"]
    assert isinstance(sheet[0]["ID"], int) and sheet[0]["Created"].year >= 2024  # numbers and dates typed
    paged = _csv(api_client.get("/api/v1/accounts", params={"industry": "offices", "sort": "name", "limit": 3,
                                                            "offset": 1, "format": "csv"}))
    assert [r["Name"] for r in paged] == [a["name"] for a in listed["items"][1:4]]  # explicit paging is kept


def test_the_format_parameter_is_validated_and_documented(trained: Engine, api_client: TestClient) -> None:
    bad = api_client.get("/api/v1/intelligence/at-risk", params={"format": "pdf"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    assert api_client.get("/api/v1/accounts", params={"format": "pdf"}).status_code == 422
    doc = api_client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/intelligence/at-risk",
                 "/api/v1/intelligence/segments/{key}/accounts", "/api/v1/recommend/reorder",
                 "/api/v1/recommend/accounts/{account}"):
        op = doc["paths"][path]["get"]
        [fmt] = [p for p in op["parameters"] if p["name"] == "format"]
        assert fmt["in"] == "query" and "csv" in fmt["description"], path
        assert {"text/csv", XLSX} <= set(op["responses"]["200"]["content"]), path


def test_pipeline_download_has_one_row_per_deal_with_the_owner_filter(engine: Engine, api_client: TestClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.services.pipeline_data import pin_today, seed_pipeline

    pin_today(monkeypatch)
    seeded = seed_pipeline(engine)
    board = api_client.get("/api/v1/pipeline", params={"lang": "zh"}).json()
    deals = [(c["name"], col["name"]) for col in board["columns"] for c in col["cards"]]
    resp = api_client.get("/api/v1/pipeline", params={"lang": "zh", "format": "xlsx"})
    _disposition(resp, "pipeline", "xlsx")
    sheet = _xlsx(resp)
    assert [(r["商机"], r["阶段"]) for r in sheet] == deals and len(deals) == 4
    cups = next(r for r in sheet if r["商机"] == "Cups")
    assert (cups["负责人"], cups["赢单概率"], cups["金额"]) == ("bob", 0.75, next(
        c["amount"] for col in board["columns"] for c in col["cards"] if c["name"] == "Cups"))
    bobs = _csv(api_client.get("/api/v1/pipeline", params={"owner": str(seeded.users["bob"]), "format": "csv"}))
    assert {r["Owner"] for r in bobs} == {"bob"} and 0 < len(bobs) < len(deals)
