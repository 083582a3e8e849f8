"""Customer intelligence: training the models from the registry (ModelRun records, outputs), profiles, scores
with factors, forecasts with intervals, read from what training computed; sections whose model is not trained
yet say so instead of training on the request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain import Opportunity, Product
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ModelNotReady, NotFoundError
from bizpilot.ingest.demo import build_demo
from bizpilot.services.intelligence.forecasts import product_forecasts
from bizpilot.services.intelligence.profile import account_intelligence, llm_narrative, narrative
from bizpilot.services.intelligence.scores import (
    account_repurchase,
    account_segment,
    at_risk_accounts,
    churn_scores,
    opportunity_scores,
    segment_summary,
)
from bizpilot.services.intelligence.specs import CHURN, FORECAST, SEGMENTS, WINPROB
from bizpilot.services.models.jobs import run_training, train_many
from bizpilot.services.models.store import get_store
from bizpilot.services.overview import top_accounts
from bizpilot.services.recommend.specs import REORDER
from tests.services import sample_data as sd

from .recommend_data import FEE, seed_recommend_workspace

INTEL = (SEGMENTS, CHURN, WINPROB, FORECAST, REORDER)


class _Backend:
    """A stand-in LLM that writes whatever text it was given (the real ones need a model file)."""

    model_name = "echo"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, prompt: object, options: object = None) -> object:
        return type("Completion", (), {"text": self.text, "model": "echo"})()


def test_demo_workspace_intelligence(engine: Engine) -> None:
    build_demo(engine=engine)
    outcomes = train_many(INTEL, engine=engine, trigger="test")
    assert [(o.name, o.status) for o in outcomes] == [(s.name, "finished") for s in INTEL], outcomes
    for spec in (SEGMENTS, CHURN, WINPROB, FORECAST):
        assert get_store().exists(spec)
    with Session(engine) as session:
        runs = {r.task: r for r in session.scalars(select(ModelRun))}
        assert set(runs) == {s.name for s in INTEL}
        assert runs["churn"].metrics["auc"] > 0.7 and runs["winprob"].metrics["method"] == "lightgbm"

        account_id = session.scalar(select(Opportunity.account_id).where(Opportunity.outcome == "open"))
        profile = account_intelligence(session=session, account_id=account_id)
        assert profile["pending"] == []
        assert profile["rfm"]["segment_definition"]
        rep = profile["repurchase"]
        assert 0.01 <= rep["probability"] <= 0.99 and (rep["positive"] or rep["negative"])
        opp = profile["open_opportunities"][0]
        assert 0.01 <= opp["probability"] <= 0.99 and (opp["positive"] or opp["negative"])
        assert profile["reorders"] and all(r["expected_low"] <= r["expected_units"] <= r["expected_high"]
                                           for r in profile["reorders"])
        text = profile["narrative"]["text"]
        assert profile["name"] in text and profile["rfm"]["segment_name"] in text
        assert profile["narrative"]["source"] == "template"

        forecasts = product_forecasts(session=session, top=3)
        assert len(forecasts) == 3
        for f in forecasts:
            assert len(f.mean) == len(f.lower) == len(f.upper) == 8
            assert all(lo <= m <= hi for lo, m, hi in zip(f.lower, f.mean, f.upper, strict=True))
            assert f.method == runs["forecast"].metrics["method"]
        assert [f.total_next for f in forecasts] and sum(f.history[-1] for f in forecasts) >= 0
        one = product_forecasts(session=session, product_id=forecasts[1].product_id)
        assert [f.product_id for f in one] == [forecasts[1].product_id]
        summary = segment_summary(session=session)
        assert sum(s["accounts"] for s in summary) == runs["segments"].metrics["n_accounts"] > 0
        risky = at_risk_accounts(session=session, limit=5)
        assert len(risky) == 5 and all(r["negative"] for r in risky)
        assert [r["risk_value"] for r in risky] == sorted((r["risk_value"] for r in risky), reverse=True)
        with pytest.raises(NotFoundError):
            account_intelligence(session=session, account_id=10 ** 6)

        # an opportunity closed after training leaves the list of open ones at once (no retrain needed)
        session.execute(update(Opportunity).where(Opportunity.id == opp["id"]).values(outcome="won"))
        session.flush()
        assert opp["id"] not in [o["id"] for o in opportunity_scores(session=session, account_id=account_id)]
        session.rollback()


def test_sections_whose_model_is_not_trained_say_so(engine: Engine, sample: dict[str, int],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    with Session(engine) as session:
        profile = account_intelligence(session=session, account_id=sample["ACME"])
        assert [(p["section"], p["model"], p["state"]) for p in profile["pending"]] == [
            ("rfm", "segments", "missing"), ("repurchase", "churn", "missing"),
            ("open_opportunities", "winprob", "missing"), ("reorders", "reorder", "missing")]
        assert profile["rfm"] is None and profile["repurchase"] is None and profile["reorders"] == []
        # what needs no model is there all the same (discounts are a share of the line: 10 x 4 + 100 x 3.5 x 0.8)
        assert profile["top_categories"] == [{"category": "Kitchen", "spend": 320.0},
                                             {"category": "Tea", "spend": 65.0}]
        assert profile["last_order"] == "2024-03-02" and profile["recent_sentiment"]["messages_90d"] == 2
        assert profile["narrative"]["text"].startswith("Acme Trading Co (Retail, 51-200 staff, China).")
        for read in (lambda: segment_summary(session=session),
                     lambda: at_risk_accounts(session=session),
                     lambda: product_forecasts(session=session)):
            with pytest.raises(ModelNotReady) as info:
                read()
            assert info.value.state == "missing"


def test_segments_and_scores_on_hand_checked_data(engine: Engine, sample: dict[str, int]) -> None:
    outcomes = train_many(INTEL, engine=engine, trigger="test")
    assert {o.name: o.status for o in outcomes} == {"segments": "finished", "churn": "finished",
                                                    "winprob": "finished", "forecast": "skipped",
                                                    "reorder": "finished"}
    with Session(engine) as session:
        revenue = {a.name: a.revenue for a in top_accounts(session=session)}
        acme = account_segment(session=session, account_id=sample["ACME"])
        # today is the day of the newest activity (2024-03-09): the last ACME order was 2024-03-02
        assert acme is not None and acme["recency_days"] == 8 and acme["frequency"] == 3
        assert acme["monetary"] == revenue["Acme Trading Co"] == sd.ACCOUNT_REVENUE["ACME"][0]
        assert acme["segment"] == "champions" and acme["segment_action"]
        assert account_segment(session=session, account_id=sample["CEDAR"]) is None  # never bought
        assert account_repurchase(session=session, account_id=sample["CEDAR"]) is None
        scores = churn_scores(session=session)
        assert sorted(scores.index) == sorted([str(sample["ACME"]), str(sample["BOREALIS"])])
        risky = at_risk_accounts(session=session)
        assert [r["name"] for r in risky] == ["Borealis Foods GmbH", "Acme Trading Co"]
        for r in risky:  # (1 - p) x spend (p is shown to 4 places)
            assert r["risk_value"] == pytest.approx((1 - r["probability"]) * r["monetary"], abs=0.02)
        opps = opportunity_scores(session=session)
        assert [o["name"] for o in opps] == ["Spring fair mugs"]  # the open one; the won deal taught the model
        assert opps[0]["method"] == "frequency-fallback" and opps[0]["fallback_reason"]
        with pytest.raises(ModelNotReady) as info:
            product_forecasts(session=session)
        assert info.value.state == "skipped" and "12 complete weeks" in info.value.message


def test_forecasts_leave_out_non_merchandise(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)
    assert run_training(FORECAST, engine=engine, trigger="test").status == "finished"
    with Session(engine) as session:
        fee = session.scalar(select(Product.id).where(Product.sku == FEE))
        forecasts = product_forecasts(session=session, top=100)
        assert len(forecasts) == 13 and FEE not in [f.sku for f in forecasts]
        with pytest.raises(NotFoundError, match="no sales to forecast"):
            product_forecasts(session=session, product_id=fee)


def test_llm_narrative_keeps_to_the_facts() -> None:
    profile = {"name": "Acme Trading", "firmographics": {"industry": "retail", "size_band": "11-50", "country": "UK"},
               "rfm": {"segment_name": "At risk", "code": "155", "frequency": 12, "monetary": 5400.0,
                       "recency_days": 140, "segment_definition": "used to buy often, not lately"},
               "top_categories": [{"category": "Mugs", "spend": 3000.0}], "purchase_cycle_days": 30.0,
               "repurchase": {"probability": 0.2, "horizon_days": 90}, "open_opportunities": [],
               "risks": ["low chance of ordering in the next 90 days (20%)"], "next_actions": ["call the buyer"]}
    template = narrative(profile)
    assert "Acme Trading" in template and "At risk" in template and "20%" in template
    invented = llm_narrative(profile, backend=_Backend("They will order 987654 units next week."))
    assert invented["source"] == "template" and "987654" in invented["reason"] and invented["text"] == template
    faithful = llm_narrative(profile, backend=_Backend("Acme Trading (UK) has not ordered for 140 days."))
    assert faithful["source"] == "llm" and faithful["text"].startswith("Acme")
