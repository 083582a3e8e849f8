"""The Pipeline page as a manager, a sales user and a viewer see it (controls only on cards they may move; the
server refuses the rest), moving and closing deals from it, and the stages page."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Opportunity
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.user import User
from bizpilot.services.auth import create_login_token
from bizpilot.services.pipeline_stages import get_stages
from tests.services.pipeline_data import Seeded, pin_today, seed_pipeline
from tests.web.conftest import csrf_token

MOVE_FORM = re.compile(r'<form method="post" action="/pipeline/(\d+)/move"')
CLOSE_FORM = re.compile(r'<form method="post" action="/pipeline/(\d+)/close"')


@pytest.fixture
def seeded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    pin_today(monkeypatch)
    return seed_pipeline(engine)


def signed_in(engine: Engine, user_id: int) -> TestClient:
    """A browser signed in as the user through a one-time login link."""
    client = TestClient(create_app())
    with session_scope(engine) as session:
        token = create_login_token(session=session, user_id=user_id)
    assert client.get(f"/login/token/{token}", follow_redirects=False).status_code == 303
    return client


def page(client: TestClient, url: str = "/pipeline", status: int = 200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, resp.text[:500]
    return resp.text


def deal(engine: Engine, deal_id: int) -> Opportunity:
    with Session(engine) as session:
        return session.get(Opportunity, deal_id)


def test_a_manager_sees_the_board_totals_and_forecast_and_moves_any_deal(engine: Engine, seeded: Seeded) -> None:
    maria = signed_in(engine, seeded.users["maria"])
    text = page(maria)
    columns = re.findall(r'<section class="board-col[^"]*" data-stage="(\w+)"', text)
    assert columns == ["prospecting", "qualification", "proposal", "negotiation", "discovery"]
    assert sorted(map(int, MOVE_FORM.findall(text))) == sorted(seeded.deals[k] for k in ("mugs", "tea", "cups", "odd"))
    assert len(CLOSE_FORM.findall(text)) == 4
    assert re.search(r'data-count="weighted"><span class="stat-value">4,100</span>', text)
    assert re.search(r'data-column-total="negotiation"><span>1 · 4,000</span>', text)
    cups = text.split(f'id="deal-{seeded.deals["cups"]}"')[1].split("</article>")[0]
    assert "Borealis Foods GmbH" in cups and "Call about cups" in cups and "Win 75% (stage)" in cups
    assert "not trained yet" in cups  # the model is not ready: the card says so, the board still renders
    assert 'data-model="winprob" data-state="missing"' in text
    month = text.split('id="forecast-month"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-month="([\d-]+)">', month) == ["2024-04", "2024-05"]
    chart = json.loads(html.unescape(re.search(r"data-chart='([^']*)'", text).group(1)))
    assert chart["labels"] == ["2024-04", "2024-05"] and chart["series"][0]["data"] == [1100.0, 3000.0]
    assert "the median time to close of 3 won deals" in text and "expected 40 days" in text
    assert '<script src="/static/pipeline.js' in text and '<link rel="stylesheet" href="/static/pipeline.css' in text

    token = csrf_token(maria, "/pipeline")
    resp = maria.post(f"/pipeline/{seeded.deals['cups']}/move", data={"stage": "proposal", "version": "1",
                                                                      "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].endswith(f"#deal-{seeded.deals['cups']}")
    assert deal(engine, seeded.deals["cups"]).stage == "proposal"
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.record_id == seeded.deals["cups"])).one()
    assert (entry.action, entry.channel, entry.changes) == ("stage_change", "page",
                                                           {"stage": ["negotiation", "proposal"]})
    assert 'id="pipeline-notice">Deal moved.' in page(maria, resp.headers["location"])
    stale = maria.post(f"/pipeline/{seeded.deals['cups']}/move", data={"stage": "prospecting", "version": "1",
                                                                       "csrf_token": token})
    assert stale.status_code == 409 and 'id="pipeline-error"' in stale.text and "changed by someone else" in stale.text
    assert deal(engine, seeded.deals["cups"]).stage == "proposal"


def test_won_and_lost_ask_for_a_reason(engine: Engine, seeded: Seeded) -> None:
    maria = signed_in(engine, seeded.users["maria"])
    token = csrf_token(maria, "/pipeline")
    tea = seeded.deals["tea"]
    missing = maria.post(f"/pipeline/{tea}/close", data={"outcome": "won", "reason": " ", "csrf_token": token})
    assert missing.status_code == 422 and "a reason is required" in missing.text
    assert deal(engine, tea).outcome == "open"
    resp = maria.post(f"/pipeline/{tea}/close", data={"outcome": "lost", "reason": "Went with a local supplier",
                                                      "version": "1", "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303
    closed = deal(engine, tea)
    assert (closed.stage, closed.outcome, closed.close_reason) == ("lost", "lost", "Went with a local supplier")
    text = page(maria, resp.headers["location"])
    assert "Deal closed as lost." in text and f'id="deal-{tea}"' not in text


def test_a_sales_user_gets_controls_only_on_their_own_deals(engine: Engine, seeded: Seeded) -> None:
    alice = signed_in(engine, seeded.users["alice"])
    text = page(alice)
    assert sorted(map(int, MOVE_FORM.findall(text))) == sorted([seeded.deals["mugs"], seeded.deals["tea"]])
    assert '<option value="me">Mine</option>' in text
    mine = page(alice, "/pipeline?owner=me")
    assert '<option value="me" selected>Mine</option>' in mine
    assert f'id="deal-{seeded.deals["cups"]}"' not in mine and f'id="deal-{seeded.deals["mugs"]}"' in mine
    assert re.search(r'data-count="weighted"><span class="stat-value">1,100</span>', mine)
    resp = alice.post(f"/pipeline/{seeded.deals['cups']}/move",
                      data={"stage": "proposal", "csrf_token": csrf_token(alice, "/pipeline")})
    assert resp.status_code == 403 and "you may change only what you own" in resp.text
    assert deal(engine, seeded.deals["cups"]).stage == "negotiation"


def test_a_viewer_reads_the_board_without_controls(engine: Engine, seeded: Seeded) -> None:
    vera = signed_in(engine, seeded.users["vera"])
    text = page(vera)
    assert not MOVE_FORM.search(text) and not CLOSE_FORM.search(text)
    assert f'id="deal-{seeded.deals["cups"]}"' in text and 'data-movable' not in text
    resp = vera.post(f"/pipeline/{seeded.deals['cups']}/move",
                     data={"stage": "proposal", "csrf_token": csrf_token(vera, "/pipeline")})
    assert resp.status_code == 403 and deal(engine, seeded.deals["cups"]).stage == "negotiation"
    stages = page(vera, "/pipeline/stages")
    assert 'id="stages-form"' not in stages and "Only admins change the stages." in stages
    assert '<tr data-stage="negotiation"><td><code>negotiation</code></td><td>Negotiation</td>' in stages
    chinese = page(vera, "/pipeline?lang=zh")
    assert '<h2 id="col-prospecting">线索开发' in chinese and "加权金额" in chinese and "赢单 75%（按阶段）" in chinese


def test_an_admin_changes_the_stages_moving_the_deals_of_a_removed_one(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session:
        session.add(ada := User(name="ada", email="ada@example.com", role="admin"))
        session.flush()
        ada_id = ada.id
    admin = signed_in(engine, ada_id)
    text = page(admin, "/pipeline/stages")
    assert 'id="stages-form"' in text and 'name="key_7"' in text  # six stages and two empty rows
    token = csrf_token(admin, "/pipeline/stages")
    form = {"csrf_token": token}
    with Session(engine) as session:
        current = get_stages(session=session)
    for i, s in enumerate(current):
        form.update({f"key_{i}": s.key, f"name_en_{i}": s.name_en, f"name_zh_{i}": s.name_zh,
                     f"probability_{i}": str(round(s.probability * 100)), f"kind_{i}": s.kind,
                     f"position_{i}": str(i + 1), f"original_{i}": s.key})
    form.update({"remove_3": "1", "key_6": "samples", "name_en_6": "Samples sent", "name_zh_6": "已寄样",
                 "probability_6": "35", "kind_6": "open", "position_6": "2.5"})
    blocked = admin.post("/pipeline/stages", data=form)
    assert blocked.status_code == 409 and 'id="stages-move"' in blocked.text
    assert 'name="move_negotiation"' in blocked.text and "Move its 1 open deals to" in blocked.text
    assert 'value="Samples sent"' in blocked.text  # what was typed is kept
    resp = admin.post("/pipeline/stages", data={**form, "move_negotiation": "samples"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/pipeline/stages?notice=saved"
    with Session(engine) as session:
        stages = get_stages(session=session)
    assert [s.key for s in stages] == ["prospecting", "qualification", "samples", "proposal", "won", "lost"]
    assert stages[2].probability == 0.35 and deal(engine, seeded.deals["cups"]).stage == "samples"
    board = page(admin)
    assert re.findall(r'<section class="board-col[^"]*" data-stage="(\w+)"', board)[:4] == [
        "prospecting", "qualification", "samples", "proposal"]
    bad = admin.post("/pipeline/stages", data={**form, "kind_5": "won", "move_negotiation": "samples"})
    assert bad.status_code == 422 and "exactly one won stage" in bad.text
    renamed = {k: v for k, v in form.items() if not k.endswith("_3")}  # the saved list: samples is row 6
    renamed.update({"key_6": "sampling", "original_6": "samples"})
    assert admin.post("/pipeline/stages", data=renamed, follow_redirects=False).status_code == 303
    assert deal(engine, seeded.deals["cups"]).stage == "sampling"  # a renamed stage takes its deals along


def test_only_admins_post_the_stages(engine: Engine, seeded: Seeded) -> None:
    maria = signed_in(engine, seeded.users["maria"])
    resp = maria.post("/pipeline/stages", data={"csrf_token": csrf_token(maria, "/pipeline"), "key_0": "x"})
    assert resp.status_code == 403
