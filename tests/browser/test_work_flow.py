"""A sales team's day in real headless Chromium (issue 13, "Done means"): an admin adds a sales user on the Settings
page and hands her a colleague's book; she signs in, finds her accounts with the "Mine" filter (the accounts list
shows everyone's by default), sees her tasks on Today, logs a call, closes a deal as won with a reason on the
Pipeline, completes a task, drafts a follow-up from another and downloads the at-risk list as Excel. A viewer finds
no edit controls on the account, Pipeline and Today pages, and a write with a viewer's key is refused (403).

The workspace of ``tests/services/tasks_data.py`` (today pinned to 2025-07-01, recommender, reorder cycles and
repurchase model trained), plus the segments model (the at-risk list names each account's segment) and an admin."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.api.deps import forget_database_checks
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, session_scope, upgrade
from bizpilot.domain import Account, Interaction, Opportunity, Task, User
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.services.auth import Principal, create_api_key, create_login_token
from bizpilot.services.intelligence.scores import at_risk_accounts
from bizpilot.services.intelligence.specs import SEGMENTS
from bizpilot.services.models.jobs import run_training
from bizpilot.services.records import update_record
from bizpilot.services.tasks import refresh_tasks
from bizpilot.services.users import create_user
from tests.browser.conftest import Site, Watch, shot
from tests.live_server import live_server
from tests.services.tasks_data import seed_tasks_workspace

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN = ("alex@harborline.example", "alex-browser-pass")
EMILY = ("emily@harborline.example", "emily-browser-pass")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The tasks workspace with an admin (overrides the demo site of conftest); no model trains on a request."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BIZPILOT_HOME", str(tmp_path_factory.mktemp("work-flow") / "ws"))
    mp.delenv("BIZPILOT_DATABASE_URL", raising=False)
    mp.delenv("BIZPILOT_AUTH_OPEN_READS", raising=False)
    mp.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    reset_engine()
    forget_database_checks()
    try:
        engine = get_engine()
        upgrade(engine)
        seed_tasks_workspace(engine, mp)  # pins BIZPILOT_AS_OF through mp, undone below
        assert run_training(SEGMENTS, engine=engine, trigger="test").status == "finished"
        with session_scope(engine) as session:
            create_user(session=session, name="Alex Morgan", email=ADMIN[0], role="admin", password=ADMIN[1])
        with live_server() as url:
            yield Site(url=url, engine=engine)
    finally:
        reset_engine()
        mp.undo()
        reset_settings()
        forget_database_checks()


def sign_in(page: Page, site: Site, login: str, password: str, next_path: str) -> None:
    page.goto(f"{site.url}/login?next={next_path}")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(f"{site.url}{next_path}")


def user_id(site: Site, name: str) -> int:
    with Session(site.engine) as session:
        return int(session.scalar(select(User.id).where(User.name == name)))


def hand_over(site: Site, *, admin: str, from_user: str, to_user: str) -> list[str]:
    """The admin gives ``from_user``'s accounts to ``to_user`` (through the records write path, as the API's PATCH
    does), then the task refresh (`bizpilot tasks refresh`, also on the serve schedule) opens their tasks."""
    with session_scope(site.engine) as session:
        actor = Principal(kind="key", name=admin, role="admin", user_id=user_id(site, admin))
        old, new = user_id(site, from_user), user_id(site, to_user)
        accounts = session.execute(select(Account.id, Account.name).where(Account.owner_id == old)).all()
        for account_id, _ in accounts:
            update_record(session=session, entity="accounts", record_id=account_id, data={"owner_id": new},
                          principal=actor, channel="api")
        refresh_tasks(session=session)
    return sorted(name for _, name in accounts)


def open_tasks(site: Site, owner: int) -> set[int]:
    with Session(site.engine) as session:
        return set(session.scalars(select(Task.id).where(Task.owner_id == owner, Task.status == "open")))


def shown_tasks(page: Page) -> list[int]:
    return [int(x) for x in page.locator("li.today-task").evaluate_all("els => els.map(e => e.dataset.task)")]


def test_a_sales_users_day(page: Page, site: Site, watch: Watch) -> None:
    sign_in(page, site, *ADMIN, "/settings")
    page.fill("#user-name", "Emily Carter")
    page.fill("#user-email", EMILY[0])
    page.select_option("#user-role", "sales")
    page.fill("#user-password", EMILY[1])
    page.click("#user-form button[type=submit]")
    page.wait_for_url(f"{site.url}/settings?notice=user_added#users")
    assert page.locator('#user-list tr[data-user="Emily Carter"] select').input_value() == "sales"
    page.click("form.logout button")
    page.wait_for_url(f"{site.url}/login?signed_out=1")
    mine = hand_over(site, admin="Alex Morgan", from_user="ann", to_user="Emily Carter")
    emily = user_id(site, "Emily Carter")
    assert len(mine) == 11  # the ten builders and Gone Quiet Construction

    # Her accounts: the list shows the whole workspace by default; "Mine" narrows it to hers.
    sign_in(page, site, *EMILY, "/accounts")
    everyone = page.locator("#accounts tbody tr td:first-child").all_inner_texts()
    assert len(everyone) == 22 and set(mine) < set(everyone)
    page.select_option("#owner-filter", "me")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"{site.url}/accounts?*owner=me*")
    assert sorted(page.locator("#accounts tbody tr td:first-child").all_inner_texts()) == mine
    shot(page, "work-accounts-mine")

    # Today: exactly her open tasks, from the models (reorders due, the lapsed strategic account, the hand-off...).
    page.goto(f"{site.url}/today")
    on_today = shown_tasks(page)
    assert set(on_today) == open_tasks(site, emily) and len(on_today) >= 3
    assert "Hand-off waiting: Builder 2" in page.inner_text("main")
    shot(page, "work-today")

    # Log a call on an account page.
    with Session(site.engine) as session:
        gone = session.scalar(select(Account).where(Account.external_id == "GONE"))
        quiet = session.scalar(select(Opportunity).where(Opportunity.external_id == "quiet"))
    page.goto(f"{site.url}/accounts/{gone.id}")
    page.click("#log-activity summary")
    page.select_option("#activity-form select[name=kind]", "call")
    page.fill("#activity-form input[name=outcome]", "Call back next week")
    page.fill("#activity-form textarea[name=text]", "Spoke with the buyer: they paused orders while a site closed.")
    page.click("#activity-form button[type=submit]")
    page.wait_for_url(f"{site.url}/accounts/{gone.id}?notice=activity_logged#activities")
    with Session(site.engine) as session:
        call = session.scalar(select(Interaction).where(Interaction.outcome == "Call back next week"))
        assert (call.account_id, call.channel, call.user_id) == (gone.id, "call", emily)
    assert "Call back next week" in page.locator(f'tr[data-interaction="{call.id}"]').inner_text()

    # Close her quiet deal as won, with a reason, on the Pipeline.
    page.goto(f"{site.url}/pipeline")
    card = page.locator(f"#deal-{quiet.id}")
    card.locator(".deal-close summary").click()
    card.locator('input[name="reason"]').fill("Renewed after the site visit")
    card.locator('button[value="won"]').click()
    page.wait_for_selector("#pipeline-notice")
    assert "Deal closed as won." in page.inner_text("#pipeline-notice")
    assert page.locator(f"#deal-{quiet.id}").count() == 0
    with Session(site.engine) as session:
        won = session.get(Opportunity, quiet.id)
        assert (won.outcome, won.close_reason) == ("won", "Renewed after the site visit")

    # Complete the first task on Today.
    page.goto(f"{site.url}/today")
    first = shown_tasks(page)[0]
    page.click(f'#task-{first} button[data-action="done"]')
    page.wait_for_url(f"{site.url}/today?user={emily}")
    assert page.locator(f"#task-{first}").count() == 0
    with Session(site.engine) as session:
        done = session.get(Task, first)
        assert done.status == "done" and done.completed_at is not None

    # Draft the follow-up of the next one from its follow-up page (the content service, no LLM asked for).
    task = shown_tasks(page)[0]
    page.click(f"#task-{task} a.follow-up")
    page.wait_for_url(f"{site.url}/tasks/{task}/follow-up")
    page.click("#draft-button")
    page.wait_for_url(f"{site.url}/tasks/{task}/follow-up?done=drafted")
    assert page.locator("#message-status").inner_text() == "draft"
    assert page.locator("#subject").input_value() and page.locator("#body").input_value()
    with Session(site.engine) as session:
        drafts = session.scalars(select(OutboxMessage).where(OutboxMessage.task_id == task)).all()
        assert [m.status for m in drafts] == ["draft"] and drafts[0].body == page.locator("#body").input_value()
    shot(page, "work-follow-up")

    # Export the at-risk list (Forecasts page) to Excel and read it back.
    page.goto(f"{site.url}/forecasts")
    with page.expect_download() as info:
        page.click('#at-risk-download a[data-format="xlsx"]')
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    with Session(site.engine) as session:
        expected = at_risk_accounts(session=session, limit=10)
    assert len(rows) == len(expected) + 1 and len(expected) >= 1
    assert [r[rows[0].index("Name")] for r in rows[1:]] == [a["name"] for a in expected]
    assert rows[1:][0][rows[0].index("Name")] == "Gone Quiet Construction"  # the lapsed strategic account leads
    watch.assert_clean()


def test_a_viewer_changes_nothing(page: Page, site: Site, watch: Watch) -> None:
    with session_scope(site.engine) as session:
        vic = user_id(site, "vic")
        token = create_login_token(session=session, user_id=vic)
        key, _ = create_api_key(session=session, name="vic-key", role="write", user_id=vic)
        account = session.scalar(select(Account).where(Account.external_id == "B01"))
        deal = session.scalar(select(Opportunity).where(Opportunity.external_id == "fresh"))
        task = session.scalar(select(Task).where(Task.status == "open").order_by(Task.id))
        snapshot = (account.name, account.version, deal.stage, task.status)
    page.goto(f"{site.url}/login/token/{token}?next=/today")
    page.wait_for_url(f"{site.url}/today")

    page.goto(f"{site.url}/accounts/{account.id}")
    editing = "#edit-account, #log-activity, #add-contact, #archive-account, form[method=post]:not(.logout)"
    assert page.locator(editing).count() == 0
    page.goto(f"{site.url}/pipeline")
    assert page.locator(f"#deal-{deal.id}").count() == 1
    assert page.locator(".deal-move, .deal-close, [data-movable], form[method=post]:not(.logout)").count() == 0
    page.goto(f"{site.url}/today?user=all")
    assert page.locator("#today-read-only").count() == 1 and page.locator("li.today-task").count() > 0
    assert page.locator(".today-actions, a.follow-up, form[method=post]:not(.logout)").count() == 0
    shot(page, "work-today-viewer")

    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{site.url}/api/v1", headers=headers) as api:
        assert api.get(f"/accounts/{account.id}").status_code == 200  # reads work
        refused = [api.patch(f"/accounts/{account.id}", json={"name": "Renamed"}),
                   api.post(f"/opportunities/{deal.id}/stage", json={"stage": "proposal"}),
                   api.post(f"/tasks/{task.id}/done"),
                   api.post("/tasks", json={"title": "Call them", "account_id": account.id})]
    assert [r.status_code for r in refused] == [403, 403, 403, 403], [r.text for r in refused]
    with Session(site.engine) as session:
        after = (session.get(Account, account.id), session.get(Opportunity, deal.id), session.get(Task, task.id))
        assert (after[0].name, after[0].version, after[1].stage, after[2].status) == snapshot
    watch.assert_clean()
