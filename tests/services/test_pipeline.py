"""The deal pipeline: stage configuration, moving and closing deals (policy, versions, audit, events), the board,
totals and the weighted forecast, checked by hand on ``pipeline_data.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.model_run import ModelOutput
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription
from bizpilot.errors import ConflictError, Forbidden, ValidationFailed
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.auth import SYSTEM
from bizpilot.services.intelligence.specs import WINPROB
from bizpilot.services.models.jobs import run_training
from bizpilot.services.pipeline import board, close_opportunity, move_opportunity, save_stages, totals
from bizpilot.services.pipeline_forecast import close_estimate, forecast
from bizpilot.services.pipeline_stages import DEFAULT_STAGES, check_stages, get_stages
from bizpilot.services.records import update_record, upsert_by_external_id
from tests.services.pipeline_data import OPEN_AMOUNT, WEIGHTED, Seeded, pin_today, seed_pipeline

DEFAULTS = [s.model_dump() for s in DEFAULT_STAGES]


@pytest.fixture
def seeded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    pin_today(monkeypatch)
    return seed_pipeline(engine)


@pytest.fixture
def session(engine: Engine, seeded: Seeded) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def stages_with(**changes: dict) -> list[dict]:
    return [{**s, **changes.get(s["key"], {})} for s in DEFAULTS]


# --- stages -------------------------------------------------------------------------------------------------

def test_default_stages_match_the_data_and_weigh_closed_stages_fully(engine: Engine) -> None:
    with Session(engine) as session:
        stages = get_stages(session=session)
    assert [s.key for s in stages] == ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
    assert [s.kind for s in stages] == ["open"] * 4 + ["won", "lost"]
    assert [s.probability for s in stages] == [0.1, 0.25, 0.5, 0.75, 1.0, 0.0]
    assert stages[0].label("zh") == "线索开发" and stages[4].label("en") == "Won"
    fixed = check_stages([{**DEFAULTS[4], "probability": 0.3}, {**DEFAULTS[5], "probability": 0.9}, DEFAULTS[0]])
    assert [s.probability for s in fixed] == [1.0, 0.0, 0.1]


@pytest.mark.parametrize(("stages", "field", "reason"), [
    ([*DEFAULTS, DEFAULTS[1]], "stages[6].key", "used twice"),
    ([s for s in DEFAULTS if s["kind"] != "won"], "stages", "needs exactly one won stage, has 0"),
    ([*DEFAULTS, {**DEFAULTS[5], "key": "lost_again"}], "stages", "needs exactly one lost stage, has 2"),
    ([DEFAULTS[4], DEFAULTS[5], {**DEFAULTS[4], "key": "won2", "kind": "lost"}], "stages",
     "needs at least one open stage"),
    ([{**DEFAULTS[0], "key": "Bad Key"}, *DEFAULTS[1:]], "stages[0].key", None),
    ([{**DEFAULTS[0], "probability": 1.5}, *DEFAULTS[1:]], "stages[0].probability", None),
    (DEFAULTS[:2], "stages", "between 3 and 20 stages"),
])
def test_stage_lists_that_are_no_pipeline_are_refused(stages: list, field: str, reason: str | None) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_stages(stages)
    assert err.value.details[0]["field"] == field
    if reason is not None:
        assert err.value.details[0]["reason"] == reason


def test_only_admins_change_stages(session: Session, seeded: Seeded) -> None:
    with pytest.raises(Forbidden):
        save_stages(session=session, stages=DEFAULTS, principal=seeded.principal("maria", "manager"), channel="api")


def test_a_stage_in_use_cannot_go_until_its_deals_move(session: Session, seeded: Seeded) -> None:
    admin = seeded.principal("maria", "admin")
    without_negotiation = [s for s in DEFAULTS if s["key"] != "negotiation"]
    with pytest.raises(ConflictError) as err:
        save_stages(session=session, stages=without_negotiation, principal=admin, channel="page")
    assert "Negotiation (negotiation) has 1 open deal" in err.value.message
    assert err.value.details == [{"field": "move.negotiation", "reason": "in use", "value": 1,
                                  "stage": "negotiation", "open_deals": 1}]
    assert [s.key for s in get_stages(session=session)][3] == "negotiation"  # nothing changed
    with pytest.raises(ValidationFailed):  # a removed stage's deals go to an open stage, never closed in bulk
        save_stages(session=session, stages=without_negotiation, principal=admin, channel="page",
                    move={"negotiation": "won"})
    result = save_stages(session=session, stages=without_negotiation, principal=admin, channel="page",
                         move={"negotiation": "proposal"})
    assert result["moved"] == {"negotiation": 1}
    cups = session.get(Opportunity, seeded.deals["cups"])
    assert cups.stage == "proposal" and cups.outcome == "open"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.record_id == cups.id)).one()
    assert (entry.action, entry.changes, entry.channel) == ("stage_change", {"stage": ["negotiation", "proposal"]},
                                                            "page")
    config = session.scalars(select(AuditEntry).where(AuditEntry.entity == "settings")).one()
    assert config.user_id == seeded.users["maria"]
    session.commit()
    with Session(session.get_bind()) as fresh:
        assert "negotiation" not in [s.key for s in get_stages(session=fresh)]


def test_renaming_the_lost_stage_takes_its_deals_along(session: Session, seeded: Seeded) -> None:
    admin = seeded.principal("maria", "admin")
    close_opportunity(session=session, opportunity_id=seeded.deals["odd"], outcome="lost", reason="No budget",
                      principal=admin, channel="api")
    renamed = stages_with(lost={"key": "closed_lost", "name_en": "Closed lost"})
    result = save_stages(session=session, stages=renamed, principal=admin, channel="api")
    odd = session.get(Opportunity, seeded.deals["odd"])
    assert result["moved"] == {"lost": 1} and (odd.stage, odd.outcome, odd.close_reason) == (
        "closed_lost", "lost", "No budget")
    assert session.get(Opportunity, seeded.deals["lost1"]).stage == "closed"  # an imported stage is left alone


# --- moving and closing -------------------------------------------------------------------------------------

def test_moving_a_card_is_audited_and_tells_webhook_subscribers(session: Session, seeded: Seeded) -> None:
    session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["opportunity.stage_changed"],
                                    secret="s3cret"))
    session.flush()
    alice = seeded.principal("alice", "sales")
    mugs = move_opportunity(session=session, opportunity_id=seeded.deals["mugs"], stage="qualification",
                            principal=alice, channel="page", expected_version=1)
    assert (mugs.stage, mugs.outcome, mugs.version) == ("qualification", "open", 2)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.record_id == mugs.id)).one()
    assert (entry.entity, entry.action, entry.changes) == ("opportunities", "stage_change",
                                                           {"stage": ["prospecting", "qualification"]})
    assert (entry.user_id, entry.actor, entry.channel) == (seeded.users["alice"], "alice", "page")
    delivery = session.scalars(select(WebhookDelivery)).one()  # record.changed is not subscribed
    assert delivery.event == "opportunity.stage_changed" and delivery.status == "pending"
    data = delivery.payload["data"]
    assert (data["id"], data["from_stage"], data["to_stage"], data["outcome"], data["by"]) == (
        mugs.id, "prospecting", "qualification", "open", "alice")
    # the same stage again changes nothing: no audit row, no event, no new version
    move_opportunity(session=session, opportunity_id=mugs.id, stage="qualification", principal=alice,
                     channel="page", expected_version=2)
    assert mugs.version == 2 and len(session.scalars(select(WebhookDelivery)).all()) == 1


def test_won_and_lost_need_a_reason_and_close_the_deal(session: Session, seeded: Seeded) -> None:
    bob = seeded.principal("bob", "sales")
    for reason in (None, "   "):
        with pytest.raises(ValidationFailed) as err:
            move_opportunity(session=session, opportunity_id=seeded.deals["cups"], stage="won", principal=bob,
                             channel="api", reason=reason)
        assert err.value.details[0]["field"] == "reason"
    cups = close_opportunity(session=session, opportunity_id=seeded.deals["cups"], outcome="won",
                             reason="  Beat the  competitor on lead time ", principal=bob, channel="api")
    assert (cups.stage, cups.outcome, cups.close_reason) == ("won", "won", "Beat the competitor on lead time")
    assert cups.closed_at is not None
    changes = session.scalars(select(AuditEntry).where(AuditEntry.record_id == cups.id)).one().changes
    assert set(changes) == {"stage", "outcome", "close_reason", "closed_at"}
    assert changes["outcome"] == ["open", "won"]
    reopened = move_opportunity(session=session, opportunity_id=cups.id, stage="negotiation", principal=bob,
                                channel="api", expected_version=cups.version)
    assert (reopened.outcome, reopened.closed_at, reopened.close_reason) == ("open", None, None)


def test_unknown_stages_and_stale_versions_change_nothing(session: Session, seeded: Seeded) -> None:
    maria = seeded.principal("maria", "manager")
    with pytest.raises(ValidationFailed) as err:
        move_opportunity(session=session, opportunity_id=seeded.deals["tea"], stage="closed", principal=maria,
                         channel="api")
    assert err.value.details == [{"field": "stage", "reason": "unknown stage", "value": "closed"}]
    move_opportunity(session=session, opportunity_id=seeded.deals["tea"], stage="negotiation", principal=maria,
                     channel="api", expected_version=1)
    with pytest.raises(ConflictError):
        move_opportunity(session=session, opportunity_id=seeded.deals["tea"], stage="prospecting", principal=maria,
                         channel="api", expected_version=1)
    tea = session.get(Opportunity, seeded.deals["tea"])
    assert (tea.stage, tea.version) == ("negotiation", 2)
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.record_id == tea.id)).all()) == 1


def test_sales_users_move_only_their_own_deals_and_viewers_none(session: Session, seeded: Seeded) -> None:
    alice, vera = seeded.principal("alice", "sales"), seeded.principal("vera", "viewer")
    move_opportunity(session=session, opportunity_id=seeded.deals["tea"], stage="negotiation", principal=alice,
                     channel="page")
    for who in (alice, vera):
        with pytest.raises(Forbidden):
            move_opportunity(session=session, opportunity_id=seeded.deals["cups"], stage="proposal", principal=who,
                             channel="page")
    assert session.get(Opportunity, seeded.deals["cups"]).stage == "negotiation"
    move_opportunity(session=session, opportunity_id=seeded.deals["cups"], stage="proposal", principal=SYSTEM,
                     channel="cli")
    assert session.get(Opportunity, seeded.deals["cups"]).stage == "proposal"


def test_an_update_never_moves_a_deal_only_the_pipeline_does(session: Session, seeded: Seeded) -> None:
    """A change of a deal's fields cannot set its stage, outcome or close date (that would skip the configured
    stages, the reason for won and lost and the stage_changed event): it is refused, naming the stage route."""
    session.add(WebhookSubscription(url="http://127.0.0.1:9/hook", events=["opportunity.stage_changed"],
                                    secret="s3cret"))
    maria = seeded.principal("maria", "manager")
    cups = seeded.deals["cups"]
    for data in ({"stage": "won"}, {"outcome": "won", "amount": 5000}, {"closed_at": datetime(2024, 3, 30)}):
        with pytest.raises(ValidationFailed) as err:
            update_record(session=session, entity="opportunities", record_id=cups, data=data, principal=maria,
                          channel="api")
        given = [f for f in ("stage", "outcome", "closed_at") if f in data]
        assert [d["field"] for d in err.value.details] == given
        assert f"POST /api/v1/opportunities/{cups}/stage" in err.value.message
    deal = session.get(Opportunity, cups)
    assert (deal.stage, deal.outcome, deal.amount, deal.version) == ("negotiation", "open", 4000, 1)
    update_record(session=session, entity="opportunities", record_id=cups, principal=maria, channel="api",
                  data={"name": "Cups 2024", "amount": 4200, "next_step": "Send samples"}, expected_version=1)
    assert (deal.name, deal.amount, deal.next_step, deal.stage, deal.version) == (
        "Cups 2024", 4200, "Send samples", "negotiation", 2)
    won = seeded.deals["won1"]  # a won deal's reason may be reworded, never removed
    update_record(session=session, entity="opportunities", record_id=won, data={"close_reason": "Price"},
                  principal=maria, channel="api")
    with pytest.raises(ValidationFailed) as err:
        update_record(session=session, entity="opportunities", record_id=won, data={"close_reason": None},
                      principal=maria, channel="api")
    assert err.value.details[0]["field"] == "close_reason"
    assert session.get(Opportunity, won).close_reason == "Price"
    assert session.scalars(select(WebhookDelivery)).all() == []


def test_imports_and_syncs_still_set_the_stage_from_the_source(engine: Engine, session: Session,
                                                                seeded: Seeded) -> None:
    report = import_frame("opportunities", pd.DataFrame([{
        "external_id": "tea", "account_external_id": "ACME", "name": "Tea", "stage": "closed", "amount": 2000,
        "currency": "EUR", "created_at": datetime(2024, 3, 10), "closed_at": datetime(2024, 3, 28),
        "outcome": "won"}]), source="crm.csv", strict=True, engine=engine)
    assert not report.rejected
    tea = session.get(Opportunity, seeded.deals["tea"])
    assert (tea.stage, tea.outcome, tea.closed_at) == ("closed", "won", datetime(2024, 3, 28))
    synced = upsert_by_external_id(session=session, entity="opportunities", external_id="mugs", principal=SYSTEM,
                                   channel="api", data={"stage": "proposal"})
    assert (synced.created, synced.changes["stage"], synced.record.stage) == (
        False, ["prospecting", "proposal"], "proposal")


# --- the board, totals and the forecast ---------------------------------------------------------------------

def test_the_board_has_a_column_per_open_stage_and_keeps_unknown_stages(session: Session, seeded: Seeded) -> None:
    alice = seeded.principal("alice", "sales")
    result = board(session=session, principal=alice, lang="zh")
    columns = {c["key"]: c for c in result["columns"]}
    assert list(columns) == ["prospecting", "qualification", "proposal", "negotiation", "discovery"]
    assert columns["prospecting"]["name"] == "线索开发" and not columns["discovery"]["configured"]
    assert [c["count"] for c in columns.values()] == [1, 0, 1, 1, 1]
    assert result["model"]["model"] == "winprob" and result["model"]["state"] == "missing"
    tea = columns["proposal"]["cards"][0]
    assert (tea["name"], tea["account_name"], tea["owner_name"], tea["amount"], tea["currency"]) == (
        "Tea", "Acme Trading Co", "alice", 2000, "EUR")
    assert (tea["next_step"], tea["age_days"], tea["version"]) == ("Call about tea", 21, 1)
    assert (tea["probability"], tea["basis"], tea["weighted"], tea["model_state"]) == (0.5, "stage", 1000.0,
                                                                                       "missing")
    assert columns["discovery"]["cards"][0]["basis"] == "none"
    assert {c["name"]: c["can_move"] for col in columns.values() for c in col["cards"]} == {
        "Mugs": True, "Tea": True, "Cups": False, "Odd": False}
    viewer = board(session=session, principal=seeded.principal("vera", "viewer"))
    assert not any(c["can_move"] for col in viewer["columns"] for c in col["cards"])
    mine = board(session=session, principal=alice, owner="me")
    assert sorted(c["name"] for col in mine["columns"] for c in col["cards"]) == ["Mugs", "Tea"]
    assert board(session=session, owner="bob")["columns"][3]["cards"][0]["name"] == "Cups"
    with pytest.raises(ValidationFailed):
        board(session=session, principal=SYSTEM, owner="me")


def test_totals_by_stage(session: Session, seeded: Seeded) -> None:
    result = totals(session=session)
    rows = {r["key"]: (r["count"], r["amount"], r["weighted"]) for r in result["stages"]}
    assert rows == {"prospecting": (1, 1000, 100), "qualification": (0, 0, 0), "proposal": (1, 2000, 1000),
                    "negotiation": (1, 4000, 3000), "won": (3, 7000, 7000), "lost": (1, 800, 0),
                    "discovery": (1, 500, 0)}
    assert result["open"] == {"count": 4, "amount": OPEN_AMOUNT, "weighted": WEIGHTED}
    mine = totals(session=session, principal=seeded.principal("alice", "sales"), owner="me")
    assert mine["open"] == {"count": 2, "amount": 3000, "weighted": 1100}


def test_weighted_forecast_by_month_and_owner(session: Session, seeded: Seeded) -> None:
    assert close_estimate(session=session) == {"days": 40, "basis": "won_median", "won_deals": 3}
    by_month = forecast(session=session, by="month")
    rows = [(r["key"], r["count"], r["amount"], r["weighted"], r["dates_set"], r["dates_estimated"], r["past"])
            for r in by_month["rows"]]
    assert rows == [("2024-04", 3, 3500, 1100, 1, 2, False), ("2024-05", 1, 4000, 3000, 1, 0, False)]
    assert by_month["rows"][0]["stage_weighted"] == 2 and by_month["rows"][0]["unweighted"] == 1
    assert by_month["total"]["weighted"] == WEIGHTED and by_month["total"]["amount"] == OPEN_AMOUNT
    by_owner = forecast(session=session, by="owner")
    assert [(r["label"], r["count"], r["amount"], r["weighted"]) for r in by_owner["rows"]] == [
        ("bob", 2, 4500, 3000), ("alice", 2, 3000, 1100)]
    for ext in ("won1", "won2", "won3"):
        session.get(Opportunity, seeded.deals[ext]).archived_at = datetime(2024, 3, 1)
    session.flush()
    assert close_estimate(session=session) == {"days": 30, "basis": "default", "won_deals": 0}
    assert [r["key"] for r in forecast(session=session)["rows"]] == ["2024-03", "2024-04", "2024-05"]


def test_forecast_by_owner_counts_unassigned_deals_for_their_accounts_owner(session: Session,
                                                                            seeded: Seeded) -> None:
    """A deal nobody is assigned to belongs to its account's owner (who may move it): the forecast by owner, and
    the owner filter, count it for them; a deal without an owning account keeps the owner an import named."""
    session.add_all([
        Opportunity(external_id="bowls", account_id=seeded.accounts["BOREALIS"], name="Bowls", stage="proposal",
                    amount=1000, currency="EUR", owner="Former Rep", created_at=datetime(2024, 3, 5)),
        Opportunity(external_id="stray", account_id=None, name="Stray", stage="proposal", amount=600,
                    currency="EUR", owner="Former Rep", created_at=datetime(2024, 3, 5)),
        Opportunity(external_id="nobody", account_id=None, name="Nobody", stage="prospecting", amount=100,
                    currency="EUR", created_at=datetime(2024, 3, 5))])
    session.flush()
    rows = forecast(session=session, by="owner")["rows"]
    assert [(r["key"], r["label"], r["count"], r["amount"], r["weighted"]) for r in rows] == [
        (f"user:{seeded.users['bob']}", "bob", 3, 5500, 3500),
        (f"user:{seeded.users['alice']}", "alice", 2, 3000, 1100),
        ("name:Former Rep", "Former Rep", 1, 600, 300), ("none", None, 1, 100, 10)]
    bob = seeded.principal("bob", "sales")
    mine = forecast(session=session, by="owner", owner="me", principal=bob)
    assert [(r["label"], r["count"], r["weighted"]) for r in mine["rows"]] == [("bob", 3, 3500)]
    assert forecast(session=session, by="owner", owner="bob")["total"]["weighted"] == 3500
    assert "Bowls" in {c["name"] for col in board(session=session, owner="me", principal=bob)["columns"]
                       for c in col["cards"]}


def test_model_scores_weigh_the_deals_they_cover(engine: Engine, session: Session, seeded: Seeded) -> None:
    outcome = run_training(WINPROB, engine=engine, trigger="test")
    assert outcome.status == "finished", outcome.message
    scores = {o.subject_id: o.payload for o in session.scalars(select(ModelOutput)
                                                                .where(ModelOutput.model == "winprob"))}
    assert set(scores) == {seeded.deals[k] for k in ("mugs", "tea", "cups", "odd")}
    late = Opportunity(external_id="late", name="Late", stage="qualification", amount=100.0, currency="EUR",
                       created_at=datetime(2024, 3, 20), outcome="open", expected_close=date(2024, 4, 30))
    session.add(late)
    session.flush()  # created after training: no score, weighted by its stage
    amounts = {"mugs": 1000, "tea": 2000, "cups": 4000, "odd": 500}
    expected = round(sum(amounts[k] * scores[seeded.deals[k]]["probability"] for k in amounts) + 100 * 0.25, 2)
    result = forecast(session=session, by="month")
    assert result["model"] is None and result["total"]["weighted"] == pytest.approx(expected, abs=0.02)
    assert result["total"]["model_scored"] == 4 and result["total"]["stage_weighted"] == 1
    cards = {c["name"]: c for col in board(session=session)["columns"] for c in col["cards"]}
    tea = scores[seeded.deals["tea"]]
    assert cards["Tea"]["basis"] == "model" and cards["Tea"]["probability"] == tea["probability"]
    assert cards["Tea"]["positive"] == tea["positive"][:3] and cards["Tea"]["negative"] == tea["negative"][:3]
    assert cards["Late"]["basis"] == "stage" and cards["Late"]["probability"] == 0.25
