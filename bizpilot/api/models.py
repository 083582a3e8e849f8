"""Workspace models over HTTP: every model with its state, runs and health flags (GET, role read); training one or
all of them as a background job (POST, role write: 202 with the queued state; poll GET /models/{name})."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bizpilot.api.deps import SessionDep
from bizpilot.domain.schemas import utc_datetimes
from bizpilot.services.models import jobs
from bizpilot.services.models.overview import describe, overview
from bizpilot.services.models.registry import MODELS, get_spec, train_all_specs

router = APIRouter(prefix="/models", tags=["models"])


class ModelOverview(BaseModel):
    """One model as ``GET /models`` and ``GET /models/{name}`` answer (``services/models/overview.describe``)."""

    name: str
    title: str
    summary: str
    version: str | None
    estimator: str | None
    state: str = Field(description="ready, queued, training, failed, skipped, missing or default (a shipped "
                                   "default is in use)")
    progress: float | None = Field(description="0..1 while queued or training")
    message: str | None
    last_error: str | None = Field(description="why the last retrain failed while the previous model still serves")
    in_train_all: bool
    default_note: str | None
    key_metrics: dict[str, str] = Field(description="metric -> higher or lower (which way is better)")
    current: dict[str, Any] | None = Field(description="the finished run that serves: metrics, data size, "
                                                       "duration, trigger, health")
    flags: list[str] = Field(description="a key metric that got worse at the last retrain, input drift since "
                                         "training, a fallback in use")
    runs: list[dict[str, Any]] = Field(description="recent runs, newest first")
    stale: bool = Field(description="the workspace embedding model the current run was fitted through is gone, so "
                                    "the model reads other vectors than it learned from until it is retrained")
    embedding_problem: str | None = Field(description="why the model is stale (None when it is not)")


ModelName = Annotated[str, Path(min_length=1, max_length=64, description=f"One of {', '.join(MODELS)}")]


@router.get("", response_model=list[ModelOverview])
async def list_models(session: SessionDep) -> list[dict[str, Any]]:
    """Every registered model: state (ready, queued, training with progress, failed with the reason, missing,
    default), the current run's metrics, data size, duration and trigger, recent runs, and flags (a key metric that
    got worse at the last retrain, input drift since training, a fallback in use), and whether it is stale
    (the workspace embedding model it was fitted through is gone: ``stale``, ``embedding_problem``)."""
    return utc_datetimes(await run_in_threadpool(overview, session=session, specs=list(MODELS.values())))


@router.get("/{name}", response_model=ModelOverview, responses={404: {"description": "No such model"}})
async def get_model(name: ModelName, session: SessionDep) -> dict[str, Any]:
    """One model: what it is, its state, its current run and its recent runs."""
    return utc_datetimes(await run_in_threadpool(describe, session=session, spec=get_spec(name), runs=50))


@router.post("/{name}/train", status_code=202, responses={404: {"description": "No such model"}})
def train_model(name: ModelName, session: SessionDep) -> JSONResponse:
    """Queue one model for training in the background (a model trained from a labelled file, intent or
    sentiment, is trained with `bizpilot train intent|sentiment FILE`). Answers at once; the model's state says
    queued, then training, then ready or failed."""
    spec = get_spec(name)
    if name in ("intent", "sentiment"):
        from bizpilot.errors import ValidationFailed

        raise ValidationFailed(f"the {name} model learns from a labelled file: `bizpilot train {name} FILE`",
                               details=[{"field": "name", "reason": "trained from a file", "value": name}])
    queued = jobs.request_training(spec, engine=session.get_bind(), trigger="api")  # type: ignore[arg-type]
    return JSONResponse({"queued": [name] if queued else [], "already_queued": [] if queued else [name]},
                        status_code=202)


@router.post("/train", status_code=202)
def train_all(session: SessionDep) -> JSONResponse:
    """Queue every workspace model (what `bizpilot train all` trains) in training order."""
    specs = train_all_specs()
    queued = jobs.request_many(specs, engine=session.get_bind(), trigger="api")  # type: ignore[arg-type]
    return JSONResponse({"queued": queued, "already_queued": [s.name for s in specs if s.name not in queued]},
                        status_code=202)
