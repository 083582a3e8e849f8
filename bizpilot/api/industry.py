"""Industry classification over HTTP.

* ``GET /industry/taxonomy``: the taxonomy in effect (the workspace's own or the shipped default);
  ``PUT`` replaces it and ``DELETE`` goes back to the default (role admin).
* ``GET /accounts/{id}/industry``: the account's industry, where it came from (manual, model, zero-shot), whether
  a person reviewed it, the prediction's confidence and alternatives (503 while the model is not ready).
* ``POST /accounts/{id}/industry``: accept the prediction (no label) or correct it (a label); audited, and the
  label trains the next model.
* ``GET /industry/review-queue``: predictions waiting for a person, the most useful label first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bizpilot.api.deps import SessionDep
from bizpilot.api.schemas import ERROR_RESPONSES, ErrorResponse
from bizpilot.api.security import AdminPrincipal, WritePrincipal
from bizpilot.domain.industry import TaxonomyIn, TaxonomyPublic
from bizpilot.domain.schemas import UTCSchema
from bizpilot.services.industry import service, taxonomy
from bizpilot.services.record_input import MAX_ID

router = APIRouter(tags=["industry"])
AccountId = Annotated[int, Path(ge=1, le=MAX_ID, description="The account's id")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {403: "Your role only reads (viewers), the account is not yours (sales and service users classify "
                  "their own accounts), or the taxonomy needs an admin",
             404: "No such account",
             409: "Stale version: someone changed the account meanwhile",
             422: "Invalid input: an id out of range, a label longer than 100 characters, a taxonomy that names a "
                  "label twice, nothing to accept (no prediction)",
             503: "The industry model is not trained yet (queued or training): the body names the model and its "
                  "state; retry later"}
    return {**ERROR_RESPONSES, **{code: {"model": ErrorResponse, "description": words[code]} for code in codes}}


class SectorRef(BaseModel):
    key: str
    en: str
    zh: str | None = None


class Alternative(BaseModel):
    label: str
    sector: SectorRef | None = None
    confidence: float


class IndustryPrediction(BaseModel):
    """What the latest run of the ``industry`` model said about the account."""

    label: str
    sector: SectorRef | None = None
    confidence: float = Field(description="Probability of the label (0..1)")
    alternatives: list[Alternative] = Field(description="The next most probable labels")
    source: str = Field(description="model (trained on the workspace's labels) or zero-shot (taxonomy only)")
    needs_review: bool
    review_rank: int | None = Field(None, description="Place in the review queue (1 = review first)")
    margin: float | None = None
    entropy: float | None = None
    basis: str | None = Field(None, description="What the text was: description (with the name) or name only")
    run_id: int | None = None
    priority: float | None = Field(None, description="Review priority (0..1; 0 = not queued)")


class IndustryReview(UTCSchema):
    label: str
    source: str
    predicted_label: str | None = None
    confidence: float | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class AccountIndustryView(BaseModel):
    """An account's industry: the stored one (``industry``) or else the prediction (``label``)."""

    account_id: int
    name: str
    industry: str | None = Field(description="The industry stored on the account (set by people)")
    label: str | None = Field(description="The industry in effect: the stored one, else the prediction")
    sector: SectorRef | None = None
    source: str | None = Field(description="manual, model or zero-shot")
    reviewed: bool = Field(description="A person accepted or set this label")
    confidence: float | None = None
    alternatives: list[Alternative] = []
    needs_review: bool = False
    prediction: IndustryPrediction | None = None
    review: IndustryReview | None = None
    version: int = Field(description="The account's version (send it back to guard against concurrent edits)")


class IndustryDecision(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=100,
                              description="The correct industry; leave out to accept the prediction")
    version: int | None = Field(default=None, ge=1, le=2**31,
                                description="The account version you saw (409 if it changed)")


class ReviewItem(BaseModel):
    account_id: int
    name: str
    excerpt: str
    label: str
    sector: SectorRef | None = None
    confidence: float
    alternatives: list[Alternative]
    source: str | None = None
    priority: float
    rank: int | None = None


class ReviewQueue(BaseModel):
    run_id: int
    mode: str | None = None
    total: int
    limit: int
    offset: int
    items: list[ReviewItem]


@router.get("/industry/taxonomy", response_model=TaxonomyPublic, responses=ERROR_RESPONSES)
def get_taxonomy(session: SessionDep) -> TaxonomyPublic:
    """The sectors and industries accounts are classified into, with zh/en names, aliases and descriptions."""
    return taxonomy.public(session=session)


@router.put("/industry/taxonomy", response_model=TaxonomyPublic, responses=_errors(403, 422))
def put_taxonomy(body: TaxonomyIn, session: SessionDep, principal: AdminPrincipal) -> TaxonomyPublic:
    """Replace the workspace's taxonomy (e.g. with the team's own customer segments); the next training of the
    industry model uses it."""
    return taxonomy.set_taxonomy(session=session, taxonomy=body)


@router.delete("/industry/taxonomy", response_model=TaxonomyPublic, responses=_errors(403))
def delete_taxonomy(session: SessionDep, principal: AdminPrincipal) -> TaxonomyPublic:
    """Drop the workspace's own taxonomy: the shipped default applies again."""
    return taxonomy.reset_taxonomy(session=session)


@router.get("/industry/review-queue", response_model=ReviewQueue, responses=_errors(503))
def review_queue(session: SessionDep, limit: int = Query(50, ge=1, le=500),
                 offset: int = Query(0, ge=0, le=1_000_000)) -> dict[str, Any]:
    """Uncertain predictions, most useful to label first (uncertainty, spread over the kinds of company)."""
    return service.review_queue(session=session, limit=limit, offset=offset)


@router.get("/accounts/{account_id}/industry", response_model=AccountIndustryView, responses=_errors(404, 503))
def account_industry(account_id: AccountId, session: SessionDep) -> dict[str, Any]:
    """The account's industry with its source, confidence and alternatives."""
    return service.account_industry(session=session, account_id=account_id)


@router.post("/accounts/{account_id}/industry", response_model=AccountIndustryView,
             responses=_errors(403, 404, 409, 422))
def review_account_industry(account_id: AccountId, body: IndustryDecision, session: SessionDep,
                            principal: WritePrincipal) -> dict[str, Any]:
    """Accept the prediction or correct it: the account's industry is set (audited) and trains the next model."""
    return service.review_industry(session=session, account_id=account_id, label=body.label, principal=principal,
                                   channel="api", expected_version=body.version)
