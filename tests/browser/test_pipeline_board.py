"""The Pipeline board in real Chromium: dragging a card onto another stage's column moves the deal (the page's
plain JavaScript submits the card's own move form), and won asks for a reason. A small seeded workspace instead of
the demo, so this stays quick."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.domain import Opportunity
from bizpilot.domain.user import User
from bizpilot.services.auth import create_login_token
from tests.browser.conftest import Site, Watch, shot
from tests.live_server import live_server
from tests.services.pipeline_data import seed_pipeline

if TYPE_CHECKING:
    from playwright.sync_api import Page

_ENV = ("BIZPILOT_HOME", "BIZPILOT_DATABASE_URL", "BIZPILOT_AUTH_OPEN_READS", "BIZPILOT_TRAIN_ON_DEMAND")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The pipeline of ``pipeline_data.py`` served by a live uvicorn (overrides the demo site of conftest)."""
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ["BIZPILOT_HOME"] = str(tmp_path_factory.mktemp("pipeline") / "ws")
    os.environ.pop("BIZPILOT_DATABASE_URL", None)
    os.environ.pop("BIZPILOT_AUTH_OPEN_READS", None)
    os.environ["BIZPILOT_TRAIN_ON_DEMAND"] = "0"
    reset_settings()
    reset_engine()
    forget_database_checks()
    try:
        engine = get_engine()
        upgrade(engine)
        seed_pipeline(engine)
        with live_server() as url:
            yield Site(url=url, engine=engine)
    finally:
        reset_engine()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        forget_database_checks()


def deal(site: Site, name: str) -> Opportunity:
    with Session(site.engine) as session:
        return session.query(Opportunity).filter_by(name=name).one()


def test_drag_a_card_to_move_it_and_close_it_as_won_with_a_reason(page: Page, site: Site, watch: Watch) -> None:
    with session_scope(site.engine) as session:
        maria = session.query(User).filter_by(name="maria").one()
        token = create_login_token(session=session, user_id=maria.id)
    page.goto(f"{site.url}/login/token/{token}")
    page.goto(f"{site.url}/pipeline")
    mugs = deal(site, "Mugs")
    page.locator(f"#deal-{mugs.id}").drag_to(page.locator('.board-col[data-stage="qualification"]'))
    page.wait_for_selector("#pipeline-notice")
    assert page.locator(f'.board-col[data-stage="qualification"] #deal-{mugs.id}').count() == 1
    assert deal(site, "Mugs").stage == "qualification"

    tea = deal(site, "Tea")
    card = page.locator(f"#deal-{tea.id}")
    card.locator(".deal-close summary").click()
    card.locator('button[value="won"]').click()  # the reason is required: the browser does not send the form
    assert deal(site, "Tea").outcome == "open"
    card.locator('input[name="reason"]').fill("Best lead time")
    card.locator('button[value="won"]').click()
    page.wait_for_selector("#pipeline-notice")
    assert "Deal closed as won." in page.locator("#pipeline-notice").inner_text()
    assert page.locator(f"#deal-{tea.id}").count() == 0
    closed = deal(site, "Tea")
    assert (closed.outcome, closed.close_reason) == ("won", "Best lead time")
    shot(page, "pipeline-board")
    watch.assert_clean()
