"""The capability probe: a handful of fixed prompts, each scored by the content quality checks
(``services/content/lint.py``) and a fact check against the facts the prompt gave.

Capabilities, each failed by any case that shows the fault:
- ``voice``: written by the seller to the customer, fit to send (lint ``voice``, ``placeholders``,
  ``field_names``);
- ``language``: Chinese asked, Chinese written, and English likewise (lint ``language``);
- ``facts``: every number, date, SKU and name is one the prompt gave, the named customer and product appear, and
  no discount or offer is invented (the content fact checker, plus ``required`` and a discount pattern);
- ``form``: what content generation repairs or tolerates once: e-mail parts (a greeting or closing it can add),
  length, no loops (lint ``email_parts``, ``length``, ``repetition``).
Answers are cleaned as content generation cleans drafts (``clean_draft``, and ``tidy_email`` for e-mails) before
they are scored. The e-mail cases are asked with the prompt content generation sends (``letter_prompt``: a reorder
reminder to a customer, with the probe's facts), so the probe judges the model on the prompt it will get; version 1
asked them with a prompt of its own, on which a model that follows the production prompt could fail.
A model passes when voice, language and facts hold in every case and at most one case fails on form; the same rule
over one language's cases gives the verdict per language, and content generation lets it draft in the languages it
passed (``store.probe_passed``); otherwise the deterministic path writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bizpilot.errors import BizpilotError
from bizpilot.llm.types import ChatOptions, Message
from bizpilot.services.content.checker import check_text
from bizpilot.services.content.facts import Fact, FactBundle
from bizpilot.services.content.letter_prompt import LETTER_MAX_TOKENS, build_letter_messages
from bizpilot.services.content.lint import EMAIL_KINDS, LintContext, failed_checks, lint_text
from bizpilot.services.content.plan import ContentPlan, Section
from bizpilot.services.content.prompting import KIND_LABELS, clean_draft
from bizpilot.services.content.purpose import Purpose
from bizpilot.services.content.realise import CLOSERS, OPENERS
from bizpilot.services.content.tidy import tidy_email
from bizpilot.services.llmprobe.store import model_key

PROBE_VERSION = 3  # 3: verdict per language; product names checked whole (content lint)
CAPABILITIES = ("voice", "language", "facts", "form")
_CAPABILITY_OF = {"voice": "voice", "email_parts": "form", "placeholders": "voice", "field_names": "voice",
                  "language": "language", "length": "form", "repetition": "form"}
DISCOUNT_RE = re.compile(r"\bdiscount|\bcoupon|\bpromo(?:tion|tional)?\b|\bspecial (?:offer|price|deal)|"
                         r"\d+\s?%\s?off\b|\bfree shipping\b|折扣|优惠|打\s?[0-9一二三四五六七八九]+\s?折|"
                         r"[0-9一二三四五六七八九]折|减免|返利|促销|满减|包邮", re.IGNORECASE)

_SELLER = Fact("seller.name", "name", "Northwind Fasteners", "Northwind Fasteners", "诺思紧固件")
_REP = Fact("seller.rep", "name", "Lena Hoffmann", "Lena Hoffmann", "李娜")
_ACCOUNT = Fact("account.name", "name", "Anchor Contractors B.V.", "Anchor Contractors B.V.", "安科建设",
                aliases=("Anchor Contractors",))
_CONTACT = Fact("account.contact", "name", "Tom Visser", "Tom Visser", "王伟", aliases=("Tom", "Mr. Visser"))
_ORDERS = Fact("account.order_count", "count", 16, "16 orders", "16笔订单", aliases=("16",))
_SINCE = Fact("account.first_order", "date", "2024-04-01", "2024-04-01", "2024年4月1日")
_LAST_QTY = Fact("order.last.qty", "quantity", 624, "624 pcs", "624件", unit="pcs", aliases=("624",))
_LAST_DATE = Fact("order.last.date", "date", "2025-05-12", "2025-05-12", "2025年5月12日")
_CYCLE = Fact("reorder.cycle", "count", 45, "45 days", "45天", aliases=("45",))
_BOLT = Fact("product.name", "name", "Hex Bolt M8", "Hex Bolt M8", "六角螺栓M8", aliases=("M8 hex bolt", "M8 hex bolts",
                                                                                "Hex Bolts M8", "M8六角螺栓"))
_SKU = Fact("product.sku", "sku", "FB-00123", "FB-00123")
_MATERIAL = Fact("product.attr.material", "attribute", "304 stainless steel", "304 stainless steel", "304不锈钢",
                 aliases=("stainless steel 304", "304 stainless"))
_PACK = Fact("product.attr.pack", "quantity", 100, "100 pcs per box", "每盒100件", unit="pcs", aliases=("100",))
_PRICE = Fact("product.price", "price", 12.5, "USD 12.50", "12.50美元", currency="USD",
              aliases=("$12.50", "12.50 USD", "USD 12.5", "$12.5"))

EMAIL_FACTS = [_SELLER, _REP, _ACCOUNT, _CONTACT, _ORDERS, _SINCE, _LAST_QTY, _LAST_DATE, _CYCLE, _BOLT]
# The facts a reorder reminder's plan gives the letter prompt in production (product, SKU, days since the last
# order of it, usual cycle) plus the history, under the ids it uses.
_LETTER_FACTS = [_ACCOUNT,
                 Fact("reorder.name", "name", "Hex Bolt M8", "Hex Bolt M8", "六角螺栓M8", aliases=_BOLT.aliases),
                 Fact("reorder.sku", "sku", "FB-00123", "FB-00123"),
                 Fact("reorder.since", "count", 52, "52", "52", aliases=("52 days",)),
                 Fact("reorder.cycle", "count", 45, "45", "45", aliases=("45 days",)),
                 Fact("order.count", "count", 16, "16", "16"),
                 Fact("order.first.date", "date", "2024-04-01", "2024-04-01", "2024年4月1日")]


def _letter_case(lang: str) -> tuple[str, str]:
    """(system, user) of the reorder reminder content generation would send for the probe's customer."""
    bundle = FactBundle(kind="sales_email", facts=list(_LETTER_FACTS))
    plan = ContentPlan(kind="sales_email", language=lang, tone="neutral", length="medium",
                       sections=[Section("lead", [f.id for f in _LETTER_FACTS])])
    purpose = Purpose("reorder_reminder", "reorder due: 52 days since the last order, cycle 45 days")
    name = _ACCOUNT.render(lang)
    messages, _ = build_letter_messages(plan, bundle, purpose, OPENERS["neutral"][lang].format(name=name),
                                        CLOSERS["neutral"][lang], KIND_LABELS["sales_email"][lang == "zh"], [])
    return messages[0].content, messages[1].content
PRODUCT_FACTS = [_SELLER, _BOLT, _SKU, _MATERIAL, _PACK, _PRICE]


@dataclass(frozen=True)
class ProbeCase:
    """One fixed prompt: what it asks, in which language, of which content kind, with which facts and which of
    them must appear (each entry: any of its spellings)."""

    id: str
    kind: str
    language: str
    length: str
    system: str
    prompt: str
    facts: tuple[Fact, ...]
    required: tuple[Fact, ...]
    max_tokens: int


CASES: tuple[ProbeCase, ...] = (
    ProbeCase("email_en", "sales_email", "en", "medium", *_letter_case("en"), tuple(EMAIL_FACTS + _LETTER_FACTS),
              (_ACCOUNT, _BOLT), LETTER_MAX_TOKENS["medium"]),
    ProbeCase("email_zh", "sales_email", "zh", "medium", *_letter_case("zh"), tuple(EMAIL_FACTS + _LETTER_FACTS),
              (_ACCOUNT, _BOLT), LETTER_MAX_TOKENS["medium"]),
    ProbeCase(
        "description_en", "product_description", "en", "short",
        "You write product descriptions for Northwind Fasteners' catalogue. Use only the facts you are given; "
        "never invent prices, discounts or features.",
        "Write a product description of two or three sentences in English. Facts: product Hex Bolt M8, "
        "SKU FB-00123, material 304 stainless steel, 100 pcs per box, price USD 12.50 per box.",
        tuple(PRODUCT_FACTS), (_BOLT,), 140),
    ProbeCase(
        "description_zh", "product_description", "zh", "short",
        "你为诺思紧固件的产品目录撰写产品描述。只使用给出的事实，不要编造价格、折扣或功能。",
        "用中文写两三句产品描述。事实：产品 六角螺栓M8，SKU FB-00123，材质 304不锈钢，每盒100件，单价 12.50美元/盒。",
        tuple(PRODUCT_FACTS), (_BOLT,), 200),
)


def score_text(case: ProbeCase, text: str) -> dict[str, Any]:
    """Score one answer: the failed lint checks, the fact problems, the required facts missing, invented
    discounts, and which capabilities that failed. Pure: the same text always scores the same."""
    text = clean_draft(text)
    if case.kind in EMAIL_KINDS:
        text = tidy_email(text, language=case.language, account_name=_ACCOUNT.render(case.language)).text
    bundle = FactBundle(kind=case.kind, facts=list(case.facts))
    lint = lint_text(text, LintContext(kind=case.kind, language=case.language, length=case.length, bundle=bundle))
    checked = check_text(text, bundle)
    problems = [f"{c.status}: {c.text}" for c in checked.problems()]
    lowered = text.lower()
    missing = [f.id for f in case.required if not any(s.lower() in lowered for s in f.spellings)]
    discounts = [m.group() for m in DISCOUNT_RE.finditer(text)]
    failed = {_CAPABILITY_OF.get(name, "form") for name in failed_checks(lint)}
    if problems or missing or discounts:
        failed.add("facts")
    return {"id": case.id, "language": case.language, "kind": case.kind,
            "lint": failed_checks(lint), "lint_reasons": [f"{f.check}: {f.reason}" for f in lint][:8],
            "fact_problems": problems[:8], "missing": missing, "discounts": discounts,
            "failed": [c for c in CAPABILITIES if c in failed], "passed": not failed}


def _verdict(cases: list[dict[str, Any]]) -> bool:
    """Voice, language and facts hold in every case, and at most one case fails on form."""
    form_failures = sum("form" in case["failed"] for case in cases)
    return bool(cases) and form_failures <= 1 and all(
        c not in case["failed"] for case in cases for c in ("voice", "language", "facts"))


def summarise(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-capability verdicts, the share of clean cases (``score``), the overall ``passed`` and the verdict per
    language (``languages``): a model that mangles Chinese product names but writes clean English drafts in English
    only, and the deterministic path writes its Chinese."""
    capabilities = {c: all(c not in case["failed"] for case in cases) for c in CAPABILITIES}
    score = round(sum(case["passed"] for case in cases) / len(cases), 3) if cases else 0.0
    languages = {lang: _verdict([case for case in cases if case.get("language") == lang])
                 for lang in sorted({case.get("language") for case in cases if case.get("language")})}
    return {"capabilities": capabilities, "score": score, "passed": _verdict(cases), "languages": languages}


def run_probe(backend: Any, *, cases: tuple[ProbeCase, ...] = CASES,
              on_case: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every case through ``backend`` (temperature 0), score it and return the result to store: model key,
    date, per-case scores and texts, capabilities, tokens/s. A call that fails scores as a failed case."""
    results: list[dict[str, Any]] = []
    tokens, seconds = 0, 0.0
    started = time.perf_counter()
    for case in cases:
        messages = [Message.system(case.system), Message.user(case.prompt)]
        try:
            completion = backend.generate(messages, ChatOptions(max_tokens=case.max_tokens, temperature=0.0,
                                                                seed=0, tag="llm.probe"))
        except BizpilotError as exc:
            scored = {"id": case.id, "language": case.language, "kind": case.kind, "lint": [], "lint_reasons": [],
                      "fact_problems": [], "missing": [], "discounts": [], "failed": list(CAPABILITIES),
                      "passed": False, "error": exc.message, "text": ""}
        else:
            scored = {**score_text(case, completion.text), "text": completion.text,
                      "tokens": completion.usage.completion_tokens, "seconds": round(completion.seconds, 2)}
            tokens += completion.usage.completion_tokens
            seconds += completion.seconds
        results.append(scored)
        if on_case is not None:
            on_case(scored)
    return {"model": model_key(backend), "backend": backend.name, "model_name": backend.model_name,
            "probe_version": PROBE_VERSION, "date": datetime.now(UTC).isoformat(timespec="seconds"),
            **summarise(results), "tokens_per_s": round(tokens / seconds, 2) if seconds else None,
            "seconds": round(time.perf_counter() - started, 1), "cases": results}


__all__ = ["CAPABILITIES", "CASES", "DISCOUNT_RE", "PROBE_VERSION", "ProbeCase", "run_probe", "score_text",
           "summarise"]
