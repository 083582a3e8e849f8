"""The workspace glossary over HTTP: GET /glossary (the terms in effect, defaults included), PUT and DELETE
/glossary/{kind}/{key} (role write). Raw workspace rows are also listed by the ``glossary_terms`` entity routes.

Keys may contain slashes ('CE/UL') and spaces: the key is the rest of the path, URL-encoded.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bizpilot.api.deps import SessionDep
from bizpilot.api.params import Offset
from bizpilot.api.schemas import ERROR_RESPONSES, NOT_FOUND, Page
from bizpilot.domain.glossary import KEY_MAX, GlossaryEntry, GlossaryKind, GlossaryTermUpdate
from bizpilot.services.glossary import delete_term, list_terms, upsert_term
from bizpilot.services.listing import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/glossary", tags=["glossary"])
TermKey = Annotated[str, Path(min_length=1, max_length=KEY_MAX, description="The term's key (URL-encoded)")]


class TermWritten(BaseModel):
    outcome: Literal["inserted", "updated", "unchanged"]
    term: GlossaryEntry


class TermDeleted(BaseModel):
    deleted: bool = True
    now: GlossaryEntry | None = Field(description="The shipped default in effect again, if there is one")


@router.get("", response_model=Page[GlossaryEntry], responses=ERROR_RESPONSES)
def list_glossary(session: SessionDep,
                  kind: Annotated[GlossaryKind | None, Query(description="Only this kind")] = None,
                  source: Annotated[Literal["default", "workspace"] | None,
                                    Query(description="Only defaults or only the workspace's terms")] = None,
                  q: Annotated[str | None, Query(max_length=200, description="Search in key, en and zh")] = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT, offset: Offset = 0,
                  ) -> Page[GlossaryEntry]:
    """The glossary in effect, by kind then key: the workspace's terms and the defaults they do not override."""
    entries = list_terms(session=session, kind=kind, source=source, q=q)
    return Page[GlossaryEntry](items=entries[offset:offset + limit], total=len(entries), limit=limit,
                               offset=offset)


@router.put("/{kind}/{key:path}", response_model=TermWritten, responses=ERROR_RESPONSES)
def put_term(kind: GlossaryKind, key: TermKey, body: GlossaryTermUpdate, session: SessionDep) -> TermWritten:
    """Set the workspace's rendering of one term (insert or replace; overrides the shipped default)."""
    change = upsert_term(session=session, kind=kind, key=key, zh=body.zh, en=body.en, note=body.note)
    return TermWritten(outcome=change.outcome, term=change.entry)


@router.delete("/{kind}/{key:path}", response_model=TermDeleted, responses={**NOT_FOUND, **ERROR_RESPONSES})
def delete_glossary_term(kind: GlossaryKind, key: TermKey, session: SessionDep) -> TermDeleted:
    """Remove the workspace's own term (404 when it has none); the shipped default applies again."""
    return TermDeleted(now=delete_term(session=session, kind=kind, key=key))
