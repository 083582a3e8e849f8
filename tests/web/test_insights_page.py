"""The Insights page on a real workspace: key numbers for the chosen period, the topic table with quotes linking to
the account, movers, the sentiment trend as inline SVG, competitor share of voice, in English and Chinese; while
the topics model is missing the page says so instead of training on the request."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.services.insights.competitors import set_competitor
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.models.training import train_model
from tests.services.insights.test_insights import _add, _seed_topics

PERIOD = "/insights?from=2024-02-01&to=2024-02-29"


def test_the_insights_page_shows_topics_trend_and_competitors(engine: Engine, browser_client: TestClient) -> None:
    seeded = _seed_topics(engine)
    with Session(engine) as session:
        _add(session, "c1", "Globex offered a cheaper parcel delivery", datetime(2024, 2, 20), "negative")
        train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 3, 1),
                    params={"n_topics": 3, "tfidf_weight": 0.7})
        session.commit()
    set_competitor("Globex", ["格洛贝克斯"])
    page = browser_client.get(PERIOD)
    assert page.status_code == 200 and "Coming in a later release" not in page.text
    key = page.text.split('id="insights-key"')[1].split('id="insights-summary"')[0]
    assert re.search(r'stat-value">17<', key) and "previous 12" in key
    table = page.text.split('id="insights-topics"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr><td><strong>", table)) == 3
    assert f'href="/accounts/{seeded["account"]}"' in table and "parcel" in table
    assert 'id="insights-movers"' in page.text
    assert "<svg" in page.text.split('id="insights-trend"')[1]
    competitors = page.text.split('id="insights-competitors"')[1]
    assert "Globex" in competitors and "100.0%" in competitors
    assert "17 customer interactions (12 in the previous period)." in page.text
    content = page.text.split("<main")[1].split("</main>")[0]
    assert "<script" not in content and "style=" not in content  # the CSP allows neither

    zh = browser_client.get(PERIOD + "&lang=zh")
    assert "竞品声量份额" in zh.text and "17 条客户互动" in zh.text and "每月情感" in zh.text


def test_without_the_topics_model_the_page_shows_its_state(engine: Engine, browser_client: TestClient) -> None:
    _seed_topics(engine)
    with Session(engine) as session:  # a message the signals job has not analysed yet: the trend says so
        _add(session, "u1", "Where is my parcel?", datetime(2024, 2, 21))
        session.commit()
    page = browser_client.get(PERIOD)
    assert page.status_code == 200
    assert 'data-model="topics"' in page.text and 'id="insights-topics"' not in page.text
    assert re.search(r'stat-value">17<', page.text)  # the numbers that need no model are there at once
    note = page.text.split('id="insights-unanalysed"')[1].split("</p>")[0]
    assert "1 of the period&#39;s 17 messages have no sentiment yet" in note and "signals analyse" in note


def test_the_page_shows_spikes_and_product_performance(engine: Engine, browser_client: TestClient) -> None:
    from tests.services.insights.test_spikes import _seed_burst

    _seed_burst(engine)
    with Session(engine) as session:
        from bizpilot.domain import Order, OrderLine, Product

        pump = Product(sku="PMP-1", name="Gear Pump", category="Pumps", price=100.0, attributes={})
        session.add(pump)
        session.flush()
        for ext, when, qty in (("S1", datetime(2024, 3, 1), 2), ("S2", datetime(2024, 3, 20), 5)):
            order = Order(external_id=ext, ordered_at=when, kind="sale", status="fulfilled")
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, line_no=1, product_id=pump.id, quantity=qty, unit_price=100.0,
                                  discount=0.0))
        train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 4, 1),
                    params={"n_topics": 3, "tfidf_weight": 1.0, "llm_labels": False})
        session.commit()
    page = browser_client.get("/insights?from=2024-03-18&to=2024-03-31")
    assert page.status_code == 200
    spikes = page.text.split('id="insights-spikes"')[1].split("</section>")[0]
    assert 'data-kind="topic"' in spikes and "2024-03-25" in spikes and "<svg" in spikes
    assert re.search(r'href="/api/v1/interactions/\d+"', spikes)
    perf = page.text.split('id="insights-performance"')[1].split("</section>")[0]
    assert "500.00" in perf and "Pumps" in perf and "no cost data" in perf and "Gear Pump" in perf
    assert 'id="insights-product-up"' in perf and "No returns in this period." in perf
    content = page.text.split("<main")[1].split("</main>")[0]
    assert "<script" not in content and "style=" not in content
    zh = browser_client.get("/insights?from=2024-03-18&to=2024-03-31&lang=zh")
    assert "突增" in zh.text and "产品与品类" in zh.text and "无成本数据" in zh.text and "本期没有退货。" in zh.text
