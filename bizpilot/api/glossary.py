"""The workspace glossary over HTTP: GET /glossary (the terms in effect, defaults included), PUT and DELETE
/glossary/{kind}/{key} (role write). Raw workspace rows are also listed by the ``glossary_terms`` entity routes.

Keys may contain slashes ('CE/UL') and spaces: the key is the rest of the path, URL-encoded.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bizpilot.api.deps import SessionDep
from bizpilot.api.schemas import ERROR_RESPONSES, NOT_FOUND, Page
from bizpilot.domain.glossary import GlossaryEntry, GlossaryKind, GlossaryTermUpdate
from bizpilot.services.glossary import delete_term, list_terms, upsert_term
from bizpilot.services.listing import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/glossary", tags=["glossary"])


class TermWritten(BaseModel):
    outcome: Literal["inserted", "updated", "unchanged"]
    term: GlossaryEntry


class TermDeleted(BaseModel):
    deleted: bool = True
    now: GlossaryEntry | None = Field(description="The shipped default in effect again, if there is one")


@router.get("", response_model=Page[GlossaryEntry], responses=ERROR_RESPONSES)
def list_glossary(session: SessionDep, kind: GlossaryKind | None = Query(None, description="Only this kind"),
                  source: Literal["default", "workspace"] | None = Query(None, description="Only defaults or only "
                                                                                           "the workspace's terms"),
                  q: str | None = Query(None, max_length=200, description="Search in key, en and zh"),
                  limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0),
                  ) -> Page[GlossaryEntry]:
    """The glossary in effect, by kind then key: the workspace's terms and the defaults they do not override."""
    entries = list_terms(session=session, kind=kind, source=source, q=q)
    return Page[GlossaryEntry](items=entries[offset:offset + limit], total=len(entries), limit=limit,
                               offset=offset)


@router.put("/{kind}/{key:path}", response_model=TermWritten, responses=ERROR_RESPONSES)
def put_term(kind: GlossaryKind, key: str, body: GlossaryTermUpdate, session: SessionDep) -> TermWritten:
    """Set the workspace's rendering of one term (insert or replace; overrides the shipped default)."""
    change = upsert_term(session=session, kind=kind, key=key, zh=body.zh, en=body.en, note=body.note)
    return TermWritten(outcome=change.outcome, term=change.entry)


@router.delete("/{kind}/{key:path}", response_model=TermDeleted, responses={**NOT_FOUND, **ERROR_RESPONSES})
def delete_glossary_term(kind: GlossaryKind, key: str, session: SessionDep) -> TermDeleted:
    """Remove the workspace's own term (404 when it has none); the shipped default applies again."""
    return TermDeleted(now=delete_term(session=session, kind=kind, key=key))
