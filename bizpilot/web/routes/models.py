"""Models page: every workspace model with its state, current run, health flags and recent runs; retrain one or
all in the background (the page refreshes itself while they train). A text model fitted through a workspace
embedding model that is gone since (its run recorded the configuration, ``metrics["embedding"]``) is shown as stale:
it reads base vectors now, unlike what it learned from, until it is retrained."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.services.models import jobs
from bizpilot.services.models.overview import overview
from bizpilot.services.models.registry import MODELS, get_spec, train_all_specs
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import REFRESH_SECONDS

router = APIRouter()


@router.get("/models", name="models")
def models_page(request: Request, session: SessionDep) -> Response:
    lang = request_lang(request)
    rows = overview(session=session, specs=list(MODELS.values()))
    training = any(r["state"] in ("queued", "training") for r in rows)
    return render(request, "models/index.html", title=t("models.title", lang), models=rows,
                  stale={r["name"]: r["embedding_problem"] for r in rows if r["embedding_problem"]},
                  refresh=REFRESH_SECONDS if training else None)


@router.post("/models/train", name="models_train_all")
def train_all(request: Request, session: SessionDep) -> Response:
    jobs.request_many(train_all_specs(), engine=session.get_bind(), trigger="page")  # type: ignore[arg-type]
    return RedirectResponse(f"{request.scope.get('root_path', '')}/models", status_code=303)


@router.post("/models/{name}/train", name="models_train")
def train_one(request: Request, name: str, session: SessionDep) -> Response:
    spec = get_spec(name)
    if spec.in_train_all:
        jobs.request_training(spec, engine=session.get_bind(), trigger="page")  # type: ignore[arg-type]
    return RedirectResponse(f"{request.scope.get('root_path', '')}/models#model-{name}", status_code=303)
