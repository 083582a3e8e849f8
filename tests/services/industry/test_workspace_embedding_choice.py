"""`train industry --workspace-embedding` is a choice that stays: the run records it, and a retrain that does not
say (`train all`, the schedule) keeps it."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain.model_run import ModelRun
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.registry import MODELS
from tests.services import sample_data as sd


def _train(engine: Engine, **params: object) -> bool:
    outcome = run_training(MODELS["industry"], engine=engine, trigger="test", params={"embedder": "minilm", **params})
    assert outcome.status == "finished", outcome.message
    with Session(engine) as session:
        run = session.scalar(select(ModelRun).where(ModelRun.id == outcome.run_id))
        assert run is not None and run.metrics["embedding"] == "minilm"  # no workspace embedding model here
        return bool(run.params["workspace_embedding"])


def test_the_workspace_embedding_choice_is_kept_across_retrains(engine: Engine) -> None:
    sd.load_sample(engine)
    assert _train(engine, workspace_embedding=True) is True
    assert _train(engine) is True  # a retrain that does not say keeps it
