"""Overview page: dissatisfaction alerts link to the account, in English and Chinese; unanalysed count shown."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.services.signals.analysis import analyse_interactions
from tests.services import sample_data as sd


def test_overview_shows_alerts(engine: Engine, browser_client: TestClient) -> None:
    ids = sd.load_sample(engine)
    sd.add_complaint(engine, account_id=ids["BOREALIS"], external_id="ix-angry",
                     text="Worst supplier ever. The pump leaks, I want a refund now.")
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
