"""Deterministic letters and call scripts with a purpose, written to the customer in the seller's voice.

Each purpose has several sentence templates per part (``data/letters.json``: lead, detail, call to action, the
questions and next step of a call script; greetings and closings per tone), written natively in English and in
Chinese. Which variant a letter uses is chosen by the account id and the part (so two customers rarely get the
same letter, and one customer gets the same letter every time); a variant whose facts the bundle lacks is skipped.
Slots name fact ids (``{reorder.name}``) and are filled with the facts' own spellings in the letter's language
(the glossary's terms in Chinese), so the letter passes the fact check by construction.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import replace
from importlib import resources
from typing import Any

from bizpilot.services.content.facts import FactBundle
from bizpilot.services.content.plan import ContentPlan, Section, validate_options
from bizpilot.services.content.purpose import Purpose

LETTERS: dict[str, Any] = json.loads(
    (resources.files("bizpilot.services.content") / "data" / "letters.json").read_text(encoding="utf-8"))
_SLOT = re.compile(r"\{([a-z0-9_.]+)\}")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
FREE_TEXT = frozenset({"invoice.payment"})  # facts kept in the words they were imported in (no translation)
# Why a product is recommended, by the recommender's reason kind (said without naming other products).
REASONS = {
    "en": {"bought_with": "It is often ordered together with products you already buy from us.",
           "peers": "Other {account.industry} customers like you order it regularly.",
           "popular": "It is one of the most popular lines in our catalogue.",
           "similar_text": "It is new and close to what you already order.",
           "reorder": "It fits the way you already order."},
    "zh": {"bought_with": "很多客户会把它和您常买的产品一起采购。",
           "peers": "和您同属{account.industry}行业的客户经常订购这款产品。",
           "popular": "这是我们目录中最受欢迎的产品之一。",
           "similar_text": "这是新品，和您常买的产品很接近。",
           "reorder": "它很符合您现有的采购习惯。"},
}


def _fill(template: str, bundle: FactBundle, lang: str) -> tuple[str, list[str]] | None:
    """The template with its slots filled, and the fact ids it states; None when a fact is missing."""
    ids = _SLOT.findall(template)
    facts = [bundle.get(i) for i in ids]
    if any(f is None for f in facts):
        return None
    text = _SLOT.sub(lambda m: bundle.get(m[1]).render(lang), template)  # type: ignore[union-attr]
    return text, list(dict.fromkeys(ids))


def pick(variants: list[str], bundle: FactBundle, lang: str, seed: int, part: str) -> tuple[str, list[str]] | None:
    """The variant for this account and part (rotating from a stable hash), skipping those missing a fact."""
    if not variants:
        return None
    start = (seed * 7919 + zlib.crc32(part.encode())) % len(variants)
    for k in range(len(variants)):
        filled = _fill(variants[(start + k) % len(variants)], bundle, lang)
        if filled is not None:
            return filled
    return None


def _fits(text: str, lang: str) -> bool:
    """Chinese text never goes into an English letter; English words (more than an IBAN or a bank code) never
    into a Chinese one."""
    if lang != "zh":
        return not _CJK_RE.search(text)
    return bool(_CJK_RE.search(text)) or len(re.findall(r"[A-Za-z]{2,}", text)) < 4


def _fitting(bundle: FactBundle, lang: str) -> FactBundle:
    """The bundle without free-text facts written in the other language (payment instructions typed in Chinese
    have no place in an English letter, and the reverse): a sentence that needs one is then skipped."""
    keep = [f for f in bundle.facts if f.id not in FREE_TEXT or _fits(f.render(lang), lang)]
    return bundle if len(keep) == len(bundle.facts) else replace(bundle, facts=keep)


def _part(purpose: dict[str, Any], name: str, lang: str) -> list[str]:
    return list((purpose.get(name) or {}).get(lang) or [])


def compose(*, bundle: FactBundle, purpose: Purpose, kind: str, language: str = "en", tone: str = "neutral",
            length: str = "medium") -> tuple[ContentPlan, str]:
    """(plan, text): the sections with the facts each states (what the model is asked to write) and the
    deterministic letter or call script itself."""
    validate_options(language, tone, length)
    lang, seed = language, int(bundle.account_id or 0)
    spec = LETTERS["purposes"][purpose.name]
    parts: list[tuple[str, tuple[str, list[str]] | None]] = []
    if kind == "call_script":
        script = LETTERS["script"]
        lead = pick(_part(spec, "lead", lang), bundle, lang, seed, "lead")
        parts.append(("opener", pick(script["opener"][lang], bundle, lang, seed, "opener")))
        if lead:
            parts.append(("reason", (script["reason"][lang] + lead[0], lead[1])))
        # A purpose may bring its own general questions and objections (a payment call hears "the invoice is
        # wrong", not "too expensive"); otherwise the script's own.
        general = _part(spec, "general_ask", lang) or script["general_ask"][lang]
        asks = [pick(_part(spec, "ask", lang), bundle, lang, seed, "ask"),
                pick(general, bundle, lang, seed, "general_ask")]
        if length == "long" and len(general) > 1:
            asks.append(pick(general, bundle, lang, seed + 1, "general_ask"))
        asks = [a for n, a in enumerate(asks) if a and a not in asks[:n]]
        for n, ask in enumerate(asks):
            parts.append((f"question_{n + 1}", (script["ask"][lang] + ask[0], ask[1])))
        said = _part(spec, "objections", lang) or script["objections"][lang]
        objections = said[: {"short": 1, "medium": 2, "long": 3}[length]]
        start = seed % len(said)
        rotated = (said[start:] + said[:start])[:len(objections)]
        parts += [(f"objection_{n + 1}", (o, [])) for n, o in enumerate(rotated)]
        parts.append(("next_step", pick(_part(spec, "next", lang), bundle, lang, seed, "next")))
        kept = [(n, p) for n, p in parts if p]
        plan = ContentPlan(kind=kind, language=language, tone=tone, length=length,
                           sections=[Section(n, p[1]) for n, p in kept])
        return plan, "\n".join(f"- {p[0]}" for _, p in kept)
    parts.append(("greeting", pick(LETTERS["greeting"][tone][lang], bundle, lang, seed, "greeting")))
    parts.append(("lead", pick(_part(spec, "lead", lang), bundle, lang, seed, "lead")))
    if length != "short":
        detail = [d for d in (pick(_part(spec, "detail", lang), _fitting(bundle, lang), lang, seed, "detail"),
                              pick(_part(spec, "detail2", lang), bundle, lang, seed, "detail2"),
                              pick(_part(spec, "detail3", lang), bundle, lang, seed, "detail3")) if d]
        if purpose.name == "cross_sell":
            kinds = purpose.details.get("reason_kinds") or ["popular"]
            reason = _fill(REASONS[lang].get(kinds[0], REASONS[lang]["popular"]), bundle, lang) or \
                _fill(REASONS[lang]["popular"], bundle, lang)
            detail.insert(0, reason)  # type: ignore[arg-type]
        if detail:
            joiner = "" if lang == "zh" else " "
            parts.append(("detail", (joiner.join(d[0] for d in detail), [i for d in detail for i in d[1]])))
    if length == "long" and purpose.name != "check_in":
        parts.append(("history", pick(LETTERS["history"][lang], bundle, lang, seed, "history")))
    parts.append(("cta", pick(_part(spec, "cta", lang), bundle, lang, seed, "cta")))
    parts.append(("closing", pick(LETTERS["closing"][tone][lang], bundle, lang, seed, "closing")))
    kept = [(n, p) for n, p in parts if p]
    plan = ContentPlan(kind=kind, language=language, tone=tone, length=length,
                       sections=[Section(n, p[1]) for n, p in kept])
    return plan, "\n\n".join(p[0] for _, p in kept)


__all__ = ["LETTERS", "compose", "pick"]
