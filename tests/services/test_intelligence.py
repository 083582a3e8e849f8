"""Customer intelligence on the demo workspace: training with ModelRun records, profiles, scores with factors,
forecasts with intervals."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import NotFoundError
from bizpilot.ingest.demo import build_demo
from bizpilot.services import intelligence as intel
from bizpilot.services.intelligence.models import model_path
from bizpilot.services.intelligence.profile import llm_narrative, narrative


class _Backend:
    """A stand-in LLM that writes whatever text it was given (the real ones need a model file)."""

    model_name = "echo"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, prompt: object, options: object = None) -> object:
        return type("Completion", (), {"text": self.text, "model": "echo"})()


def test_demo_workspace_intelligence(engine: Engine) -> None:
    build_demo(engine=engine)
    with Session(engine) as session:
        for name in intel.MODEL_NAMES:
            result = intel.train_model(session, name=name)
            assert model_path(name).exists() and result["run_id"]
        session.commit()
        runs = {r.task: r for r in session.scalars(select(ModelRun))}
        assert set(runs) == set(intel.MODEL_NAMES)
        assert runs["churn"].metrics["auc"] > 0.7 and runs["winprob"].metrics["method"] == "lightgbm"

        account_id = session.scalar(select(Opportunity.account_id).where(Opportunity.outcome == "open"))
        profile = intel.account_intelligence(session, account_id=account_id)
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

        forecasts = intel.product_forecasts(session, top=3)
        assert len(forecasts) == 3
        for f in forecasts:
            assert len(f.mean) == len(f.lower) == len(f.upper) == 8
            assert all(lo <= m <= hi for lo, m, hi in zip(f.lower, f.mean, f.upper, strict=True))
        assert sum(s["accounts"] for s in intel.segment_summary(session)) > 0
        risky = intel.at_risk_accounts(session, limit=5)
        assert len(risky) == 5 and all(r["negative"] for r in risky)
        with pytest.raises(NotFoundError):
            intel.account_intelligence(session, account_id=10 ** 6)


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
