"""Plan before prose: which sections a piece has, in what order, and which facts each section states. The plan is
made from the facts alone (never by the model), so what the copy says is decided by data; the realiser - a template
or the model - only turns the plan into sentences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bizpilot.errors import ValidationFailed
from bizpilot.services.content.facts import LANGUAGES, FactBundle

TONES = ("neutral", "friendly", "formal", "enthusiastic")
LENGTHS = ("short", "medium", "long")
# How many attributes / history items each length states.
ATTRS_BY_LENGTH = {"short": 2, "medium": 4, "long": 99}
ITEMS_BY_LENGTH = {"short": 1, "medium": 2, "long": 3}
# Sections of each kind, in order; a trailing '?' marks a section dropped for short pieces.
KIND_SECTIONS: dict[str, tuple[str, ...]] = {
    "product_description": ("intro", "specs", "price", "stock?", "reference?"),
    "ad": ("hook", "price", "cta"),
    "headline": ("headline",),
    "announcement": ("announce", "specs", "price", "stock?", "cta"),
    "inquiry_reply": ("greeting", "thanks", "specs", "price", "stock", "reference?", "closing"),
    "sales_email": ("greeting", "relationship", "history", "offer?", "opportunity?", "cta", "closing"),
    "follow_up": ("greeting", "last_order", "opportunity", "cta", "closing"),
    "case_study": ("case_title", "customer", "relationship", "history", "summary?"),
    "call_script": ("opener", "context", "relationship", "history", "opportunity", "questions?", "close_call"),
}


@dataclass
class Section:
    name: str
    fact_ids: list[str] = field(default_factory=list)


@dataclass
class ContentPlan:
    kind: str
    language: str
    tone: str
    length: str
    sections: list[Section]

    @property
    def fact_ids(self) -> list[str]:
        return list(dict.fromkeys(i for s in self.sections for i in s.fact_ids))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_options(language: str, tone: str, length: str) -> None:
    problems = []
    if language not in LANGUAGES:
        problems.append({"field": "language", "reason": f"must be one of {', '.join(LANGUAGES)}"})
    if tone not in TONES:
        problems.append({"field": "tone", "reason": f"must be one of {', '.join(TONES)}"})
    if length not in LENGTHS:
        problems.append({"field": "length", "reason": f"must be one of {', '.join(LENGTHS)}"})
    if problems:
        raise ValidationFailed("invalid content options: " + "; ".join(f"{p['field']} {p['reason']}"
                                                                     for p in problems), details=problems)


def _facts_for(section: str, bundle: FactBundle, length: str) -> list[str]:
    attrs = bundle.ids("product.attr.")[:ATTRS_BY_LENGTH[length]]
    items = ITEMS_BY_LENGTH[length]
    have = [i for i in ("product.name", "product.category") if bundle.has(i)]
    top = [i for n in range(1, items + 1) for i in (f"order.top.{n}.name", f"order.top.{n}.qty") if bundle.has(i)]
    opps = [i for n in range(1, items + 1) for i in (f"opportunity.{n}.name", f"opportunity.{n}.stage",
                                                     f"opportunity.{n}.amount") if bundle.has(i)]
    table: dict[str, list[str]] = {
        "intro": have, "announce": have, "hook": ["product.name", *attrs[:2]],
        "headline": ["product.name", *attrs[:1], "product.price"],
        "specs": attrs, "price": ["product.price", "product.unit"], "stock": ["product.stock"],
        "reference": ["product.sku"], "cta": ["product.sku"] if bundle.has("product.sku") else ["account.name"],
        "greeting": ["account.name"], "thanks": ["product.name"], "closing": [],
        "relationship": ["account.name", "account.industry", "order.count", "order.first.date"],
        "history": top, "last_order": ["order.last.date", *top[:2]],
        "offer": ["product.name", "product.price", "product.unit"], "opportunity": opps,
        "case_title": ["account.name", "account.industry"],
        "customer": ["account.name", "account.industry", "account.country", "account.region"],
        "summary": ["account.name", "order.count"],
        "opener": ["account.name"], "context": ["account.industry", "account.tier", "account.country"],
        "questions": top[:2], "close_call": opps[:1],
    }
    return [i for i in table.get(section, []) if bundle.has(i)]


def make_plan(bundle: FactBundle, *, language: str = "en", tone: str = "neutral",
              length: str = "medium") -> ContentPlan:
    """Sections of the kind with the facts each states; sections without facts to state are left out (a
    follow-up without an open opportunity does not mention one), the greeting and closing stay."""
    validate_options(language, tone, length)
    sections = []
    for spec in KIND_SECTIONS[bundle.kind]:
        name, optional = spec.rstrip("?"), spec.endswith("?")
        if optional and length == "short":
            continue
        ids = _facts_for(name, bundle, length)
        if not ids and name not in ("greeting", "closing", "thanks", "cta"):
            continue
        if name == "greeting" and not bundle.has("account.name"):
            ids = []
        sections.append(Section(name, ids))
    return ContentPlan(kind=bundle.kind, language=language, tone=tone, length=length, sections=sections)


__all__ = ["ContentPlan", "LENGTHS", "Section", "TONES", "make_plan", "validate_options"]
