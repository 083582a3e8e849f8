"""Overview page: dissatisfaction alerts link to the account, in English and Chinese; unanalysed count shown."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.services.signals import analyse_interactions
from tests.services import sample_data as sd


def test_overview_shows_alerts(engine: Engine, browser_client: TestClient) -> None:
    ids = sd.load_sample(engine)
    with Session(engine) as session:
        session.add(Interaction(external_id="ix-angry", channel="email", direction="inbound",
                                text="Worst supplier ever. The pump leaks, I want a refund now.",
                                occurred_at=datetime(2024, 3, 9, 9), account_id=ids["BOREALIS"]))
        session.commit()
    page = browser_client.get("/").text
    assert 'id="dissatisfaction-alerts"' in page and 'id="unanalysed"' in page  # nothing analysed yet
    with Session(engine) as session:
        assert analyse_interactions(session=session).analysed == 4
        session.commit()  # services flush; the caller commits
    page = browser_client.get("/").text
    table = page.split('id="alerts"')[1].split("</table>")[0]
    assert f'href="/accounts/{ids["BOREALIS"]}"' in table and "Borealis Foods GmbH" in table
    assert 'id="unanalysed"' not in page
    zh = browser_client.get("/?lang=zh").text
    assert "不满预警" in zh
