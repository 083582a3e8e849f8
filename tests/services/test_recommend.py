"""The recommendation service on a small workspace: training records a run and saves a file; next-best products
with reasons; inactive products never shown; reorder-due list; similar products; new accounts fall back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import NotFoundError
from bizpilot.services import recommend as service

from .recommend_data import seed_recommend_workspace


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_recommend_workspace(engine)
    return engine


def test_training_saves_the_model_and_records_a_run(seeded: Engine) -> None:
    assert service.model_path().exists()
    with seeded.connect() as conn:
        runs = conn.execute(select(ModelRun).where(ModelRun.task == "recommend")).all()
    assert len(runs) == 1
    run = runs[0]
    assert run.metrics["n_accounts"] == 20 and run.metrics["n_cold_products"] == 1
    assert run.artifact_path == str(service.model_path()) and run.n_rows > 0


def test_next_best_for_an_account_stays_in_its_basket_with_reasons(seeded: Engine) -> None:
    out = service.recommend_for_account(engine=seeded, account="B01", n=3)
    assert out["account"]["industry"] == "construction" and not out["fallback"]
    skus = [i["sku"] for i in out["items"]]
    assert skus and all(s.startswith("DRL") for s in skus)
    assert all(i["reason"] for i in out["items"])
    assert {i["reason_kind"] for i in out["items"]} <= {"peers", "bought_with", "similar_text", "popular"}
    assert any("construction" in i["reason"] for i in out["items"])
    office = service.recommend_for_account(engine=seeded, account="O01", n=10, lang="zh")
    assert "PAP-OLD" not in [i["sku"] for i in office["items"]], "inactive products are never recommended"
    assert all(i["sku"].startswith("PAP") for i in office["items"][:2])


def test_reorder_due_list_finds_the_monthly_cycle(seeded: Engine) -> None:
    out = service.reorder_due(engine=seeded, account="B02")
    assert len(out["items"]) == 4
    first = out["items"][0]
    assert 28 <= first["cycle_days"] <= 32 and first["n_orders"] == 6
    assert "every ~" in first["reason"] and first["status"] in ("overdue", "due", "upcoming")
    everyone = service.reorder_due(engine=seeded, limit=500)
    assert len(everyone["items"]) == 80


def test_similar_products_and_the_new_product(seeded: Engine) -> None:
    out = service.similar_products(engine=seeded, product="DRL-NEW", n=3)
    assert not out["fallback"] and all(i["sku"].startswith("DRL") for i in out["items"])
    with pytest.raises(NotFoundError):
        service.similar_products(engine=seeded, product="NOPE")


def test_account_without_orders_gets_the_popularity_fallback(seeded: Engine) -> None:
    out = service.recommend_for_account(engine=seeded, account="NEW", n=3)
    assert out["fallback"] and out["fallback_reason"] and len(out["items"]) == 3
    with pytest.raises(NotFoundError):
        service.recommend_for_account(engine=seeded, account="ZZZ")


def test_model_is_trained_on_first_use(engine: Engine) -> None:
    seed_recommend_workspace(engine, train=False)
    assert not service.model_path().exists()
    with pytest.raises(NotFoundError):
        service.load_model(engine=engine, train_if_missing=False)
