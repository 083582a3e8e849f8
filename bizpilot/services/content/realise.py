"""Deterministic realisation: bilingual sentence templates per plan section that state exactly the planned facts,
written with the facts' own spellings, so the result always passes the checker. It is the fallback whenever the
model's draft fails (and the whole realisation when no model is available or wanted)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources

from bizpilot.services.content.facts import FactBundle
from bizpilot.services.content.glossary import attr_label
from bizpilot.services.content.plan import ContentPlan, Section

PARAGRAPH_KINDS = frozenset({"sales_email", "follow_up", "inquiry_reply", "case_study"})
# The fixed wording, {"en": ..., "zh": ...} per tone (openers, closers and hooks, with a {name} slot) and per
# one-sentence section (slots name facts: {product.name}; {0} is the section's first fact): data/wording.json.
_WORDING: dict[str, dict[str, dict[str, str]]] = json.loads(
    (resources.files("bizpilot.services.content") / "data" / "wording.json").read_text(encoding="utf-8"))
OPENERS, CLOSERS, HOOKS, SENTENCES = (_WORDING[k] for k in ("openers", "closers", "hooks", "sections"))
_SLOT = re.compile(r"\{([^{}]+)\}")


class _Facts:
    """Fact texts by id in one language (an unknown id renders empty; the plan only lists known ones)."""

    def __init__(self, bundle: FactBundle, language: str) -> None:
        self.bundle, self.lang = bundle, language

    def __call__(self, fact_id: str) -> str:
        fact = self.bundle.get(fact_id)
        return fact.render(self.lang) if fact else ""


def _specs(s: Section, f: _Facts, zh: bool) -> str:
    parts = [(attr_label(i.rsplit(".", 1)[-1], f.lang), f(i)) for i in s.fact_ids]
    if zh:
        return "规格参数：" + "，".join(f"{k}{v}" for k, v in parts) + "。"
    return "Specifications: " + ", ".join(f"{k} {v}" for k, v in parts) + "."


def _price(s: Section, f: _Facts, zh: bool) -> str:
    unit = f("product.unit")
    if zh:
        return f"价格为{f('product.price')}" + (f"/{unit}" if unit else "") + "。"
    per = "" if not unit else (" each" if unit == "each" else f" per {unit}")
    return f"The price is {f('product.price')}{per}."


def _history(s: Section, f: _Facts, zh: bool) -> str:
    items = [(f(i), f(i.replace(".name", ".qty"))) for i in s.fact_ids if i.endswith(".name")]
    if zh:
        return "采购最多的产品包括：" + "；".join(f"{n}（共{q}）" for n, q in items) + "。"
    return "The most ordered products are " + "; ".join(f"{n} ({q} units)" for n, q in items) + "."


def _opportunities(s: Section, f: _Facts, zh: bool) -> str:
    out = []
    for i in [i for i in s.fact_ids if i.endswith(".name")]:
        base = i.rsplit(".", 1)[0]
        amount = f(base + ".amount")
        stage = f(base + ".stage")
        if zh:
            out.append(f"“{f(i)}”目前处于{stage}阶段" + (f"，金额{amount}" if amount else ""))
        else:
            out.append(f"\"{f(i)}\" is at the {stage} stage" + (f" ({amount})" if amount else ""))
    return ("当前在跟进的商机：" + "；".join(out) + "。") if zh else ("Open opportunities: " + "; ".join(out) + ".")


def _relationship(s: Section, f: _Facts, zh: bool) -> str:
    ids = set(s.fact_ids)
    industry = f("account.industry") if "account.industry" in ids else ""
    if zh:
        text = f"{f('account.name')}" + (f"是一家{industry}行业的客户" if industry else "是我们的客户")
        if "order.count" in ids:
            text += f"，自{f('order.first.date')}起已下单{f('order.count')}次"
        return text + "。"
    text = f"{f('account.name')}" + (f" is a {industry} customer" if industry else " is a valued customer")
    if "order.count" in ids:
        text += f" that has placed {f('order.count')} orders since {f('order.first.date')}"
    return text + "."


def _customer(s: Section, f: _Facts, zh: bool) -> str:
    place = ", ".join(x for x in (f("account.region"), f("account.country")) if x)
    if zh:
        located = f"，位于{place}" if place else ""
        return f"{f('account.name')}是一家{f('account.industry') or ''}企业{located}。"
    where = f" based in {place}" if place else ""
    return f"{f('account.name')} is a {f('account.industry') or 'business'} company{where}."


def _context(s: Section, f: _Facts, zh: bool) -> str:
    bits = [f(i) for i in s.fact_ids]
    return ("客户背景：" + "，".join(bits) + "。") if zh else ("Account context: " + ", ".join(bits) + ".")


def _last_order(s: Section, f: _Facts, zh: bool) -> str:
    names = [f(i) for i in s.fact_ids if i.endswith(".name")]
    if zh:
        return f"感谢您在{f('order.last.date')}的订单" + (f"，其中包括{names[0]}" if names else "") + "。"
    return f"Thank you for your order of {f('order.last.date')}" + (
        f", which included {names[0]}" if names else "") + "."


def _cta(plan: ContentPlan, f: _Facts, zh: bool) -> str:
    if plan.kind in ("sales_email", "follow_up"):
        return ("如需补货或报价，请直接回复本邮件。" if zh
                else "Reply to this email and we will prepare a quote or a reorder.")
    sku = f("product.sku")
    if zh:
        return f"下单请注明货号{sku}。" if sku else "欢迎垂询。"
    return f"Order today with SKU {sku}." if sku else "Contact us to order."


def _sentence(s: Section, f: _Facts, zh: bool) -> str:
    """A one-sentence section from its wording, each {fact.id} slot filled with the fact's text in this language."""
    template = SENTENCES[s.name]["zh" if zh else "en"]
    return _SLOT.sub(lambda m: f(s.fact_ids[int(m[1])] if m[1].isdigit() else m[1]), template)


SectionFn = Callable[[Section, _Facts, bool], str]
_SIMPLE: dict[str, SectionFn] = {
    "specs": _specs, "price": _price, "history": _history, "opportunity": _opportunities,
    "relationship": _relationship, "customer": _customer, "context": _context, "last_order": _last_order,
    **dict.fromkeys(SENTENCES, _sentence),
}


def realise_section(section: Section, plan: ContentPlan, bundle: FactBundle) -> str:
    """One section as text in the plan's language and tone."""
    f, zh = _Facts(bundle, plan.language), plan.language == "zh"
    lang = "zh" if zh else "en"
    name = section.name
    if name == "greeting":
        who = f("account.name") or ("客户" if zh else "there")
        return OPENERS[plan.tone][lang].format(name=who)
    if name == "closing":
        return CLOSERS[plan.tone][lang]
    if name == "hook":
        text = HOOKS[plan.tone][lang].format(name=f("product.name"))
        attrs = [f(i) for i in section.fact_ids[1:]]
        if attrs:
            text += ("特点：" + "、".join(attrs) + "。") if zh else (" Key features: " + ", ".join(attrs) + ".")
        return text
    if name == "headline":
        attrs = [f(i) for i in section.fact_ids if i.startswith("product.attr.")]
        price = f("product.price")
        if zh:
            return f"{f('product.name')}" + (f"｜{attrs[0]}" if attrs else "") + (f"｜仅售{price}" if price else "")
        return f"{f('product.name')}" + (f" – {attrs[0]}" if attrs else "") + (f" – now {price}" if price else "")
    if name == "cta":
        return _cta(plan, f, zh)
    return _SIMPLE[name](section, f, zh)


def realise_deterministic(plan: ContentPlan, bundle: FactBundle) -> str:
    """The whole piece: emails and stories as paragraphs, call scripts as bullet lines, the rest as one block."""
    texts = [realise_section(s, plan, bundle) for s in plan.sections]
    zh = plan.language == "zh"
    if plan.kind == "call_script":
        return "\n".join(f"- {t}" for t in texts)
    if plan.kind == "inquiry_reply":  # greeting, one answer paragraph, closing
        names = [s.name for s in plan.sections]
        head = [t for n, t in zip(names, texts, strict=True) if n == "greeting"]
        tail = [t for n, t in zip(names, texts, strict=True) if n == "closing"]
        body = [t for n, t in zip(names, texts, strict=True) if n not in ("greeting", "closing")]
        return "\n\n".join([*head, ("" if zh else " ").join(body), *tail])
    if plan.kind in PARAGRAPH_KINDS:
        return "\n\n".join(texts)
    return ("" if zh else " ").join(texts)


__all__ = ["realise_deterministic", "realise_section"]
