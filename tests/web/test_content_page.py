"""The Content studio page: generate with CSRF, read backing facts, rate/approve/edit, recent generations."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.domain.ops import GeneratedContent
from tests.llm.scripted_env import scripted_llm
from tests.services.content.data import seed_small
from tests.web.conftest import csrf_token


def test_generate_rate_and_list(engine: Engine, browser_client: TestClient) -> None:
    seed_small(engine)
    page = browser_client.get("/content")
    assert page.status_code == 200 and "Content studio" in page.text and "Coming in a later release" not in page.text
    assert 'id="generate-form"' in page.text and "ADH-2001" in page.text  # product picker
    token = csrf_token(browser_client, "/content")
    form = {"kind": "product_description", "product": "ADH-2001", "language": "en", "tone": "friendly",
            "length": "medium"}
    assert browser_client.post("/content/generate", data=form).status_code == 403  # no CSRF token
    resp = browser_client.post("/content/generate", data={**form, "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]
    gen_id = int(re.search(r"id=(\d+)", resp.headers["location"]).group(1))
    body = browser_client.get(resp.headers["location"]).text
    assert "USD 30.45" in body and "product.price = USD 30.45" in body and 'id="sentences"' in body
    assert 'id="fallback"' in body  # no LLM asked for: the template text says so
    fb = browser_client.post(f"/content/{gen_id}/feedback",
                             data={"csrf_token": token, "rating": "5", "approve": "true", "feedback": "good",
                                   "edited_output": "Thread Locker 400 mL grey at USD 99.00."},
                             follow_redirects=False)
    assert fb.status_code == 303
    rated = browser_client.get(fb.headers["location"]).text
    assert 'id="edit-problems"' in rated and "approved" in rated
    with Session(engine) as s:
        row = s.get(GeneratedContent, gen_id)
        assert row.status == "approved" and row.rating == 5 and row.feedback == "good"
    assert f'href="/content?id={gen_id}"' in browser_client.get("/content").text


def test_errors_and_chinese(engine: Engine, browser_client: TestClient) -> None:
    seed_small(engine)
    token = csrf_token(browser_client, "/content")
    bad = browser_client.post("/content/generate", data={"csrf_token": token, "kind": "ad", "product": "NOPE-1"})
    assert bad.status_code == 422 and 'id="content-error"' in bad.text and "NOPE-1" in bad.text
    resp = browser_client.post("/content/generate", data={"csrf_token": token, "kind": "follow_up",
                                                          "account": "ACC-T1", "language": "zh"})
    assert resp.status_code == 200 and "感谢您在2024-06-01下的订单" in resp.text  # purpose auto: a thank-you
    assert 'id="purpose"' in resp.text and "thank_you" not in resp.text.split('id="purpose"')[1][:40]
    assert "order.last.date = 2024-06-01" in resp.text
    zh_page = browser_client.get("/content?lang=zh").text
    assert "内容工作室" in zh_page and "跟进邮件" in zh_page


def test_anonymous_is_sent_to_login(engine: Engine) -> None:
    resp = TestClient(create_app()).get("/content", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/content"


def test_model_draft_repaired_on_the_page(engine: Engine, browser_client: TestClient,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With the model asked for (scripted here), the page shows the repaired draft and what was put right."""
    seed_small(engine)
    token = csrf_token(browser_client, "/content")
    draft = ("Thread Locker 400 mL grey belongs to our Adhesives & Sealants range. It is grey and holds 400 mL. "
             "The price is USD 35.00 each.")
    form = {"csrf_token": token, "kind": "product_description", "product": "ADH-2001", "use_llm": "true"}
    with scripted_llm(monkeypatch, tmp_path / "page.json", {"rules": [{"tag": "content.*", "reply": draft}]}):
        resp = browser_client.post("/content/generate", data=form)
    assert resp.status_code == 200 and 'id="fallback"' not in resp.text
    output = re.search(r'<pre class="content-output[^"]*" id="output"[^>]*>(.*?)</pre>', resp.text, re.S).group(1)
    assert html.unescape(output) == draft.replace("USD 35.00", "USD 30.45")
    assert 'id="repaired"' in resp.text and "USD 35.00" in resp.text.split('id="repaired"')[1]
