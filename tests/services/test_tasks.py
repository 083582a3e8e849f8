"""Tasks: what the refresh opens from the trained models (each source, with its reason in words and its owner), that
it never opens a second task for the same cause, closes tasks whose cause is gone, and skips untrained models; the
ownership rules, versions and audit of task changes; and the Today board's grouping and ranking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain import Account, Interaction, Opportunity, Order, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.model_run import ModelOutput, ModelRun
from bizpilot.domain.outreach import SequenceEnrollment
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription
from bizpilot.errors import ConflictError, Forbidden, ValidationFailed
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.assistant.tickets import update_handoff
from bizpilot.services.auth import Principal
from bizpilot.services.task_sources import CHURN_SEEN
from bizpilot.services.tasks import (
    complete_task,
    create_task,
    reassign_task,
    refresh_tasks,
    reopen_task,
    snooze_task,
    tasks_for_account,
    today_board,
    update_task,
)

from .tasks_data import seed_tasks_workspace

TODAY = date(2025, 7, 1)
REORDER_REASON = re.compile(r"^Usually orders .+ every ~\d+ days; last order \d+ days ago; \d+ % likely within 30 "
                            r"days, about [\d.]+ units$")


@pytest.fixture
def ws(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    return seed_tasks_workspace(engine, monkeypatch)


@pytest.fixture
def session(engine: Engine, ws: dict[str, int]) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def user(ws: dict[str, int], name: str, role: str) -> Principal:
    return Principal(kind="session", name=name, role=role, user_id=ws[name])


def one(session: Session, **where: object) -> Task:
    rows = list(session.scalars(select(Task).filter_by(**where)))
    assert len(rows) == 1, (where, [r.source_key for r in rows])
    return rows[0]


def open_keys(session: Session) -> set[str | None]:
    return set(session.scalars(select(Task.source_key).where(Task.status.in_(("open", "snoozed")))))


def test_every_source_opens_tasks_with_their_reasons_owners_and_events(session: Session, ws: dict[str, int]) -> None:
    session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["task.created"], secret="s" * 32))
    session.flush()
    result = refresh_tasks(session=session)
    created = result["created"]
    assert set(result) == {"created", "kept", "closed", "skipped"} and result["skipped"] == {}
    assert (created["churn"], created["alert"], created["handoff"], created["stale_deal"]) == (1, 1, 1, 1)
    assert created["reorder"] > 20 and created["recommendation"] > 20
    assert sum(result["kept"].values()) == sum(result["closed"].values()) == 0

    churn = one(session, source="churn")
    assert (churn.account_id, churn.owner_id, churn.priority) == (ws["GONE"], ws["ann"], "high")
    assert re.fullmatch(r"Chance of ordering within 90 days is \d %; spend 7,200; pulling it down: .+", churn.reason)
    alert = one(session, source="alert")
    assert (alert.account_id, alert.owner_id, alert.due_date, alert.priority) == (ws["O02"], ws["bob"], TODAY, "high")
    assert "1 complaint(s)" in alert.reason and "Third late delivery" in alert.reason
    handoff = one(session, source="handoff")
    assert (handoff.ticket_id, handoff.account_id, handoff.owner_id) == (ws["ticket"], ws["B02"], ws["ann"])
    assert "Wants a quote for 40 drills" in handoff.reason
    stale = one(session, source="stale_deal")
    deal = session.scalar(select(Opportunity).where(Opportunity.external_id == "quiet"))
    assert (stale.opportunity_id, stale.account_id, stale.owner_id) == (deal.id, ws["B01"], ws["ann"])
    # no win-probability model: the workspace's own record (1 won of 2 closed) weighs the amount
    assert stale.expected_value == 5000.0 and "for 60 days (since 2025-05-02)" in stale.reason
    assert "historical win rate 50 %" in stale.reason

    reorders = list(session.scalars(select(Task).where(Task.source == "reorder")))
    assert all(REORDER_REASON.match(t.reason or "") for t in reorders)
    assert "PAP-OLD" not in {t.product_id for t in reorders}  # discontinued: never a reminder
    office = next(t for t in reorders if t.account_id == ws["O05"])
    view = session.scalar(select(ModelOutput).where(ModelOutput.model == "reorder", ModelOutput.subject_id == ws["O05"],
                                                    ModelOutput.item_id == office.product_id))
    p = view.payload
    assert office.expected_value == pytest.approx(p["expected_units"] * 10.0 * p["probability"], abs=0.01)
    assert (office.owner_id, office.due_date) == (ws["bob"], date.fromisoformat(p["due_date"]))
    recs = list(session.scalars(select(Task).where(Task.source == "recommendation")))
    assert max(sum(1 for t in recs if t.account_id == a) for a in {t.account_id for t in recs}) == 2
    assert all(t.priority == "low" and t.reason and "list price" in t.reason for t in recs)

    total = sum(created.values())
    assert session.scalar(select(func.count()).select_from(Task)) == total
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)
                          .where(WebhookDelivery.event == "task.created")) == total
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "tasks", AuditEntry.record_id == churn.id))
    assert [(a.action, a.actor, a.channel) for a in audit] == [("create", "system", "system")]


def test_refresh_twice_creates_nothing_new_and_keeps_every_task(session: Session) -> None:
    first = refresh_tasks(session=session)
    keys = open_keys(session)
    second = refresh_tasks(session=session)
    assert second["created"] == dict.fromkeys(first["created"], 0)
    assert second["kept"] == first["created"] and sum(second["closed"].values()) == 0
    assert open_keys(session) == keys and len(keys) == sum(first["created"].values())
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "create")) == 0


def test_the_reorder_task_closes_when_the_customer_orders_the_product(engine: Engine, session: Session,
                                                                      ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    session.commit()
    task = next(t for t in session.scalars(select(Task).where(Task.source == "reorder",
                                                                Task.account_id == ws["O05"])))
    sku = session.scalar(select(Task.product_id).where(Task.id == task.id))
    from bizpilot.domain import Product

    sku = session.get(Product, sku).sku
    report = import_frame("orders", pd.DataFrame([{
        "external_id": "O05-new", "account_external_id": "O05", "ordered_at": datetime(2025, 6, 30, 9), "sku": sku,
        "quantity": 5, "unit_price": 10.0, "kind": "sale", "currency": "EUR", "line_no": 1}]), source="shop.csv",
        strict=True, engine=engine)
    assert not report.rejected
    session.expire_all()
    result = refresh_tasks(session=session)
    assert result["closed"]["reorder"] == 1 and result["created"]["reorder"] == 0
    session.refresh(task)
    assert (task.status, task.closed_reason) == ("closed", "ordered on 2025-06-30")
    assert [a.action for a in session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "tasks", AuditEntry.record_id == task.id).order_by(AuditEntry.id))] == ["create", "close"]


def test_handoff_and_alert_tasks_close_when_their_cause_is_gone(session: Session, ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    update_handoff(session=session, ticket_id=ws["ticket"], status="closed")
    session.execute(update(Interaction).where(Interaction.external_id == "unhappy")
                    .values(sentiment="neutral", intent="delivery", sentiment_score=0.0))
    result = refresh_tasks(session=session)
    assert (result["closed"]["handoff"], result["closed"]["alert"]) == (1, 1)
    assert one(session, source="handoff").closed_reason == "the hand-off ticket was closed"
    assert one(session, source="alert").closed_reason == "no dissatisfied messages in the last 30 days any more"
    assert result["kept"]["churn"] == 1 and result["closed"]["churn"] == 0


def test_a_quiet_deal_task_closes_on_activity_and_a_won_deal_closes_its_task(session: Session,
                                                                             ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    session.add(Interaction(external_id="call-1", channel="call", direction="outbound", text="Called about fleet",
                            occurred_at=datetime(2025, 6, 30, 15), account_id=ws["B01"]))
    assert refresh_tasks(session=session)["closed"]["stale_deal"] == 1
    assert one(session, source="stale_deal").closed_reason == "activity on 2025-06-30"
    # a second quiet deal, then won: its task closes with the outcome
    deal = Opportunity(external_id="quiet-2", account_id=ws["O07"], name="Toner", stage="proposal", amount=300.0,
                       created_at=datetime(2025, 4, 1), outcome="open")
    session.add(deal)
    session.flush()
    assert refresh_tasks(session=session)["created"]["stale_deal"] == 1
    deal.outcome, deal.stage = "won", "closed"
    session.flush()
    assert refresh_tasks(session=session)["closed"]["stale_deal"] == 1
    assert one(session, opportunity_id=deal.id).closed_reason == "the deal was won"


def test_a_task_marked_done_is_not_opened_again_for_the_same_evidence(session: Session, ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    stale, handoff = one(session, source="stale_deal"), one(session, source="handoff")
    ann = user(ws, "ann", "sales")
    complete_task(session=session, task_id=stale.id, principal=ann, channel="page")
    complete_task(session=session, task_id=handoff.id, principal=ann, channel="page")
    result = refresh_tasks(session=session)
    assert result["created"]["stale_deal"] == result["kept"]["stale_deal"] == result["closed"]["stale_deal"] == 0
    assert result["created"]["handoff"] == 0 and stale.status == handoff.status == "done"


def test_the_churn_reason_names_the_fall_since_the_models_previous_run(session: Session, ws: dict[str, int]) -> None:
    run_id = session.scalar(select(ModelRun.id).where(ModelRun.task == "churn", ModelRun.status == "finished"))
    # what the refresh saw of the previous run: GONE was then 90 % likely to order
    session.add(WorkspaceSetting(key=CHURN_SEEN, value={"run_id": run_id - 100, "current": {str(ws["GONE"]): 0.9}}))
    session.flush()
    refresh_tasks(session=session)
    assert "(was 90 % at the previous training)" in one(session, source="churn").reason
    seen = session.get(WorkspaceSetting, CHURN_SEEN).value
    assert seen["run_id"] == run_id and seen["previous"] == {str(ws["GONE"]): 0.9}
    assert set(seen["current"]) == {str(a) for a in session.scalars(
        select(ModelOutput.subject_id).where(ModelOutput.model == "churn"))}


def test_models_that_are_not_trained_are_skipped_with_a_note_and_not_trained(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    seed_tasks_workspace(engine, monkeypatch, train=False)
    with Session(engine) as session:
        result = refresh_tasks(session=session)
        assert set(result["skipped"]) == {"reorder", "churn", "recommendation"}
        assert "the reorder model is missing" in result["skipped"]["reorder"]
        assert (result["created"]["alert"], result["created"]["handoff"], result["created"]["stale_deal"]) == (1, 1, 1)
        assert result["created"]["reorder"] == result["created"]["churn"] == 0
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 0


def test_sales_users_work_on_their_tasks_and_their_accounts_tasks_managers_on_all(
        session: Session, ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    ann, bob = user(ws, "ann", "sales"), user(ws, "bob", "sales")
    mia, vic = user(ws, "mia", "manager"), user(ws, "vic", "viewer")
    handoff = one(session, source="handoff")  # B02 is ann's
    with pytest.raises(Forbidden, match="bob may not change task"):
        complete_task(session=session, task_id=handoff.id, principal=bob, channel="api")
    with pytest.raises(Forbidden, match="your role only reads"):
        snooze_task(session=session, task_id=handoff.id, principal=vic, channel="api", days=1)
    # ann hands her task to bob: now his to work on, and still hers to see to (her account)
    reassign_task(session=session, task_id=handoff.id, owner_id=ws["bob"], principal=ann, channel="page")
    snooze_task(session=session, task_id=handoff.id, principal=bob, channel="api", days=1)
    reopen_task(session=session, task_id=handoff.id, principal=ann, channel="page")
    alert = one(session, source="alert")  # O02 is bob's
    with pytest.raises(Forbidden):
        reassign_task(session=session, task_id=alert.id, owner_id=ws["ann"], principal=ann, channel="page")
    reassign_task(session=session, task_id=alert.id, owner_id=ws["ann"], principal=mia, channel="page")
    assert alert.owner_id == ws["ann"]
    with pytest.raises(ValidationFailed, match="a viewer works no tasks"):
        reassign_task(session=session, task_id=alert.id, owner_id=ws["vic"], principal=mia, channel="page")
    changes = [(a.action, a.actor, a.changes) for a in session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "tasks", AuditEntry.record_id == handoff.id).order_by(AuditEntry.id))]
    assert [c[:2] for c in changes] == [("create", "system"), ("reassign", "ann"), ("snooze", "bob"),
                                        ("reopen", "ann")]
    assert changes[1][2] == {"owner_id": [ws["ann"], ws["bob"]]}


def test_tasks_by_hand_versions_snoozes_and_done(session: Session, ws: dict[str, int]) -> None:
    ann = user(ws, "ann", "sales")
    task = create_task(session=session, data={"title": "Call about the fleet", "account_id": ws["B04"],
                                              "due_date": "2025-07-03", "priority": "high"},
                       principal=ann, channel="page")
    assert (task.owner_id, task.source, task.status, task.version) == (ws["ann"], "manual", "open", 1)
    with pytest.raises(Forbidden):  # bob's account
        create_task(session=session, data={"title": "x", "account_id": ws["O01"]}, principal=ann, channel="page")
    with pytest.raises(ValidationFailed, match="account_id 999999 does not exist"):
        create_task(session=session, data={"title": "x", "account_id": 999999}, principal=ann, channel="page")
    update_task(session=session, task_id=task.id, data={"title": "Call Builder 4"}, principal=ann, channel="api",
                expected_version=1)
    with pytest.raises(ConflictError, match="version 2, you had 1"):
        update_task(session=session, task_id=task.id, data={"title": "stale"}, principal=ann, channel="api",
                    expected_version=1)
    assert (task.title, task.version) == ("Call Builder 4", 2)
    for bad in ({"until": TODAY}, {"until": date(2027, 1, 1)}, {}):
        with pytest.raises(ValidationFailed):
            snooze_task(session=session, task_id=task.id, principal=ann, channel="page", **bad)  # type: ignore[arg-type]
    snooze_task(session=session, task_id=task.id, principal=ann, channel="page", days=7)
    assert (task.status, task.snoozed_until, task.due_date) == ("snoozed", date(2025, 7, 8), date(2025, 7, 8))
    complete_task(session=session, task_id=task.id, principal=ann, channel="page")
    version = task.version
    complete_task(session=session, task_id=task.id, principal=ann, channel="page")  # twice: nothing changes
    assert (task.status, task.version, task.completed_at is not None) == ("done", version, True)
    with pytest.raises(ValidationFailed, match="reopen it first"):
        snooze_task(session=session, task_id=task.id, principal=ann, channel="page", days=1)


def test_today_ranks_overdue_first_then_by_value_and_groups_by_due_date(session: Session, ws: dict[str, int]) -> None:
    refresh_tasks(session=session)
    ann = user(ws, "ann", "sales")
    late = create_task(session=session, data={"title": "Send the price list", "due_date": "2025-06-20"},
                       principal=ann, channel="page")
    later = create_task(session=session, data={"title": "Plan Q4", "due_date": "2025-09-01"}, principal=ann,
                        channel="page")
    snoozed = create_task(session=session, data={"title": "Ring back", "due_date": "2025-07-01"}, principal=ann,
                          channel="page")
    snooze_task(session=session, task_id=snoozed.id, principal=ann, channel="page", days=1)
    board = today_board(session=session, owner_id=ws["ann"])
    groups = board["groups"]
    assert board["today"] == TODAY and [t["id"] for t in groups["overdue"]] == [late.id]
    assert groups["overdue"][0]["overdue"] is True
    assert {t["source"] for t in groups["today"]} == {"handoff"} and groups["later"][-1]["id"] == later.id
    for tasks in groups.values():
        values = [t["expected_value"] or 0.0 for t in tasks]
        assert values == sorted(values, reverse=True)
    shown = [t["id"] for g in groups.values() for t in g]
    assert snoozed.id not in shown and all(t["owner_id"] == ws["ann"] for g in groups.values() for t in g)
    assert groups["week"][0]["source"] == "churn"  # the most valuable of the week: the strategic account at risk
    capped = today_board(session=session, owner_id=ws["bob"], per_group=3)  # the page shows the most valuable
    assert max(len(g) for g in capped["groups"].values()) == 3 and sum(capped["more"].values()) > 0
    assert sum(len(g) for g in capped["groups"].values()) + sum(capped["more"].values()) == capped["total"]
    everyone = today_board(session=session, everyone=True)
    assert everyone["total"] == session.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
    account = tasks_for_account(session=session, account_id=ws["B02"])
    assert {t["source"] for t in account} >= {"handoff"} and all(t["account_id"] == ws["B02"] for t in account)


def test_the_refresh_advances_the_sequences_and_counts_their_steps_as_a_source(engine: Engine) -> None:
    """`tasks refresh` (and so `train all` and the schedule of `serve`) keeps sequences moving: accounts at churn
    risk are enrolled and their due steps open tasks (source ``sequence``), kept on the next run and closed when
    the customer orders; the refresh's shape stays ``created``/``kept``/``closed`` by source."""
    from tests.services.outreach_data import LAPSED, seed_lapsing_workspace

    seed_lapsing_workspace(engine)
    now = datetime(2025, 1, 2, 9)
    with Session(engine) as session:
        first = refresh_tasks(session=session, as_of=now)
        assert set(first) == {"created", "kept", "closed", "skipped"}
        assert (first["created"]["sequence"], first["kept"]["sequence"], first["closed"]["sequence"]) == (
            LAPSED, 0, 0)
        steps = list(session.scalars(select(Task).where(Task.source == "sequence")))
        assert len(steps) == LAPSED and all(t.title.startswith("Send the win-back e-mail to Lapsed ") for t in steps)
        assert session.scalar(select(func.count()).select_from(SequenceEnrollment)) == LAPSED

        second = refresh_tasks(session=session, as_of=now + timedelta(hours=1))
        assert (second["created"]["sequence"], second["kept"]["sequence"], second["closed"]["sequence"]) == (
            0, LAPSED, 0)
        lapsed0 = session.scalar(select(Account.id).where(Account.external_id == "L00"))
        session.add(Order(external_id="L00-back", account_id=lapsed0, kind="sale", ordered_at=now + timedelta(days=1)))
        session.flush()
        third = refresh_tasks(session=session, as_of=now + timedelta(days=2))
        assert (third["created"]["sequence"], third["kept"]["sequence"], third["closed"]["sequence"]) == (
            0, LAPSED - 1, 1)
        task = one(session, source="sequence", account_id=lapsed0)
        assert (task.status, task.closed_reason) == (
            "closed", "sequence stopped: the customer ordered on 2025-01-03 (order L00-back)")
        session.rollback()
