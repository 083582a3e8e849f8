"""Recommendations page: account next-best with reasons and reorder-due, similar products, workspace reorder list,
retrain button (CSRF, background training), a "training…" notice while the models train, non-merchandise never
offered, Chinese texts, sign-in required."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.domain import Account, Product
from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models import jobs
from tests.services.recommend_data import FEE, seed_recommend_workspace
from tests.web.conftest import csrf_token

PENDING = re.compile(r'<p class="notice pending" data-model="(\w+)" data-state="(\w+)">')


def test_page_shows_next_best_reorder_and_similar(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    with engine.connect() as conn:
        acct = conn.scalar(select(Account.id).where(Account.external_id == "B04"))
        prod = conn.scalar(select(Product.id).where(Product.sku == "DRL-NEW"))
    home = browser_client.get("/recommendations")
    assert home.status_code == 200 and 'id="reorder-all"' in home.text and "Builder" in home.text
    assert PENDING.findall(home.text) == [] and FEE not in home.text  # the fee is not a product to pick
    page = browser_client.get("/recommendations", params={"account": acct, "product": prod})
    assert page.status_code == 200
    text = page.text
    assert 'id="next-best"' in text and "Next best for Builder 4" in text and "DRL-" in text
    reasons = re.findall(r'<td class="reason">([^<]+)</td>', text)
    assert reasons and all(reasons)
    assert 'id="reorder-account"' in text and "every ~" in text
    assert 'id="similar"' in text and "Similar to Cordless power drill 18 V brushless" in text
    assert FEE not in text
    zh = browser_client.get("/recommendations", params={"account": acct, "lang": "zh"})
    assert "的推荐" in zh.text
    missing = browser_client.get("/recommendations", params={"account": "NOPE"})
    assert missing.status_code == 404 and "not found" in missing.text


def test_untrained_models_show_a_notice_then_the_results(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine, train=False)
    first = browser_client.get("/recommendations", params={"account": "B04"})
    assert first.status_code == 200 and 'id="next-best"' not in first.text
    assert [m for m, _ in PENDING.findall(first.text)] == ["recommend"]
    assert '<meta http-equiv="refresh" content="10">' in first.text
    jobs.wait(timeout=600)
    page = browser_client.get("/recommendations", params={"account": "B04"})
    assert PENDING.findall(page.text) == [] and "Next best for Builder 4" in page.text
    assert '<meta http-equiv="refresh"' not in page.text


def test_retrain_button(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    token = csrf_token(browser_client, "/recommendations")
    assert browser_client.post("/recommendations/train", data={}, follow_redirects=False).status_code == 403
    resp = browser_client.post("/recommendations/train", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and "trained=1" in resp.headers["location"]
    assert "Retraining started" in browser_client.get(resp.headers["location"]).text
    jobs.wait(timeout=600)
    with Session(engine) as session:
        runs = [(r.task, r.trigger, r.status) for r in session.scalars(select(ModelRun).order_by(ModelRun.id))]
    assert runs[2:] == [("recommend", "page", "finished"), ("reorder", "page", "finished")]


def test_anonymous_is_sent_to_login(engine: Engine) -> None:
    resp = TestClient(create_app()).get("/recommendations", follow_redirects=False)
    assert resp.status_code in (303, 307) and "/login" in resp.headers["location"]
