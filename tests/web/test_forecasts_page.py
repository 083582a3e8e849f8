"""The Forecasts page (chart with intervals, segments with definitions, at-risk accounts with factors) and the
intelligence block of the Accounts detail page, on the demo workspace."""

from __future__ import annotations

import html
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Opportunity
from bizpilot.ingest.demo import build_demo


def test_forecasts_and_account_intelligence(engine: Engine, browser_client: TestClient) -> None:
    build_demo(engine=engine)
    page = browser_client.get("/forecasts")
    assert page.status_code == 200 and "Demand forecasts" in page.text and "Coming in a later release" not in page.text
    spec = json.loads(html.unescape(re.search(r"data-chart='([^']+)'", page.text).group(1)))
    assert spec["type"] == "line" and any(s.get("band") for s in spec["series"])
    assert 'id="segments"' in page.text and "Champions" in page.text and 'id="at-risk"' in page.text

    zh = browser_client.get("/forecasts?lang=zh")
    assert "需求预测" in zh.text

    with Session(engine) as session:
        account_id = session.scalar(select(Opportunity.account_id).where(Opportunity.outcome == "open"))
        no_orders = Account(external_id="EMPTY-1", name="No Orders Ltd")
        session.add(no_orders)
        session.commit()
        empty_id = no_orders.id
    detail = browser_client.get(f"/accounts/{account_id}?lang=en")  # the zh choice above is remembered
    assert detail.status_code == 200
    for marker in ('id="account-narrative"', 'id="account-segment"', 'id="account-repurchase"',
                   'id="repurchase-factors"', 'id="opportunity-scores"'):
        assert marker in detail.text, marker
    assert "Raises it" in detail.text or "Lowers it" in detail.text
    empty = browser_client.get(f"/accounts/{empty_id}")
    assert empty.status_code == 200 and "No Orders Ltd" in empty.text
