"""The recommendation service on a small workspace: training records runs (the recommender's file, the reorder
view's outputs); next-best products with reasons; inactive and non-merchandise products never shown; one
replenishment view for the account profile and the reorder-due list; similar products; new accounts fall back;
nothing is trained on the request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Product
from bizpilot.domain.model_run import ModelOutput, ModelRun
from bizpilot.errors import ModelNotReady, NotFoundError
from bizpilot.services import recommend as service
from bizpilot.services.clock import workspace_today
from bizpilot.services.intelligence.profile import account_profile
from bizpilot.services.models import jobs
from bizpilot.services.models.access import load_model
from bizpilot.services.models.store import get_store
from bizpilot.services.recommend.specs import RECOMMEND, REORDER

from .recommend_data import FEE, seed_recommend_workspace, train_recommend_models


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_recommend_workspace(engine)
    return engine


@pytest.fixture
def session(seeded: Engine):  # type: ignore[no-untyped-def]
    with Session(seeded) as session:
        yield session


def _ids(session: Session, model: type, column: str, values: list[str]) -> dict[str, int]:
    key = getattr(model, column)
    return {k: i for k, i in session.execute(select(key, model.id).where(key.in_(values)))}


def test_training_saves_the_model_and_records_runs(session: Session) -> None:
    runs = {r.task: r for r in session.scalars(select(ModelRun))}
    assert set(runs) == {"recommend", "reorder"} and all(r.status == "finished" for r in runs.values())
    run = runs["recommend"]
    assert run.metrics["n_accounts"] == 20 and run.metrics["n_cold_products"] == 1
    assert run.metrics["n_products"] == 14  # the fee is not a product anyone is recommended
    assert run.artifact_path == str(get_store().path(RECOMMEND)) and get_store().exists(RECOMMEND)
    assert run.n_rows == 480  # 20 accounts x 6 orders x 4 products; the fee lines are not purchases of goods
    assert run.metrics["text_embedder"] == "hash-char-2-4" and run.metrics["text_fallback_reason"] is None
    reorder = runs["reorder"]
    assert reorder.artifact_path is None and reorder.metrics["pairs"] == 80 and reorder.metrics["outputs"] == 80
    assert reorder.params == {"horizon_days": 30, "min_orders": 2}


def test_next_best_for_an_account_stays_in_its_basket_with_reasons(session: Session) -> None:
    out = service.recommend_for_account(session=session, account="B01", n=3)
    assert out["account"]["industry"] == "construction" and not out["fallback"]
    skus = [i["sku"] for i in out["items"]]
    assert len(skus) == 3 and all(s.startswith("DRL") for s in skus)
    assert all(i["reason"] for i in out["items"])
    assert {i["reason_kind"] for i in out["items"]} <= {"peers", "bought_with", "similar_text", "popular"}
    assert any("construction" in i["reason"] for i in out["items"])
    office = service.recommend_for_account(session=session, account="O01", n=10, lang="zh")
    assert "PAP-OLD" not in [i["sku"] for i in office["items"]], "inactive products are never recommended"
    assert all(i["sku"].startswith("PAP") for i in office["items"][:2])


def test_non_merchandise_never_appears(session: Session) -> None:
    fee = session.scalar(select(Product.id).where(Product.sku == FEE))
    for account in ("B01", "O03", "NEW"):
        out = service.recommend_for_account(session=session, account=account, n=50, include_bought=True)
        assert FEE not in [i["sku"] for i in out["items"]] and out["items"]
        assert all(r["product_id"] != fee for r in out["reorder"])
    everyone = service.reorder_due(session=session, limit=1000)
    assert everyone["items"] and all(r["sku"] != FEE for r in everyone["items"])
    assert FEE not in [i["sku"] for i in service.similar_products(session=session, product="DRL-1", n=50)["items"]]
    assert session.scalar(select(ModelOutput.id).where(ModelOutput.item_id == fee)) is None


def test_reorder_due_list_finds_the_monthly_cycle(session: Session) -> None:
    out = service.reorder_due(session=session, account="B02")
    assert len(out["items"]) == 4
    assert out["as_of"] == workspace_today(session=session).isoformat() == "2025-06-07"  # the day of the newest order
    first = out["items"][0]
    assert 28 <= first["cycle_days"] <= 32 and first["n_orders"] == 6
    assert "every ~" in first["reason"] and first["status"] == "upcoming"
    assert first["expected_low"] <= first["expected_units"] <= first["expected_high"]
    assert 0.01 <= first["probability"] <= 0.99 and first["account_name"] == "Builder 2"
    everyone = service.reorder_due(session=session, limit=500)
    assert len(everyone["items"]) == 80
    due = [r["due_in_days"] for r in everyone["items"]]
    assert due == sorted(due)  # soonest first
    assert service.reorder_due(session=session, statuses=("overdue",))["items"] == []
    with pytest.raises(NotFoundError):
        service.reorder_due(session=session, account="ZZZ")


def test_one_replenishment_view_for_the_profile_and_the_due_list(session: Session) -> None:
    account_id = _ids(session, Account, "external_id", ["O04"])["O04"]
    profile = account_profile(session=session, account_id=account_id)
    due = {r["product_id"]: r for r in service.reorder_due(session=session, account="O04")["items"]}
    recs = {r["product_id"]: r for r in service.recommend_for_account(session=session, account="O04", n=3)["reorder"]}
    assert profile["reorders"] and set(due) == set(recs)
    assert {r["product_id"] for r in profile["reorders"]} <= set(due)
    for item in profile["reorders"]:
        same = due[item["product_id"]]
        for key in ("cycle_days", "due_date", "due_in_days", "status", "probability", "expected_units",
                    "last_purchase"):
            assert item[key] == same[key] == recs[item["product_id"]][key], key
    assert "reorders" not in [p["section"] for p in profile["pending"]]


def test_similar_products_and_the_new_product(session: Session) -> None:
    out = service.similar_products(session=session, product="DRL-NEW", n=3)
    assert not out["fallback"] and len(out["items"]) == 3 and all(i["sku"].startswith("DRL") for i in out["items"])
    with pytest.raises(NotFoundError):
        service.similar_products(session=session, product="NOPE")


def test_account_without_orders_gets_the_popularity_fallback(session: Session) -> None:
    out = service.recommend_for_account(session=session, account="NEW", n=3)
    assert out["fallback"] and out["fallback_reason"] and len(out["items"]) == 3
    assert out["reorder"] == []
    with pytest.raises(NotFoundError):
        service.recommend_for_account(session=session, account="ZZZ")


def test_an_untrained_model_is_trained_in_the_background_not_on_the_request(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)
    with Session(engine) as session:
        with pytest.raises(ModelNotReady) as info:
            service.recommend_for_account(session=session, account="B01", n=3)
        assert info.value.model == "recommend"  # answered at once: training happens in the background
        # every model the answer needs was queued at once (one wait, not one per model)
        assert jobs.in_flight(engine, "recommend") and jobs.in_flight(engine, "reorder")
        with pytest.raises(ModelNotReady) as info:
            service.reorder_due(session=session)
        assert info.value.model == "reorder"  # and not queued twice: two runs in all below
    jobs.wait(timeout=600)
    with Session(engine) as session:
        assert [(r.task, r.trigger, r.status) for r in session.scalars(select(ModelRun).order_by(ModelRun.id))] == [
            ("recommend", "on demand", "finished"), ("reorder", "on demand", "finished")]
        assert len(service.reorder_due(session=session, limit=500)["items"]) == 80
        # cached by the store
        assert load_model(session=session, spec=RECOMMEND) is load_model(session=session, spec=RECOMMEND)


def test_a_retrain_is_picked_up_by_the_next_request(session: Session, seeded: Engine) -> None:
    before = load_model(session=session, spec=RECOMMEND)
    train_recommend_models(seeded)
    after = load_model(session=session, spec=RECOMMEND)
    assert after is not before
    runs = list(session.scalars(select(ModelRun.id).where(ModelRun.task == REORDER.name)))
    assert len(runs) == 2
    assert {r.run_id for r in session.scalars(select(ModelOutput).where(ModelOutput.model == "reorder"))} == {
        max(runs)}
