"""Users, the pipeline and tasks through the client against a live server: who am I, adding and changing users
(admins only), the board, totals, forecast and stages, moving a deal (won needs a reason; another rep's deal is
403; a stale version is a Conflict with the stored version), tasks created, changed, done, snoozed, reopened and
refreshed, their downloads and .ics invitations, and a follow-up drafted from a task."""

from __future__ import annotations

import io
from datetime import date

import icalendar
import openpyxl
import pytest

from bizpilot.client import Conflict
from bizpilot.errors import Forbidden, NotFoundError, ValidationFailed
from tests.client.conftest import Team


def test_users_me_list_create_and_change(team: Team) -> None:
    with team.client("sam") as sam:
        me = sam.users.me()
        assert (me["kind"], me["role"], me["level"], me["user"]["id"]) == ("key", "sales", "write", team.users["sam"])
        assert [u["name"] for u in sam.users.list(role="sales")] == ["sam", "rita"]
        assert sam.users.get(team.users["vic"])["role"] == "viewer"
        with pytest.raises(Forbidden):
            sam.users.create(name="eve")
        with pytest.raises(NotFoundError):
            sam.users.get(999_999)
    with team.client("adm") as adm:
        eve = adm.users.create(name="eve", email="eve@example.com", role="service", password="correct horse 42")
        assert (eve["role"], eve["active"], eve["has_password"]) == ("service", True, True)
        changed = adm.users.update(eve["id"], role="manager", email=None)
        assert (changed["role"], changed["email"], changed["name"]) == ("manager", None, "eve")
        assert adm.users.update(eve["id"], active=False)["active"] is False
        assert [u["name"] for u in adm.users.list(active=False)] == ["eve"]
        with pytest.raises(Conflict) as taken:
            adm.users.create(name="sam")
        assert taken.value.current_version is None and "sam" in taken.value.message
        with pytest.raises(ValidationFailed) as short:
            adm.users.create(name="bob", password="x")
        assert short.value.details[0]["field"] == "password"


def test_pipeline_board_move_and_export(team: Team) -> None:
    deal = team.ids["opp-1"]
    with team.client("vic") as vic:
        board = vic.pipeline.board()
        [proposal] = [c for c in board["columns"] if c["key"] == "proposal"]
        [card] = proposal["cards"]
        assert (card["id"], card["owner_id"], card["basis"], card["can_move"]) == (deal, team.users["sam"], "stage",
                                                                                   False)
        assert [s["key"] for s in vic.pipeline.stages()["stages"]] == ["prospecting", "qualification", "proposal",
                                                                      "negotiation", "won", "lost"]
        assert vic.pipeline.totals()["open"] == {"count": 1, "amount": 1200.0, "weighted": 600.0}
        by_owner = vic.pipeline.forecast(by="owner")
        assert [(r["label"], r["weighted"]) for r in by_owner["rows"]] == [("sam", 600.0)]
        with pytest.raises(Forbidden):
            vic.pipeline.move(deal, stage="negotiation")
    with team.client("rita") as rita, pytest.raises(Forbidden):
        rita.pipeline.move(deal, stage="negotiation")
    with team.client("sam") as sam:
        assert sam.pipeline.board(owner="me")["columns"][2]["cards"][0]["can_move"] is True
        moved = sam.pipeline.move(deal, stage="negotiation", version=1)
        assert (moved["stage"], moved["outcome"], moved["version"]) == ("negotiation", "open", 2)
        with pytest.raises(Conflict) as stale:
            sam.pipeline.move(deal, stage="won", reason="signed", version=1)
        assert stale.value.current_version == 2
        with pytest.raises(ValidationFailed, match="reason"):
            sam.pipeline.move(deal, stage="won", version=2)
        won = sam.pipeline.move(deal, stage="won", reason="Signed the spring order", version=2)
        assert (won["outcome"], won["close_reason"]) == ("won", "Signed the spring order")
        assert sam.opportunities.audit(deal)[0].action == "stage_change"
        sam.pipeline.move(deal, stage="proposal")  # reopened, without a version: any
        rows = sam.pipeline.export(owner="me").decode("utf-8-sig").splitlines()
        assert len(rows) == 2 and "Spring fair mugs" in rows[1]
        sheet = openpyxl.load_workbook(io.BytesIO(sam.pipeline.export(format="xlsx"))).active
        assert sheet.max_row == 2
    stages = team.client("vic").pipeline.stages()["stages"]
    with team.client("max") as max_, pytest.raises(Forbidden):
        max_.pipeline.set_stages(stages=stages)
    renamed = [{**s, "name_en": "Quote"} if s["key"] == "proposal" else s for s in stages]
    with team.client("adm") as adm:
        saved = adm.pipeline.set_stages(stages=renamed)
        assert ([s["name_en"] for s in saved["stages"]][2], saved["open_deals"]) == ("Quote", {"proposal": 1})


def test_tasks_lifecycle_versions_and_ownership(team: Team) -> None:
    acme, borealis = team.ids["ACME"], team.ids["BOREALIS"]
    with team.client("sam") as sam:
        task = sam.tasks.create(title="Call Li about the spring fair", account_id=acme, due_date=date(2024, 4, 2),
                                priority="high")
        assert (task["owner_id"], task["owner_name"], task["status"], task["version"]) == (
            team.users["sam"], "sam", "open", 1)
        listed = sam.tasks.list(owner="me", status="active")
        assert (listed["total"], [t["id"] for t in listed["items"]]) == (1, [task["id"]])
        changed = sam.tasks.update(task["id"], version=1, reason="Quote follows the call", due_date=None)
        assert (changed["reason"], changed["due_date"], changed["version"]) == ("Quote follows the call", None, 2)
        with pytest.raises(Conflict) as stale:
            sam.tasks.done(task["id"], version=1)
        assert stale.value.current_version == 2
        assert sam.tasks.list(owner="me")["items"][0]["status"] == "open"  # the stale write changed nothing
        done = sam.tasks.done(task["id"], version=2)
        assert (done["status"], done["version"]) == ("done", 3)
        assert sam.tasks.reopen(task["id"])["status"] == "open"
        snoozed = sam.tasks.snooze(task["id"], days=3)
        assert (snoozed["status"], snoozed["snoozed_until"]) == ("snoozed", "2024-04-03")
        with pytest.raises(ValidationFailed):
            sam.tasks.snooze(task["id"], until=date(2024, 3, 1))
    with team.client("rita") as rita:
        theirs = rita.tasks.create(title="Tea contract renewal", account_id=borealis)
        with pytest.raises(Forbidden):
            rita.tasks.done(task["id"])
    with team.client("sam") as sam:
        with pytest.raises(Forbidden):
            sam.tasks.update(theirs["id"], title="Mine now")
    with team.client("vic") as vic:
        with pytest.raises(Forbidden):
            vic.tasks.reopen(theirs["id"])
        with pytest.raises(Forbidden):
            vic.tasks.refresh()
    with team.client("max") as max_:
        reassigned = max_.tasks.update(theirs["id"], owner_id=team.users["sam"])
        assert reassigned["owner_name"] == "sam"
        refreshed = max_.tasks.refresh()
        assert list(refreshed) == ["created", "kept", "closed", "skipped"]
        assert "churn" in refreshed["skipped"]  # no model trained here: said so, nothing invented
        assert max_.tasks.refresh()["created"] == {k: 0 for k in refreshed["created"]}


def test_task_downloads_invitation_and_follow_up(team: Team) -> None:
    with team.client("sam") as sam:
        task = sam.tasks.create(title="=cmd|' /C calc'!A0", account_id=team.ids["ACME"], due_date=date(2024, 4, 5))
        other = sam.tasks.create(title="Plan the trade fair", account_id=team.ids["ACME"])
        csv = sam.tasks.export(owner="me").decode("utf-8-sig").splitlines()
        assert len(csv) == 3 and "'=cmd|" in csv[1] + csv[2]
        sheet = openpyxl.load_workbook(io.BytesIO(sam.tasks.export(format="xlsx", owner="sam"))).active
        titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sorted(titles) == sorted(["'=cmd|' /C calc'!A0", "Plan the trade fair"])
        [event] = icalendar.Calendar.from_ical(sam.tasks.invite(task["id"], minutes=30)).walk("VEVENT")
        assert event["DTSTART"].dt.date() == date(2024, 4, 5)
        draft = sam.tasks.follow_up(other["id"], purpose="check_in", language="en", use_llm=False)
        assert (draft["status"], draft["task_id"], draft["to_address"]) == ("draft", other["id"],
                                                                          "li.wei@acme.example")
        assert sam.outbox.list(task_id=other["id"])["items"][0]["id"] == draft["id"]
        with pytest.raises(NotFoundError):
            sam.tasks.follow_up(987_654, use_llm=False)
    with team.client("vic") as vic, pytest.raises(Forbidden):
        vic.tasks.follow_up(other["id"], use_llm=False)
