"""Pipeline page: open deals as columns per stage (cards with amount, owner, next step, win probability and its
factors), a form per card to move it and won/lost buttons that ask for a reason, totals per stage and the weighted
forecast by month and owner; ``/pipeline/stages`` shows the stages and lets admins change them.

Cards the caller may not move (a viewer, or a sales user on someone else's deal) carry no controls, and the
services refuse the change anyway. Changes post here (write role and CSRF checked by the page guard) and redirect
(303) back to the board, so a reload never moves a deal twice; a refused change re-renders the board with why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, Forbidden, ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.pipeline import board, close_opportunity, move_opportunity, save_stages, totals
from bizpilot.services.pipeline_forecast import forecast
from bizpilot.services.pipeline_stages import MAX_STAGES, get_stages, stage_usage
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render
from bizpilot.web.pending import refresh_after

router = APIRouter()
REFUSED = (Forbidden, ConflictError, ValidationFailed)
BLANK_ROWS = 2


def _principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def _back(owner: str | None, anchor: str = "", **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"owner": owner or None, **params}.items() if v)
    return "/pipeline" + (f"?{query}" if query else "") + anchor


def _owners(session: Session) -> list[tuple[int, str]]:
    return [(i, n) for i, n in session.execute(select(User.id, User.name).where(User.active.is_(True))
                                               .order_by(User.name))]


def _board_page(request: Request, session: Session, *, owner: str | None, status_code: int = 200,
                error: str | None = None) -> Response:
    lang = request_lang(request)
    principal = _principal(request)
    owner = (owner or "").strip() or None
    if owner == "me" and (principal is None or principal.user_id is None):
        owner = None  # "Mine" means nothing for the workspace owner or a key of nobody: show everyone's
    data = board(session=session, principal=principal, owner=owner, lang=lang)
    sums = totals(session=session, principal=principal, owner=owner, lang=lang)
    by_month = forecast(session=session, by="month", principal=principal, owner=owner)
    by_owner = forecast(session=session, by="owner", principal=principal, owner=owner)
    pending = [data["model"]] if data["model"] else []
    chart = {"type": "bar", "labels": [r["key"] for r in by_month["rows"]],
             "series": [{"label": t("pipeline.weighted", lang), "data": [r["weighted"] for r in by_month["rows"]]}]}
    open_stages = [s for s in data["stages"] if s["kind"] == "open"]
    return render(request, "pipeline/index.html", status_code=status_code, title=t("pipeline.title", lang),
                  board=data, totals=sums, by_month=by_month, by_owner=by_owner, chart=chart,
                  open_stages=open_stages, owner=owner or "", owners=_owners(session),
                  mine=bool(principal and principal.user_id), pending=pending, refresh=refresh_after(pending),
                  error=error, moved=request.query_params.get("moved"))


@router.get("/pipeline", name="pipeline")
def pipeline_page(request: Request, session: SessionDep, owner: str | None = None) -> Response:
    return _board_page(request, session, owner=owner)


def _refused(request: Request, session: Session, exc: Forbidden | ConflictError | ValidationFailed,
             owner: str | None) -> Response:
    session.rollback()  # a failed flush (a concurrent change) leaves nothing half-done behind
    return _board_page(request, session, owner=owner, status_code=exc.status, error=exc.message)


@router.post("/pipeline/{opportunity_id}/move", name="pipeline_move")
def move_card(request: Request, opportunity_id: int, session: SessionDep,
              stage: Annotated[str, Form(max_length=32)] = "", version: Annotated[int | None, Form(ge=1)] = None,
              owner: Annotated[str, Form(max_length=255)] = "") -> Response:
    try:
        move_opportunity(session=session, opportunity_id=opportunity_id, stage=stage, principal=_principal(request),
                         channel="page", expected_version=version)
    except REFUSED as exc:
        return _refused(request, session, exc, owner)
    return RedirectResponse(_back(owner, f"#deal-{opportunity_id}", moved=opportunity_id), status_code=303)


@router.post("/pipeline/{opportunity_id}/close", name="pipeline_close")
def close_card(request: Request, opportunity_id: int, session: SessionDep,
               outcome: Annotated[str, Form(max_length=8)] = "", reason: Annotated[str, Form(max_length=2000)] = "",
               version: Annotated[int | None, Form(ge=1)] = None,
               owner: Annotated[str, Form(max_length=255)] = "") -> Response:
    try:
        close_opportunity(session=session, opportunity_id=opportunity_id, outcome=outcome, reason=reason,
                          principal=_principal(request), channel="page", expected_version=version)
    except REFUSED as exc:
        return _refused(request, session, exc, owner)
    return RedirectResponse(_back(owner, moved=opportunity_id, closed=outcome), status_code=303)


# --- stages -------------------------------------------------------------------------------------------------

def _stages_page(request: Request, session: Session, *, rows: list[dict[str, Any]] | None = None,
                 error: str | None = None, blocked: list[dict[str, Any]] | None = None,
                 status_code: int = 200) -> Response:
    lang = request_lang(request)
    principal = _principal(request)
    stages = get_stages(session=session)
    if rows is None:
        rows = [{**s.model_dump(), "percent": round(s.probability * 100), "original": s.key} for s in stages]
    usage = stage_usage(session=session, outcome="open")
    return render(request, "pipeline/stages.html", status_code=status_code, title=t("pipeline.stages.title", lang),
                  stages=stages, rows=rows, blank=BLANK_ROWS, usage=usage, error=error, blocked=blocked or [],
                  admin=bool(principal and principal.allows("admin")), max_stages=MAX_STAGES,
                  notice=request.query_params.get("notice") == "saved")


@router.get("/pipeline/stages", name="pipeline_stages")
def stages_page(request: Request, session: SessionDep) -> Response:
    return _stages_page(request, session)


def _form_rows(form: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """(rows as shown again, the stages to save in their order, the move targets) from the stages form; an open
    stage whose key was changed moves its deals to the new key."""
    shown, kept = [], []
    for i in range(MAX_STAGES + BLANK_ROWS):
        key = str(form.get(f"key_{i}", "")).strip()
        names = (str(form.get(f"name_en_{i}", "")).strip(), str(form.get(f"name_zh_{i}", "")).strip())
        if not key and not any(names):
            continue
        percent = str(form.get(f"probability_{i}", "")).strip()
        row = {"key": key, "name_en": names[0], "name_zh": names[1], "percent": percent,
               "kind": str(form.get(f"kind_{i}", "open")), "original": str(form.get(f"original_{i}", "")),
               "position": str(form.get(f"position_{i}", i + 1)), "remove": bool(form.get(f"remove_{i}"))}
        shown.append(row)
        if row["remove"]:
            continue
        try:
            probability: Any = float(percent) / 100 if percent else 0.0
            position = float(row["position"] or i + 1)
        except ValueError:
            raise ValidationFailed(f"stage {key or i + 1}: the probability and the position must be numbers",
                                   details=[{"field": f"stages[{i}].probability", "reason": "not a number"}]) from None
        kept.append((position, i, {"key": key, "name_en": names[0], "name_zh": names[1],
                                   "probability": probability, "kind": row["kind"]}))
    move = {k[5:]: str(v) for k, v in form.items() if k.startswith("move_") and str(v).strip()}
    for row in shown:  # a renamed open stage takes its deals along
        if row["original"] and row["key"] and row["original"] != row["key"] and not row["remove"] \
                and row["kind"] == "open":
            move.setdefault(row["original"], row["key"])
    return shown, [s for _, _, s in sorted(kept, key=lambda x: (x[0], x[1]))], move


@router.post("/pipeline/stages", name="pipeline_save_stages")
async def save_stages_form(request: Request, session: SessionDep) -> Response:
    """Rows of the form are read here (their number varies); the work runs in a worker thread like sync routes."""
    principal = _principal(request)
    if principal is None or not principal.allows("admin"):
        raise Forbidden("only admins change the pipeline's stages",
                        details=[{"field": "role", "reason": "admin required"}])
    form = await request.form()
    return await run_in_threadpool(_save_stages, request, session, principal, form)


def _save_stages(request: Request, session: Session, principal: Principal, form: Any) -> Response:
    rows: list[dict[str, Any]] = []
    try:
        rows, stages, move = _form_rows(form)
        save_stages(session=session, stages=stages, principal=principal, channel="page", move=move)
    except REFUSED as exc:
        session.rollback()
        blocked = [d for d in exc.details if d.get("reason") == "in use"] if isinstance(exc, ConflictError) else []
        return _stages_page(request, session, rows=rows or None, error=exc.message, blocked=blocked,
                            status_code=exc.status)
    return RedirectResponse("/pipeline/stages?notice=saved", status_code=303)
