"""Grounded content generation: facts -> plan -> (model draft -> check -> repair | deterministic text) -> stored.

The small local model is never trusted: its draft is checked against the facts, repaired where a value can be put
right, and replaced by the deterministic realisation when it still fails (the result says so, and why). Every
generation is stored with its inputs, facts, model, prompt version and check, and the team's ratings and approved
edits become the examples of the next generation.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.ops import GeneratedContent
from bizpilot.errors import BizpilotError, NotFoundError, ValidationFailed
from bizpilot.llm.types import ChatOptions
from bizpilot.services.content.checker import CheckResult, check_text
from bizpilot.services.content.examples import similar_approved
from bizpilot.services.content.facts import FactBundle, load_facts
from bizpilot.services.content.plan import ContentPlan, make_plan
from bizpilot.services.content.prompting import (
    DETERMINISTIC_VERSION,
    MAX_TOKENS,
    build_messages,
    clean_draft,
    judge,
)
from bizpilot.services.content.realise import realise_deterministic

logger = logging.getLogger("bizpilot.content")
STATUSES = ("draft", "rated", "approved", "rejected")
MAX_INQUIRY_CHARS = 4000


@dataclass
class GenerationResult:
    id: int
    kind: str
    language: str
    output: str
    sentences: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    repaired: list[dict[str, Any]]
    check: dict[str, Any]
    fallback: bool
    fallback_reason: str | None
    model: str
    prompt_version: str
    examples: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    plan: dict[str, Any]
    draft: str | None = None
    status: str = "draft"
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _summaries(check: CheckResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    kept = [{"text": s.text, "backed_by": s.backed_by, "action": s.action} for s in check.kept]
    removed = [{"text": s.original, "reasons": [f"{c.text}: {c.reason}" for c in s.claims
                                                if c.status != "supported"]} for s in check.dropped]
    repaired = [{"original": s.original, "text": s.text,
                 "changes": [{"from": c.text, "to": c.replacement, "fact_ids": c.fact_ids, "reason": c.reason}
                             for c in s.claims if c.status == "contradicting"]} for s in check.repaired]
    return kept, removed, repaired


def _llm_draft(backend: Any, plan: ContentPlan, bundle: FactBundle, examples: list[dict[str, Any]],
               inquiry: str | None, max_tokens: int | None) -> tuple[str, str, str]:
    """(draft, model name, prompt stamp) from the backend."""
    messages, stamp = build_messages(plan, bundle, examples, inquiry)
    options = ChatOptions(max_tokens=max_tokens or MAX_TOKENS[plan.length], temperature=0.2, seed=7,
                          tag=stamp)
    completion = backend.generate(messages, options)
    return clean_draft(completion.text), completion.model or backend.model_name, stamp


def generate_content(*, session: Session, kind: str, product_id: int | str | None = None,
                     account_id: int | str | None = None, language: str = "en", tone: str = "neutral",
                     length: str = "medium", backend: Any = None, use_llm: bool = True, inquiry: str | None = None,
                     max_tokens: int | None = None) -> GenerationResult:
    """Generate, check, store (flushed into the caller's unit of work) and return one piece of content (see the
    module docstring)."""
    if inquiry is not None and len(inquiry) > MAX_INQUIRY_CHARS:
        raise ValidationFailed(f"inquiry is longer than {MAX_INQUIRY_CHARS} characters",
                               details=[{"field": "inquiry", "reason": "too long"}])
    bundle = load_facts(session=session, kind=kind, product_id=product_id, account_id=account_id)
    plan = make_plan(bundle, language=language, tone=tone, length=length)
    examples = similar_approved(session=session, kind=kind, language=language, bundle=bundle)
    fallback_reason: str | None = None
    draft: str | None = None
    draft_check: CheckResult | None = None
    model, stamp = "deterministic", DETERMINISTIC_VERSION
    final: CheckResult | None = None
    if not use_llm:
        fallback_reason = "LLM not requested (deterministic realisation)"
    else:
        try:
            if backend is None:
                from bizpilot.llm.registry import get_backend

                backend = get_backend()
            draft, model, stamp = _llm_draft(backend, plan, bundle, examples, inquiry, max_tokens)
            draft_check = check_text(draft, bundle)
            verdict = judge(draft_check, plan, bundle)
            if verdict.accepted:
                final = check_text(draft_check.output, bundle)  # the repaired text must now be clean
                if not final.clean:
                    final, fallback_reason = None, "the repaired draft still failed the fact check"
            else:
                fallback_reason = verdict.reason
        except BizpilotError as exc:
            fallback_reason = f"no LLM available: {exc.message}"
            logger.warning("content generation falls back to templates: %s", exc.message)
    if final is None:
        final = check_text(realise_deterministic(plan, bundle), bundle)
        if model != "deterministic":
            model = f"deterministic (after {model})"
        stamp = DETERMINISTIC_VERSION if draft is None else f"{DETERMINISTIC_VERSION} (llm: {stamp})"
    kept, removed, repaired = _summaries(draft_check if draft_check is not None and fallback_reason is None
                                         else final)
    sentences, _, _ = _summaries(final)
    check = final.to_dict()
    check["fallback"] = fallback_reason is not None
    check["fallback_reason"] = fallback_reason
    check["removed"], check["repaired_claims"] = removed, repaired
    if draft_check is not None:
        check["llm_draft"] = {**draft_check.to_dict(), "text": draft}
    inputs = {"tone": tone, "length": length, "use_llm": use_llm, "inquiry": inquiry,
              "product_ref": product_id, "account_ref": account_id, "plan": plan.to_dict(),
              "examples": [{"id": e["id"], "score": e["score"]} for e in examples]}
    row = GeneratedContent(kind=kind, language=language, account_id=bundle.account_id,
                           product_id=bundle.product_id, inputs=inputs, facts=bundle.to_dict(),
                           model=model[:128], prompt_version=stamp[:64], output=final.output,
                           check_result=check, status="draft")
    session.add(row)
    session.flush()
    return GenerationResult(id=row.id, kind=kind, language=language, output=final.output, sentences=sentences,
                            removed=removed, repaired=repaired, check=check,
                            fallback=fallback_reason is not None, fallback_reason=fallback_reason, model=model,
                            prompt_version=stamp, examples=[{"id": e["id"], "score": e["score"]} for e in examples],
                            facts=[asdict(f) for f in bundle.facts], plan=plan.to_dict(), draft=draft,
                            inputs=inputs)


def rate_content(*, session: Session, id: int, rating: int | None = None,  # noqa: A002
                 edited_output: str | None = None, feedback: str | None = None,
                 approve: bool = False) -> dict[str, Any]:
    """Store the team's verdict (flushed, the caller commits). An edit is checked against the generation's facts
    (the result is stored next to it); only an approved generation becomes an example, with its edit when the edit
    passed the check."""
    if rating is not None and not 1 <= int(rating) <= 5:
        raise ValidationFailed("rating must be between 1 and 5", details=[{"field": "rating", "reason": "1-5"}])
    row = session.get(GeneratedContent, int(id))
    if row is None:
        raise NotFoundError(f"generated content {id} not found",
                            details=[{"field": "id", "reason": "unknown generation"}])
    if rating is not None:
        row.rating = int(rating)
    if feedback is not None:
        row.feedback = feedback.strip() or None
    check = dict(row.check_result or {})
    if edited_output is not None and edited_output.strip():
        row.edited_output = edited_output.strip()
        edit_check = check_text(row.edited_output, FactBundle.from_dict(row.facts or {}))
        problems = [f"{c.text}: {c.reason}" for c in edit_check.problems()]
        check["edited"] = {"clean": edit_check.clean, "problems": problems, "backed_by": edit_check.backed_by}
        row.check_result = check
    row.status = "approved" if approve else ("rated" if row.status == "draft" else row.status)
    session.flush()
    return content_summary(row)


def content_summary(row: GeneratedContent) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "language": row.language, "status": row.status,
            "rating": row.rating, "feedback": row.feedback, "output": row.output,
            "edited_output": row.edited_output, "model": row.model, "prompt_version": row.prompt_version,
            "product_id": row.product_id, "account_id": row.account_id,
            "fallback": bool((row.check_result or {}).get("fallback")),
            "edit_check": (row.check_result or {}).get("edited"),
            "created_at": row.created_at.isoformat() if row.created_at else None}


def recent_generations(*, session: Session, limit: int = 20) -> list[dict[str, Any]]:
    rows = session.scalars(select(GeneratedContent).order_by(GeneratedContent.id.desc()).limit(limit)).all()
    return [content_summary(r) for r in rows]


def get_generation(*, session: Session, id: int) -> dict[str, Any]:  # noqa: A002
    row = session.get(GeneratedContent, int(id))
    if row is None:
        raise NotFoundError(f"generated content {id} not found")
    return {**content_summary(row), "check": row.check_result, "facts": (row.facts or {}).get("facts", []),
            "inputs": row.inputs}


__all__ = ["GenerationResult", "STATUSES", "generate_content", "get_generation", "rate_content",
           "recent_generations"]
