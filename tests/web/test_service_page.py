"""The Service console page: ask with CSRF, the answer with its sources panel, the hand-off queue (claim/close,
suggested reply) and the Chinese interface."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.retrieval.kb_sample import embed_cache, kb_engine  # noqa: F401  (fixtures)
from tests.web.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("kb_engine")  # every test here reads the sample knowledge base


def test_ask_shows_answer_and_sources_panel(browser_client: TestClient) -> None:
    page = browser_client.get("/service")
    assert page.status_code == 200 and "Service console" in page.text and 'id="ask-form"' in page.text
    assert "Coming in a later release" not in page.text and "10 chunks" in page.text
    token = csrf_token(browser_client, "/service")
    form = {"question": "Do you accept credit cards?", "account": "ACC-T1"}
    assert browser_client.post("/service/ask", data=form).status_code == 403  # no CSRF token
    resp = browser_client.post("/service/ask", data={**form, "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and re.search(r"/service\?c=\d+", resp.headers["location"])
    body = browser_client.get(resp.headers["location"]).text
    assert 'id="sources"' in body and "faq.csv § Do you accept credit cards?" in body and "Mastercard" in body
    assert 'id="messages"' in body and "invoice_payment" in body


def test_hand_off_queue_claim_close_and_suggest(browser_client: TestClient) -> None:
    token = csrf_token(browser_client, "/service")
    resp = browser_client.post("/service/ask", data={"question": "I want to speak to a manager about a refund",
                                                     "csrf_token": token}, follow_redirects=False)
    body = browser_client.get(resp.headers["location"]).text
    assert 'id="handoff-notice"' in body and 'id="no-sources"' in body
    queue = browser_client.get("/service").text
    ticket = int(re.search(r'data-ticket="(\d+)"', queue).group(1))
    suggested = browser_client.get(f"/service?suggest={ticket}").text
    assert 'id="suggested-text"' in suggested and "Hello," in suggested
    claim = browser_client.post(f"/service/handoffs/{ticket}", data={"status": "claimed", "csrf_token": token},
                                follow_redirects=False)
    assert claim.status_code == 303
    assert "claimed" in browser_client.get("/service?status=claimed").text
    bad = browser_client.post(f"/service/handoffs/{ticket}", data={"status": "nope", "csrf_token": token})
    assert bad.status_code == 422 and 'id="service-error"' in bad.text
    empty = browser_client.post("/service/ask", data={"question": " ", "csrf_token": token})
    assert empty.status_code == 422


def test_chinese_interface(browser_client: TestClient) -> None:
    page = browser_client.get("/service?lang=zh")
    assert "客服控制台" in page.text and "转人工队列" in page.text
