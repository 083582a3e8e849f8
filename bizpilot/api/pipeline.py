"""The deal pipeline over HTTP: the board (open deals by stage, with win probability and factors), moving a deal
(``POST /opportunities/{id}/stage``: audited, owner policy, version check, ``opportunity.stage_changed`` event),
totals by stage, the weighted forecast by month or owner, and the workspace's stages (read: everyone; change:
admins). A win-probability model that is not ready never fails these routes: deals are then weighted by their
stage and ``model`` says why.

No ``from __future__ import annotations`` here: FastAPI must see the real types of the bodies.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from bizpilot.api.deps import SessionDep
from bizpilot.api.export import EXPORT_RESPONSES, PIPELINE, ExportDep, exportable, pipeline_rows
from bizpilot.api.params import MAX_ID, Id
from bizpilot.api.schemas import ErrorResponse
from bizpilot.api.security import AdminPrincipal, ReadPrincipal, WritePrincipal
from bizpilot.domain.schemas import UTCSchema
from bizpilot.errors import ValidationFailed
from bizpilot.services.pipeline import board, move_opportunity, save_stages, totals
from bizpilot.services.pipeline_forecast import forecast
from bizpilot.services.pipeline_stages import Stage, get_stages, stage_usage

router = APIRouter(tags=["pipeline"])

OwnerQuery = Annotated[str | None, Query(max_length=255, description=(
    "Only this owner's deals: 'me' (the caller's user), a user id, a user's name or e-mail, or the owner name an "
    "import gave; empty: everyone's"))]
LangQuery = Annotated[Literal["en", "zh"], Query(description="Language of the stage names")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {403: "Your role only reads, or the deal is not yours (sales users move their own deals)",
             404: "No such opportunity", 409: "Stale version (someone changed the deal meanwhile), an archived "
             "deal, or a stage still in use", 422: "Unknown stage, missing reason for won/lost, or invalid input"}
    return {code: {"model": ErrorResponse, "description": words[code]} for code in codes}


class Factor(BaseModel):
    feature: str
    label: str
    value: float | str | None = None
    effect: float


class ModelState(BaseModel):
    model: str
    state: str = Field(description="queued, training, failed, skipped or missing")
    message: str | None = None


class StageOut(Stage):
    name: str = Field(description="The name in the requested language")


class Card(UTCSchema):
    id: int
    external_id: str
    name: str
    stage: str
    account_id: int | None
    account_name: str | None
    amount: float | None
    currency: str | None
    owner_id: int | None
    owner_name: str | None
    next_step: str | None
    created_at: datetime
    expected_close: date | None
    age_days: int
    version: int
    probability: float | None = Field(description="Win probability used to weigh the deal")
    basis: Literal["model", "stage", "none"] = Field(description="Where the probability comes from: the model's "
                                                     "score, the stage's probability, or none (unknown stage)")
    positive: list[Factor]
    negative: list[Factor]
    method: str | None
    weighted: float
    model_state: str | None = Field(description="The model's state when it is not ready")
    can_move: bool = Field(description="Whether the caller may move this deal")


class Column(BaseModel):
    key: str
    name: str
    probability: float | None
    configured: bool = Field(description="False: a stage deals are in that the pipeline does not have")
    count: int
    amount: float
    weighted: float
    more: int = Field(description="Cards beyond the limit, not listed")
    cards: list[Card]


class Board(BaseModel):
    stages: list[StageOut]
    columns: list[Column]
    won_stage: str
    lost_stage: str
    model: ModelState | None
    currencies: list[str] = Field(description="Currencies of the deals (amounts are summed as recorded)")


class TotalRow(BaseModel):
    key: str
    name: str
    kind: str
    probability: float | None
    count: int
    amount: float
    weighted: float


class Summary(BaseModel):
    count: int
    amount: float
    weighted: float


class Totals(BaseModel):
    stages: list[TotalRow]
    open: Summary
    model: ModelState | None


class ForecastRow(BaseModel):
    key: str
    label: str | None = Field(description="The month (YYYY-MM) or the owner's name (None: unassigned)")
    count: int
    amount: float
    weighted: float
    model_scored: int = Field(description="Deals weighted by the model's score")
    stage_weighted: int = Field(description="Deals weighted by their stage's probability")
    unweighted: int = Field(description="Deals in a stage the pipeline does not have (weight 0)")
    dates_set: int = Field(description="Deals with an expected close date")
    dates_estimated: int = Field(description="Deals whose close date is estimated (see estimate)")
    past: bool | None = Field(None, description="By month: the month is over (overdue deals)")


class Estimate(BaseModel):
    days: int = Field(description="Days after creation a deal without a date is expected to close")
    basis: Literal["won_median", "default"]
    won_deals: int


class Forecast(BaseModel):
    by: Literal["month", "owner"]
    rows: list[ForecastRow]
    total: ForecastRow
    estimate: Estimate
    model: ModelState | None
    this_month: str
    currencies: list[str]


class StageList(BaseModel):
    stages: list[Stage]
    open_deals: dict[str, int] = Field(description="Open deals per stage key")
    moved: dict[str, int] = Field(default_factory=dict, description="Deals moved off removed stages, by stage")


class StagesUpdate(BaseModel):
    stages: list[Stage] = Field(min_length=1, max_length=50)
    move: dict[str, Annotated[str, Field(max_length=32)]] = Field(
        default_factory=dict, max_length=50,
        description="Where the open deals of a removed stage go: {removed stage: open stage of the new list}")


class StageMove(BaseModel):
    stage: str = Field(min_length=1, max_length=32, description="A stage key of the pipeline")
    reason: str | None = Field(None, max_length=2000, description="Why the deal was won or lost (required then)")
    version: int | None = Field(None, ge=1, le=MAX_ID,
                                description="The version you saw (or send If-Match); stale: 409")


class StageMoved(UTCSchema):
    id: int
    name: str
    stage: str
    outcome: str
    closed_at: datetime | None
    close_reason: str | None
    owner_id: int | None
    amount: float | None
    currency: str | None
    version: int


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', value)
    if match is None:
        raise ValidationFailed("If-Match must be the record's version, e.g. If-Match: \"3\"",
                               details=[{"field": "If-Match", "reason": "not a version", "value": value}])
    return int(match.group(1))


@router.get("/pipeline", response_model=Board, operation_id="pipeline_board",
            responses={**_errors(422), **EXPORT_RESPONSES})
def get_board(session: SessionDep, principal: ReadPrincipal, export: ExportDep, owner: OwnerQuery = None,
              lang: LangQuery = "en",
              limit: Annotated[int, Query(ge=1, le=1000, description="Cards per stage")] = 200) -> Any:
    """Open deals by stage, biggest first, each with amount, owner, next step, account, age and win probability
    with its top factors; ``can_move`` says whether the caller may move it. A download (``format``) has one row per
    deal, up to 1000 per stage."""
    if export:
        result = board(session=session, principal=principal, owner=owner, lang=lang, limit=1000)
        return exportable(pipeline_rows(result), PIPELINE, export, "pipeline")
    return board(session=session, principal=principal, owner=owner, lang=lang, limit=limit)


@router.get("/pipeline/totals", response_model=Totals, operation_id="pipeline_totals", responses=_errors(422))
def get_totals(session: SessionDep, principal: ReadPrincipal, owner: OwnerQuery = None,
               lang: LangQuery = "en") -> dict[str, Any]:
    """Count, amount and weighted amount per stage (won deals weigh in full, lost ones 0) and of all open deals."""
    return totals(session=session, principal=principal, owner=owner, lang=lang)


@router.get("/pipeline/forecast", response_model=Forecast, operation_id="pipeline_forecast", responses=_errors(422))
def get_forecast(session: SessionDep, principal: ReadPrincipal, by: Literal["month", "owner"] = "month",
                 owner: OwnerQuery = None) -> dict[str, Any]:
    """Weighted forecast (amount x win probability, or the stage's probability when the model has no score) of
    open deals by expected close month or by owner; every row says how its deals were weighted and dated."""
    return forecast(session=session, by=by, principal=principal, owner=owner)


@router.get("/pipeline/stages", response_model=StageList, operation_id="pipeline_stages")
def get_pipeline_stages(session: SessionDep) -> dict[str, Any]:
    """The workspace's stages in board order, with how many open deals each holds."""
    return {"stages": get_stages(session=session), "open_deals": stage_usage(session=session, outcome="open")}


@router.put("/pipeline/stages", response_model=StageList, operation_id="set_pipeline_stages",
            responses=_errors(409, 422))
def put_pipeline_stages(body: StagesUpdate, session: SessionDep, principal: AdminPrincipal) -> dict[str, Any]:
    """Replace the stages (admins): unique keys, at least one open stage, exactly one won and one lost stage. A
    removed stage that open deals are in needs a ``move`` target, else 409 with how many deals use it."""
    result = save_stages(session=session, stages=list(body.stages), principal=principal, channel="api",
                         move=body.move)
    return {"stages": result["stages"], "open_deals": stage_usage(session=session, outcome="open"),
            "moved": result["moved"]}


@router.post("/opportunities/{opportunity_id}/stage", response_model=StageMoved, operation_id="move_opportunity",
             responses=_errors(403, 404, 409, 422))
def post_stage(opportunity_id: Id, body: StageMove, session: SessionDep,
               principal: WritePrincipal,
               if_match: Annotated[str | None, Header(max_length=40)] = None) -> Any:
    """Move the deal to a stage; the won or lost stage closes it and needs a ``reason``; an open stage reopens a
    closed deal. Audited as ``stage_change``; subscribers get ``opportunity.stage_changed``."""
    version = body.version if body.version is not None else _if_match(if_match)
    return move_opportunity(session=session, opportunity_id=opportunity_id, stage=body.stage, principal=principal,
                            channel="api", expected_version=version, reason=body.reason)


__all__ = ["router"]
