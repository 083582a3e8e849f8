"""Recommendations page: account next-best with reasons and reorder-due, similar products, workspace reorder list,
retrain button (CSRF), Chinese texts, sign-in required."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bizpilot.app import create_app
from bizpilot.domain import Account, Product
from tests.services.recommend_data import seed_recommend_workspace
from tests.web.conftest import csrf_token


def test_page_shows_next_best_reorder_and_similar(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine)
    with engine.connect() as conn:
        acct = conn.scalar(select(Account.id).where(Account.external_id == "B04"))
        prod = conn.scalar(select(Product.id).where(Product.sku == "DRL-NEW"))
    home = browser_client.get("/recommendations")
    assert home.status_code == 200 and 'id="reorder-all"' in home.text and "Builder" in home.text
    page = browser_client.get("/recommendations", params={"account": acct, "product": prod})
    assert page.status_code == 200
    text = page.text
    assert 'id="next-best"' in text and "Next best for Builder 4" in text and "DRL-" in text
    assert "accounts like yours in construction" in text or "Often bought with" in text
    assert 'id="reorder-account"' in text and "every ~" in text
    assert 'id="similar"' in text and "Similar to Cordless power drill 18 V brushless" in text
    zh = browser_client.get("/recommendations", params={"account": acct, "lang": "zh"})
    assert "的推荐" in zh.text
    missing = browser_client.get("/recommendations", params={"account": "NOPE"})
    assert missing.status_code == 404 and "not found" in missing.text


def test_retrain_button(engine: Engine, browser_client: TestClient) -> None:
    seed_recommend_workspace(engine, train=False)
    token = csrf_token(browser_client, "/recommendations")
    resp = browser_client.post("/recommendations/train", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and "trained=1" in resp.headers["location"]
    assert "Model retrained" in browser_client.get(resp.headers["location"]).text


def test_anonymous_is_sent_to_login(engine: Engine) -> None:
    resp = TestClient(create_app()).get("/recommendations", follow_redirects=False)
    assert resp.status_code in (303, 307) and "/login" in resp.headers["location"]
