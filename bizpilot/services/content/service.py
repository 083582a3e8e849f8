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

from bizpilot.domain.contact import Contact
from bizpilot.domain.ops import GeneratedContent
from bizpilot.errors import BizpilotError, NotFoundError, ValidationFailed
from bizpilot.llm.types import ChatOptions
from bizpilot.services.content.checker import CheckResult, check_text
from bizpilot.services.content.examples import similar_approved
from bizpilot.services.content.facts import FactBundle, load_facts
from bizpilot.services.content.letter_prompt import LETTER_MAX_TOKENS, LETTER_PROMPT_KINDS, build_letter_messages
from bizpilot.services.content.letters import compose
from bizpilot.services.content.lint import EMAIL_KINDS, LintContext, LintFailure, failed_checks, lint_text, repair
from bizpilot.services.content.plan import ContentPlan, make_plan
from bizpilot.services.content.prompting import (
    DETERMINISTIC_VERSION,
    KIND_LABELS,
    MAX_TOKENS,
    build_messages,
    clean_draft,
    judge,
)
from bizpilot.services.content.purpose import PURPOSE_KINDS, Purpose, choose_purpose
from bizpilot.services.content.realise import CLOSERS, OPENERS, realise_deterministic
from bizpilot.services.content.tidy import tidy_email
from bizpilot.services.llm_writer import writing_backend

logger = logging.getLogger("bizpilot.content")
STATUSES = ("draft", "rated", "approved", "rejected")
MAX_INQUIRY_CHARS = 4000
MAX_REDACTED_NAMES = 200


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
    purpose: dict[str, Any] | None = None
    lint: dict[str, Any] = field(default_factory=dict)

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


def _contact_names(session: Session, backend: Any, account_id: int | None, every: bool = False) -> tuple[str, ...]:
    """The account's contact names, for a remote backend to redact (with e-mail addresses and phone numbers, which
    the base finds by pattern) before the prompt leaves the machine: an inquiry or an approved example may name
    them. A local backend sends nothing anywhere, so it gets none. ``every``: for the checks, whatever the backend
    (a letter must not be signed with them)."""
    if not (every or getattr(backend, "remote", False)) or account_id is None:
        return ()
    names = session.scalars(select(Contact.name).where(Contact.account_id == account_id).limit(MAX_REDACTED_NAMES))
    return tuple(n for n in names if n)


def _llm_draft(backend: Any, plan: ContentPlan, bundle: FactBundle, examples: list[dict[str, Any]],
               inquiry: str | None, max_tokens: int | None, brief: str | None = None,
               names: tuple[str, ...] = (), purpose: Purpose | None = None) -> tuple[str, str, str]:
    """(draft, model name, prompt stamp) from the backend. A letter with a purpose gets the letter prompt (roles in
    words, plain fact labels, an example of the seller's voice); other kinds the plan prompt."""
    if purpose is not None and plan.kind in LETTER_PROMPT_KINDS:
        greeting, closing = _frame(plan, bundle)
        label = KIND_LABELS[plan.kind][1 if plan.language == "zh" else 0]
        messages, stamp = build_letter_messages(plan, bundle, purpose, greeting, closing, label, examples,
                                                redacted=bool(getattr(backend, "remote", False)), inquiry=inquiry)
        default_tokens = LETTER_MAX_TOKENS[plan.length]
    else:
        messages, stamp = build_messages(plan, bundle, examples, inquiry, brief=brief)
        default_tokens = MAX_TOKENS[plan.length]
    options = ChatOptions(max_tokens=max_tokens or default_tokens, temperature=0.2, seed=7,
                          tag=stamp, names=names)
    completion = backend.generate(messages, options)
    return clean_draft(completion.text), completion.model or backend.model_name, stamp


def _frame(plan: ContentPlan, bundle: FactBundle) -> tuple[str, str]:
    """The greeting and closing a repaired e-mail may be given when the model left them out."""
    if plan.kind == "call_script":
        return "", ""
    name = bundle.get("account.name")
    if name is None:
        return "", ""
    lang = plan.language
    return (OPENERS[plan.tone][lang].format(name=name.render(lang)), CLOSERS[plan.tone][lang])


def _lint_and_repair(text: str, plan: ContentPlan, bundle: FactBundle, ctx: LintContext
                     ) -> tuple[str, list[LintFailure], str | None]:
    """(text, failures left, reason to fall back): the draft's failures repaired where simple (and the repaired
    text fact-checked again); what still fails is a reason for the deterministic text."""
    failures = lint_text(text, ctx)
    if not failures:
        return text, [], None
    greeting, closing = _frame(plan, bundle)
    repaired = repair(text, failures, ctx, greeting=greeting, closing=closing)
    rechecked = check_text(repaired, bundle)
    left = lint_text(rechecked.output, ctx)
    if left or not rechecked.clean or not rechecked.output.strip():
        names = failed_checks(left or failures)
        return rechecked.output, left, "the model's draft failed the quality checks: " + ", ".join(names)
    return rechecked.output, [], None


def generate_content(*, session: Session, kind: str, product_id: int | str | None = None,
                     account_id: int | str | None = None, language: str = "en", tone: str = "neutral",
                     length: str = "medium", backend: Any = None, use_llm: bool = True, inquiry: str | None = None,
                     max_tokens: int | None = None, purpose: str | None = None) -> GenerationResult:
    """Generate, check, store (flushed into the caller's unit of work) and return one piece of content (see the
    module docstring). ``purpose`` (``auto`` or a name of ``purpose.PURPOSES``) plans a sales e-mail, follow-up
    or call script around why to write now; None keeps the fact plan (callers that add their own purpose
    sentence, such as follow-ups from tasks)."""
    if inquiry is not None and len(inquiry) > MAX_INQUIRY_CHARS:
        raise ValidationFailed(f"inquiry is longer than {MAX_INQUIRY_CHARS} characters",
                               details=[{"field": "inquiry", "reason": "too long"}])
    bundle = load_facts(session=session, kind=kind, product_id=product_id, account_id=account_id)
    chosen: Purpose | None = None
    if purpose is not None and kind in PURPOSE_KINDS:
        chosen = choose_purpose(session=session, bundle=bundle, purpose=purpose)
        bundle.facts = [*bundle.facts, *[f for f in chosen.facts if not bundle.has(f.id)]]
        bundle.catalog_names = [n for n in bundle.catalog_names
                                if n not in {f.text for f in chosen.facts if f.kind == "name"}]
        plan, deterministic = compose(bundle=bundle, purpose=chosen, kind=kind, language=language, tone=tone,
                                      length=length)
    else:
        plan = make_plan(bundle, language=language, tone=tone, length=length)
        deterministic = None
    ctx = LintContext(kind=kind, language=language, length=length, bundle=bundle,
                      contacts=_contact_names(session, None, bundle.account_id, every=True))
    examples = similar_approved(session=session, kind=kind, language=language, bundle=bundle)
    fallback_reason: str | None = None
    draft: str | None = None
    draft_check: CheckResult | None = None
    draft_lint: list[LintFailure] = []
    model, stamp = "deterministic", DETERMINISTIC_VERSION
    final: CheckResult | None = None
    lint_repaired = False
    tidy_changes: list[str] = []
    if not use_llm:
        fallback_reason = "LLM not requested (deterministic realisation)"
    else:
        try:
            # the workspace's endpoint when it is set to write, else the configured backend; the probe decides
            backend = writing_backend(session=session, backend=backend, language=language)
            draft, model, stamp = _llm_draft(backend, plan, bundle, examples, inquiry, max_tokens,
                                             brief=_brief(chosen, language),
                                             names=_contact_names(session, backend, bundle.account_id),
                                             purpose=chosen)
            draft_lint = lint_text(draft, ctx)
            work = draft
            if kind in EMAIL_KINDS:  # packaging a rep deletes unread: subject line, slot signature, notes
                name = bundle.get("account.name")
                tidied = tidy_email(draft, language=language, account_name=name.render(language) if name else None)
                work, tidy_changes = tidied.text, tidied.changes
            draft_check = check_text(work, bundle)
            verdict = judge(draft_check, plan, bundle)
            if verdict.accepted:
                final = check_text(draft_check.output, bundle)  # the repaired text must now be clean
                if not final.clean:
                    final, fallback_reason = None, "the repaired draft still failed the fact check"
                else:
                    text, _, lint_reason = _lint_and_repair(final.output, plan, bundle, ctx)
                    if lint_reason is not None:
                        final, fallback_reason = None, lint_reason
                    elif text != final.output:
                        final, lint_repaired = check_text(text, bundle), True
                    lint_repaired = lint_repaired or bool(tidy_changes)
            else:
                fallback_reason = verdict.reason
        except BizpilotError as exc:
            fallback_reason = f"no LLM available: {exc.message}"
            logger.warning("content generation falls back to templates: %s", exc.message)
    if final is None:
        final = check_text(deterministic if deterministic is not None else realise_deterministic(plan, bundle),
                           bundle)
        if model != "deterministic":
            model = f"deterministic (after {model})"
        stamp = DETERMINISTIC_VERSION if draft is None else f"{DETERMINISTIC_VERSION} (llm: {stamp})"
    shown_lint = lint_text(final.output, ctx)
    lint = {"draft": [f.to_dict() for f in (draft_lint if draft is not None else shown_lint)],
            "draft_failed_checks": failed_checks(draft_lint if draft is not None else shown_lint),
            "repaired": lint_repaired, "tidied": tidy_changes, "output": [f.to_dict() for f in shown_lint],
            "failed_checks": failed_checks(shown_lint)}
    kept, removed, repaired = _summaries(draft_check if draft_check is not None and fallback_reason is None
                                         else final)
    sentences, _, _ = _summaries(final)
    check = final.to_dict()
    check["fallback"] = fallback_reason is not None
    check["fallback_reason"] = fallback_reason
    check["removed"], check["repaired_claims"] = removed, repaired
    check["lint"] = lint
    check["purpose"] = chosen.to_dict() if chosen else None
    if draft_check is not None:
        check["llm_draft"] = {**draft_check.to_dict(), "text": draft}
    inputs = {"tone": tone, "length": length, "use_llm": use_llm, "inquiry": inquiry,
              "product_ref": product_id, "account_ref": account_id, "plan": plan.to_dict(), "purpose": purpose,
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
                            inputs=inputs, purpose=check["purpose"], lint=lint)


def _brief(purpose: Purpose | None, language: str) -> str | None:
    """The purpose as the model is told it (the letter's reason to be written)."""
    if purpose is None:
        return None
    label = purpose.name.replace("_", " ")
    if language == "zh":
        return f"写作目的：{label}（{purpose.reason}）。你是供应商的销售代表，用“您”直接写给客户。"
    return (f"Purpose: {label} ({purpose.reason}). You are the supplier's sales rep writing to the customer: "
            "address them as 'you', never write as the buyer.")


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
            "purpose": ((row.check_result or {}).get("purpose") or {}).get("name"),
            "failed_checks": ((row.check_result or {}).get("lint") or {}).get("draft_failed_checks", []),
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
