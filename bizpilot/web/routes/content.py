"""Content studio: generate grounded copy (form with CSRF), read it sentence by sentence with the facts behind each
sentence and the claims that were repaired or removed, rate/approve/edit it, and see recent generations.

Generating and rating post to this router (write role and CSRF checked by the page guard) and redirect to
``/content?id=N`` (303), so a reload never generates twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep
from bizpilot.domain.account import Account
from bizpilot.domain.product import Product
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.content import KINDS, LENGTHS, TONES, generate_content, get_generation, rate_content
from bizpilot.services.content.facts import PRODUCT_KINDS
from bizpilot.services.content.purpose import PURPOSE_KINDS, PURPOSES
from bizpilot.services.content.service import recent_generations
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render

router = APIRouter()
PICKER_LIMIT = 300
RECENT = 20


def _pickers(session: Session) -> tuple[list[Any], list[Any]]:
    products = session.execute(select(Product.id, Product.sku, Product.name).where(Product.active.is_(True))
                               .order_by(Product.sku).limit(PICKER_LIMIT)).all()
    accounts = session.execute(select(Account.id, Account.external_id, Account.name)
                               .order_by(Account.external_id).limit(PICKER_LIMIT)).all()
    return products, accounts


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """The stored generation as the result panel shows it: sentences with their backing facts spelled out."""
    facts = {f["id"]: f for f in row.get("facts") or []}
    lang = row.get("language") or "en"
    check = row.get("check") or {}

    def fact_text(fid: str) -> str:
        f = facts.get(fid) or {}
        return (f.get("text_zh") or f.get("text") or "") if lang == "zh" else (f.get("text") or "")

    sentences = [{"text": s["text"], "action": s["action"],
                  "facts": [{"id": i, "text": fact_text(i)} for i in s.get("backed_by") or []]}
                 for s in check.get("sentences") or [] if s.get("action") != "dropped"]
    draft = check.get("llm_draft") or {}
    return {**row, "sentences": sentences, "removed": check.get("removed") or [],
            "repaired": check.get("repaired_claims") or [], "fallback_reason": check.get("fallback_reason"),
            "draft": draft.get("text"), "purpose": check.get("purpose"),
            "failed_checks": (check.get("lint") or {}).get("draft") or (check.get("lint") or {}).get("output") or []}


def _page(request: Request, session: Session, *, result: dict[str, Any] | None = None, error: str | None = None,
          form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    products, accounts = _pickers(session)
    principal = getattr(request.state, "principal", None)
    return render(request, "content/index.html", status_code=status_code, title=t("content.title",
                                                                                  request_lang(request)),
                  kinds=KINDS, tones=TONES, purposes=PURPOSES, lengths=LENGTHS, product_kinds=PRODUCT_KINDS,
                  products=products,
                  accounts=accounts, result=result, error=error, form=form or {},
                  recent=recent_generations(session=session, limit=RECENT),
                  can_write=bool(principal and principal.allows("write")))


@router.get("/content", name="content")
def content_page(request: Request, session: SessionDep, id: int | None = None) -> Response:  # noqa: A002
    result = _view(get_generation(session=session, id=id)) if id is not None else None
    form = {**(result.get("inputs") or {}), "kind": result["kind"], "language": result["language"]} if result else {}
    return _page(request, session, result=result, form=form)


@router.post("/content/generate", name="content_generate")
async def content_generate(request: Request, session: SessionDep, kind: Annotated[str, Form(max_length=32)] = "",
                           product: Annotated[str, Form(max_length=64)] = "",
                           account: Annotated[str, Form(max_length=64)] = "",
                           language: Annotated[str, Form(max_length=8)] = "en",
                           tone: Annotated[str, Form(max_length=16)] = "neutral",
                           length: Annotated[str, Form(max_length=16)] = "medium",
                           inquiry: Annotated[str, Form(max_length=4000)] = "",
                           use_llm: Annotated[bool, Form()] = False,
                           purpose: Annotated[str, Form(max_length=32)] = "auto") -> Response:
    form = {"kind": kind, "product_ref": product, "account_ref": account, "language": language, "tone": tone,
            "length": length, "inquiry": inquiry, "use_llm": use_llm, "purpose": purpose}
    try:
        result = await run_in_threadpool(generate_content, session=session, kind=kind,
                                         product_id=product.strip() or None, account_id=account.strip() or None,
                                         language=language, tone=tone, length=length, use_llm=use_llm,
                                         inquiry=inquiry.strip() or None,
                                         purpose=(purpose or "auto") if kind in PURPOSE_KINDS else None)
    except (NotFoundError, ValidationFailed) as exc:
        session.rollback()  # nothing of the failed generation may be committed with the error page
        return await run_in_threadpool(_page, request, session, error=exc.message, form=form, status_code=422)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/content?id={result.id}", status_code=303)


@router.post("/content/{content_id}/feedback", name="content_feedback")
def content_feedback(request: Request, content_id: int, session: SessionDep,
                     rating: Annotated[str, Form(max_length=2)] = "",
                     edited_output: Annotated[str, Form(max_length=20000)] = "",
                     feedback: Annotated[str, Form(max_length=4000)] = "",
                     approve: Annotated[bool, Form()] = False) -> Response:
    try:
        rate_content(session=session, id=content_id, rating=int(rating) if rating.strip().isdigit() else None,
                     edited_output=edited_output if edited_output.strip() else None,
                     feedback=feedback if feedback.strip() else None, approve=approve)
    except ValidationFailed as exc:
        session.rollback()
        result = _view(get_generation(session=session, id=content_id))
        return _page(request, session, result=result, error=exc.message, status_code=422)
    return RedirectResponse(f"{request.scope.get('root_path', '')}/content?id={content_id}&rated=1",
                            status_code=303)
