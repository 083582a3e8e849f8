"""The prompt of a letter with a purpose (sales e-mail, follow-up, call script): who writes to whom and why, the
facts under plain labels (no section markers or fact keys for a small model to copy into the text), the greeting
and closing the deterministic letters use, and one short example of the seller's voice in the requested language
(one of two or three per purpose, chosen per account: see ``example_letter``).

Small local models given the plan as ``[section]`` blocks with ``order first date: ...`` lines wrote as the buyer,
copied the markers and keys, and signed with ``[Your Name]``; this prompt states the roles in words and shows the
shape instead.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from bizpilot.llm.guards import quote_untrusted
from bizpilot.llm.types import Message
from bizpilot.services.content.facts import FactBundle
from bizpilot.services.content.plan import ContentPlan

LETTER_PROMPT_KINDS = frozenset({"sales_email", "follow_up"})
# A letter of 3-4 sentences is ~70-150 tokens; the cap keeps a rambling draft near 20 s at ~9 tokens/s.
LETTER_MAX_TOKENS = {"short": 120, "medium": 180, "long": 300}
# Plain labels per fact id (numbered ids such as order.top.1.name drop their number first).
LABELS = {
    "en": {"account.name": "customer", "account.industry": "customer's industry",
           "account.country": "customer's country",
           "order.count": "orders they have placed with us", "order.first.date": "date of their first order with us",
           "order.last.date": "date of their last order", "order.top.name": "a product they often order",
           "order.top.qty": "units of it they have ordered", "recent.date": "date of their latest order",
           "recent.name": "product in their latest order", "recent.qty": "units in that order",
           "reorder.name": "product due for reorder", "reorder.sku": "its SKU",
           "reorder.cycle": "they usually reorder it every (days)", "reorder.since": "days since they last ordered it",
           "recommend.name": "product we suggest", "recommend.price": "its price", "recommend.sku": "its SKU",
           "recommend.category": "its category", "new.name": "new product", "new.price": "its price",
           "new.sku": "its SKU", "new.category": "its category", "opportunity.name": "their open quote",
           "opportunity.stage": "its stage", "opportunity.amount": "quoted amount",
           "opportunity.next_step": "agreed next step", "invoice.number": "invoice number",
           "invoice.amount_due": "amount still due", "invoice.due_date": "due date",
           "invoice.issued_date": "invoice date", "invoice.days_overdue": "days past the due date",
           "invoice.currency": "currency", "invoice.payment": "how to pay",
           "invoice.overdue_count": "overdue invoices in all", "invoice.overdue_total": "total overdue"},
    "zh": {"account.name": "客户", "account.industry": "客户所在行业", "account.country": "客户所在国家",
           "order.count": "客户在我们这里下过的订单数", "order.first.date": "客户首次向我们下单的日期",
           "order.last.date": "客户最近一次下单的日期", "order.top.name": "客户常买的产品",
           "order.top.qty": "该产品的累计订购数量", "recent.date": "客户最新订单的日期",
           "recent.name": "最新订单中的产品", "recent.qty": "该产品在这笔订单中的数量",
           "reorder.name": "该补货的产品", "reorder.sku": "货号", "reorder.cycle": "客户通常的补货周期（天）",
           "reorder.since": "距客户上次订购该产品的天数", "recommend.name": "我们推荐的产品",
           "recommend.price": "价格", "recommend.sku": "货号", "recommend.category": "品类", "new.name": "新品",
           "new.price": "价格", "new.sku": "货号", "new.category": "品类", "opportunity.name": "客户的报价项目",
           "opportunity.stage": "当前阶段", "opportunity.amount": "报价金额", "opportunity.next_step": "约定的下一步",
           "invoice.number": "发票号", "invoice.amount_due": "未付金额", "invoice.due_date": "到期日",
           "invoice.issued_date": "开票日期", "invoice.days_overdue": "逾期天数", "invoice.currency": "币种",
           "invoice.payment": "付款方式", "invoice.overdue_count": "逾期发票总数", "invoice.overdue_total": "逾期总额"},
}
WHY = {
    "en": {"thank_you": "thank them for their latest order and offer help with it",
           "reorder_reminder": "their usual reorder of a product is due; remind them and offer to prepare the order",
           "cross_sell": "suggest a product that fits what they already order",
           "win_back": "they have not ordered for a while; invite them back",
           "quote_follow_up": "follow up on their open quote and agree the next step",
           "new_product": "introduce a new product that fits what they buy",
           "payment_reminder": "an invoice of theirs is past its due date; remind them politely of the amount, due "
                               "date and how to pay, and ask when the payment will come (no discounts, fees or "
                               "penalties)",
           "check_in": "a friendly check-in on how things are going, mentioning your history together"},
    "zh": {"thank_you": "感谢客户最新的订单，并表示有需要可以随时帮忙",
           "reorder_reminder": "客户某个产品按惯例该补货了；提醒客户，并主动提出帮忙安排订单",
           "cross_sell": "推荐一款和客户现有采购相配的产品",
           "win_back": "客户有一段时间没有下单了；邀请客户再次合作",
           "quote_follow_up": "跟进客户的报价项目，商定下一步",
           "new_product": "介绍一款符合客户采购需要的新品",
           "payment_reminder": "客户有一张发票已过付款日；礼貌地提醒应付金额、到期日和付款方式，并询问预计付款时间"
                               "（不提折扣、滞纳金或罚款）",
           "check_in": "友好地问候客户近况，提一提双方的合作历史"},
}
TONES_ZH = {"neutral": "平实", "friendly": "友好", "formal": "正式", "enthusiastic": "热情"}
SENTENCES = {"en": {"short": "2", "medium": "3 or 4", "long": "5 or 6"},
             "zh": {"short": "2", "medium": "3到4", "long": "5到6"}}
# Two or three short letters per purpose and language (``prompts/letter_examples.<lang>.md``) to a made-up
# customer, in the seller's voice, each a different shape (opening, order of the facts, call to action). Small
# models copy the example's sentences around the facts almost word for word, so one example for everyone gave every
# customer the same e-mail; one of several, chosen by a stable hash of the account and purpose, gives different
# customers different shapes and keeps a request reproducible. Every sentence either states a fact of that purpose
# or is a courtesy true of any customer, so a close copy still says nothing false (the fact check drops a copied
# value).
_HELLO = {"en": "Hello Northwind Traders,\n\n", "zh": "北风贸易，您好：\n\n"}
_BYE = {"en": "\n\nBest regards,\nThe sales team", "zh": "\n\n此致\n销售团队"}
_HEAD_RE = re.compile(r"^### (\w+)[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=4)
def _example_bodies(lang: str) -> dict[str, tuple[str, ...]]:
    """Purpose -> example bodies, in file order."""
    text = (resources.files(__package__) / "prompts" / f"letter_examples.{lang}.md").read_text(encoding="utf-8")
    text = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    parts = _HEAD_RE.split(text)
    out: dict[str, list[str]] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        out.setdefault(name, []).append(body.strip())
    return {k: tuple(v) for k, v in out.items()}


# The made-up facts of the examples (names the masks of ``lint.copied_share`` do not catch by their digits).
EXAMPLE_FACTS = {"en": ("Northwind Traders", "Northwind packaging supply", "Packing Tape", "Stretch Film",
                        "Recycled Mailer Box M", "proposal stage", "review call"),
                 "zh": ("北风贸易", "北风包装供货", "封箱胶带", "缠绕膜", "再生纸邮寄盒M号", "毫米", "方案阶段",
                        "方案评审电话")}


def all_examples(lang: str) -> tuple[str, ...]:
    """Every example letter in ``lang``, for the copy check."""
    lang = "zh" if lang == "zh" else "en"
    return tuple(_HELLO[lang] + b + _BYE[lang] for bodies in _example_bodies(lang).values() for b in bodies)


def example_count(purpose: str, lang: str) -> int:
    bodies = _example_bodies("zh" if lang == "zh" else "en")
    return len(bodies.get(purpose) or bodies["check_in"])


def example_variant(purpose: str, key: object) -> int:
    """The index of the example for ``key`` (the account) and ``purpose``: a stable hash (not Python's salted
    ``hash``), the same in both languages and across runs."""
    digest = hashlib.sha256(f"{key}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def example_letter(purpose: str, lang: str, variant: int = 0) -> str:
    """The example letter of ``purpose`` in ``lang``; ``variant`` wraps around the purpose's examples."""
    lang = "zh" if lang == "zh" else "en"
    bodies = _example_bodies(lang)
    options = bodies.get(purpose) or bodies["check_in"]
    return _HELLO[lang] + options[variant % len(options)] + _BYE[lang]


def example_key(bundle: FactBundle) -> str:
    """What picks the example: the account's id, else its name, else nothing (one fixed example)."""
    if bundle.account_id is not None:
        return f"account:{bundle.account_id}"
    name = bundle.get("account.name")
    return f"name:{name.text}" if name is not None else ""


_REDACTION = {"en": "\nPlaceholders such as [NAME_1] in the data stand for real personal data: copy them exactly where "
                    "needed, and write no other brackets.",
              "zh": "\n数据中的[NAME_1]之类占位符代表真实的个人信息：需要时原样照抄，不要写其他方括号。"}


def _label(fact_id: str, lang: str) -> str:
    parts = [p for p in fact_id.split(".") if not p.isdigit()]
    key = ".".join(parts)
    return LABELS[lang].get(key) or " ".join(parts).replace("_", " ")


def build_letter_messages(plan: ContentPlan, bundle: FactBundle, purpose: Any, greeting: str, closing: str,
                          kind_label: str, examples: list[dict[str, Any]], *, redacted: bool = False,
                          inquiry: str | None = None) -> tuple[list[Message], str]:
    """(messages, prompt version stamp) for a letter planned around ``purpose``; facts, approved examples and an
    inquiry are quoted as data."""
    from bizpilot.services.content.prompting import load_content_prompt

    lang = "zh" if plan.language == "zh" else "en"
    system = load_content_prompt(lang, "letter_system")
    template = load_content_prompt(lang, "letter")
    lines = []
    for fact_id in plan.fact_ids:
        fact = bundle.get(fact_id)
        if fact is not None:
            lines.append(f"- {_label(fact_id, lang)}: {fact.render(lang)}")
    facts = quote_untrusted("\n".join(lines), "FACTS")
    if inquiry:
        facts += "\n" + ("客户来信：" if lang == "zh" else "Customer inquiry:") + "\n" + quote_untrusted(inquiry)
    ex_text = ""
    if examples:
        head = "你们团队已批准的同类信件（只学风格，不要照抄其中的事实）：" if lang == "zh" else \
            "Letters your team approved (follow their style only, never their facts):"
        ex_text = head + "\n" + "\n".join(quote_untrusted(e["text"], "EXAMPLE") for e in examples)
    name = bundle.get("account.name")
    customer = name.render(lang) if name is not None else ("客户" if lang == "zh" else "the customer")
    closing_lines = [c for c in closing.splitlines() if c.strip()]
    joined = "”和“".join(closing_lines) if lang == "zh" else '" and "'.join(closing_lines)
    why = WHY[lang].get(purpose.name, purpose.reason)
    variant = example_variant(purpose.name, example_key(bundle)) % example_count(purpose.name, lang)
    example = example_letter(purpose.name, lang, variant)
    tone = TONES_ZH.get(plan.tone, plan.tone) if lang == "zh" else plan.tone
    user = template.render(kind_label=kind_label, customer=customer.rstrip("."), purpose=why, tone=tone,
                           sentences=SENTENCES[lang][plan.length], facts=facts, greeting=greeting,
                           closing=joined, example=example, examples=ex_text)
    sys_text = system.render(redaction=_REDACTION[lang] if redacted else "")
    return [Message.system(sys_text), Message.user(user)], f"{template.stamp}+{system.stamp}+ex{variant + 1}"


__all__ = ["EXAMPLE_FACTS", "LABELS", "LETTER_MAX_TOKENS", "LETTER_PROMPT_KINDS", "WHY", "all_examples",
           "build_letter_messages", "example_count", "example_key", "example_letter", "example_variant"]
