"""The model's side of realisation: versioned prompt files (``prompts/<name>.<lang>.md``, same front matter and
version stamp as ``bizpilot.llm.prompts``), the prompt built from plan + quoted facts + approved examples, and the
acceptance rules a draft must meet after checking before it may replace the deterministic text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from bizpilot.errors import NotFoundError
from bizpilot.llm.guards import quote_untrusted
from bizpilot.llm.prompts import PromptTemplate, _parse, system_prompt
from bizpilot.llm.types import Message
from bizpilot.services.content.checker import CheckResult
from bizpilot.services.content.facts import FactBundle
from bizpilot.services.content.glossary import attr_label
from bizpilot.services.content.plan import ContentPlan

DETERMINISTIC_VERSION = "content.deterministic@v1"
KIND_LABELS = {
    "product_description": ("product description", "产品描述"), "ad": ("short ad", "广告文案"),
    "headline": ("one-line headline", "一句话标题"), "announcement": ("product announcement", "新品公告"),
    "inquiry_reply": ("reply to a customer inquiry", "客户询价回复"), "sales_email": ("sales email", "销售邮件"),
    "follow_up": ("follow-up email", "跟进邮件"), "case_study": ("customer case study", "客户案例"),
    "call_script": ("sales call script", "销售电话话术"),
}
WORDS = {"short": 40, "medium": 90, "long": 160}
MAX_TOKENS = {"short": 96, "medium": 192, "long": 320}
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Signs that a draft repeats the prompt (fact blocks, fact ids) rather than realising it; a plan's section markers
# ("[greeting]") are matched by name in ``judge`` (a slot such as "[Your Name]" is the placeholder check's business).
_ECHO_RE = re.compile(r"<<<|>>>|\b(?:product|account|order|opportunity)\.[a-z_]+|FACTS|EXAMPLE", re.MULTILINE)


@lru_cache(maxsize=16)
def load_content_prompt(lang: str, name: str = "content") -> PromptTemplate:
    files = resources.files(__package__) / "prompts"
    entry = files / f"{name}.{lang}.md"
    if not entry.is_file():
        entry = files / f"{name}.en.md"
    if not entry.is_file():
        raise NotFoundError("content prompt template missing (bizpilot/services/content/prompts/)")
    return _parse(entry.name, entry.read_text(encoding="utf-8"))


def _fact_line(fact_id: str, bundle: FactBundle, lang: str) -> str:
    fact = bundle.get(fact_id)
    if fact is None:
        return ""
    key = fact_id.rsplit(".", 1)[-1]
    if fact_id.startswith("product.attr."):
        label = attr_label(key, lang)
    else:
        label = " ".join(p for p in fact_id.split(".") if not p.isdigit()).replace("_", " ")
    return f"- {label}: {fact.render(lang)}"


def build_messages(plan: ContentPlan, bundle: FactBundle, examples: list[dict[str, Any]],
                   inquiry: str | None = None, brief: str | None = None) -> tuple[list[Message], str]:
    """(messages, prompt version stamp). Fact values and the customer's inquiry come from imports and customers,
    so they are quoted as data."""
    lang = plan.language
    template = load_content_prompt(lang)
    lines = []
    for s in plan.sections:
        lines.append(f"[{s.name}]")
        lines += [line for i in s.fact_ids if (line := _fact_line(i, bundle, lang))]
    plan_text = quote_untrusted("\n".join(lines), "FACTS")
    if brief:
        plan_text = brief + "\n" + plan_text
    if inquiry:
        plan_text += "\n" + ("客户来信：" if lang == "zh" else "Customer inquiry:") + "\n" + quote_untrusted(inquiry)
    ex_text = ""
    if examples:
        head = "已批准的同类范例（仅参考风格，不要照抄其中的事实）：" if lang == "zh" else \
            "Approved examples of this kind (follow their style only, never their facts):"
        ex_text = "\n" + head + "\n" + "\n".join(quote_untrusted(e["text"], "EXAMPLE") for e in examples)
    user = template.render(kind_label=KIND_LABELS[plan.kind][1 if lang == "zh" else 0], tone=plan.tone,
                           length=plan.length, words=WORDS[plan.length], plan=plan_text, examples=ex_text)
    return [Message.system(system_prompt(lang)), Message.user(user)], template.stamp


def clean_draft(text: str) -> str:
    """Strip what small models wrap around copy: code fences, a leading 'Here is ...:' line, quote marks."""
    text = re.sub(r"```[a-z]*", "", text).strip()
    first, _, rest = text.partition("\n")
    if rest and re.match(r"^(here is|here's|sure|以下是)", first.strip(), flags=re.IGNORECASE):
        text = rest.strip()
    return text.strip().strip('"').strip()


@dataclass
class Verdict:
    accepted: bool
    reason: str = ""


def judge(check: CheckResult, plan: ContentPlan, bundle: FactBundle) -> Verdict:
    """May the checked (and repaired) draft be used? It must be in the right language, keep most of its
    sentences, name its subject and state enough of the planned facts."""
    out = check.output
    markers = "|".join(re.escape(s.name) for s in plan.sections)
    if _ECHO_RE.search(out) or (markers and re.search(rf"^\s*\[(?:{markers})\]\s*$", out, re.MULTILINE)):
        return Verdict(False, "the model echoed the prompt's fact list instead of writing copy")
    if not out.strip():
        return Verdict(False, "the model's draft was empty after checking")
    cjk = len(_CJK_RE.findall(out)) / max(1, len(re.sub(r"\s", "", out)))
    if plan.language == "zh" and cjk < 0.3:
        return Verdict(False, "the model's draft is not in Chinese")
    if plan.language == "en" and cjk > 0.3:
        return Verdict(False, "the model's draft is not in English")
    if len(check.dropped) * 2 > len(check.sentences):
        return Verdict(False, f"{len(check.dropped)} of {len(check.sentences)} sentences made claims the facts do "
                              "not support")
    subject = "product.name" if bundle.has("product.name") else "account.name"
    backed = set(check.backed_by)
    if subject not in backed:
        return Verdict(False, f"the model's draft does not name the {subject.split('.')[0]}")
    planned = set(plan.fact_ids)
    need = min(3, len(planned))
    if len(backed & planned) < need:
        return Verdict(False, f"the model's draft states {len(backed & planned)} of the planned facts "
                              f"(at least {need} needed)")
    return Verdict(True)


__all__ = ["DETERMINISTIC_VERSION", "MAX_TOKENS", "Verdict", "build_messages", "clean_draft", "judge",
           "load_content_prompt"]
