"""Claims about money and terms that need a fact, stated without a number: the fact checker's step beside offers.

A small model fills a letter with what sellers often write: "your invoice is overdue", "we can extend the payment
by 30 days", "prices include all taxes", "order on our website". Each is a commitment or an accusation that only
the data can back, so each is a claim like "free" or "打折": a sentence that says it without a fact that does is
dropped (or the draft replaced), and the studio lists why. The lists are small and principled, one group per
kind of promise, each with the fact that backs it:

- ``debt``: money owed or overdue (overdue, past due, unpaid, outstanding balance, 逾期, 欠款, 未付) needs an
  overdue invoice in the facts (the ``invoice.*`` facts of a payment reminder);
- ``terms``: a payment extension, grace period or instalments (延期, 宽限, 分期), taxes included or excluded (含税,
  税费, tax included), shipping included, a vague length of the relationship ("for the past few months", 多年来),
  late fees or penalties (滞纳金), and an ordering channel ("on our website", 网站上, 商城) need a fact whose text
  says so (such as the invoice's payment instructions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bizpilot.services.content.facts import FactBundle


@dataclass(frozen=True)
class TermRule:
    """One group: its claim kind, the pattern, the reason shown, and the words a fact's text must hold to back it
    (empty: backed by the fact ids starting with ``fact_prefix``)."""

    kind: str
    pattern: re.Pattern[str]
    reason: str
    fact_words: tuple[str, ...] = ()
    fact_prefix: str = ""


_MONEY = r"(?:invoices?|bills?|payments?|balance|amount|account|accounts|fees?|charges?|sum|money)"
_MONEY_ZH = r"(?:账单|账款|发票|款项|货款|付款|费用|账户|帐单|帐款)"
RULES: tuple[TermRule, ...] = (
    TermRule("debt", re.compile(
        rf"\b{_MONEY}\b[^.!?\n]{{0,30}}?\b(?:overdue|past[- ]due|late|unpaid|outstanding|in arrears)\b"
        rf"|\b(?:overdue|past[- ]due|late|unpaid|outstanding)\s+(?:\w+\s+)?{_MONEY}\b"
        r"|\barrears\b|\b(?:you|your company) (?:still )?owes?\b|\bamount owed\b|\bdebt\b"
        rf"|{_MONEY_ZH}[^。！？\n]{{0,12}}?(?:逾期|过期|到期未付|未付|未结|拖欠)"
        r"|逾期未付|逾期付款|欠款|欠费|拖欠|欠[了您贵]?[^。！？\n]{0,4}?(?:款|钱)|未结清|尚未(?:支付|付款|结清)|催款",
        re.I),
        "money owed or overdue, but the facts hold no overdue invoice", fact_prefix="invoice."),
    TermRule("terms", re.compile(
        r"\bpayment (?:extensions?|plans?|holidays?|deferrals?)\b|\bextend(?:ed|ing|s)? (?:the |your |our )?"
        r"(?:payment|due date|deadline|payment terms?|credit terms?)\b|\bextensions? (?:of|on|to|for) (?:the |your )?"
        r"(?:payment|due date|deadline|terms?)\b|\bgrace period\b|\binstal{1,2}ments?\b|\bdefer(?:red|ral|ring)? "
        r"(?:the |your )?(?:payment|billing|invoice)\b|\bpay in (?:\w+ )?(?:parts|stages)\b"
        r"|延期(?:付款|支付|还款|缴费)?|延长(?:付款|账期|还款|期限)|宽限|分期|账期|缓交|推迟(?:付款|支付)", re.I),
        "a payment extension, grace period or instalments not in the facts",
        ("payment extension", "grace", "instalment", "installment", "defer", "延期", "宽限", "分期", "账期")),
    TermRule("terms", re.compile(
        r"\b(?:tax(?:es)?|VAT|GST|duties)[- ](?:included|inclusive|free|exempt|excluded)\b|\b(?:including|includes?|"
        r"inclusive of|incl\.?|excluding|exclusive of|excl\.?|before|after|plus) (?:all |any )?(?:applicable )?"
        r"(?:taxes|tax|VAT|GST|duties)\b|\bduty[- ]free\b|\b(?:shipping|delivery|freight) (?:is |are )?included\b"
        r"|含税|不含税|税费|税金|免税|包税|税后|税前|增值税|含运费|运费全包|包运费", re.I),
        "taxes or shipping included or excluded: not in the facts", ("tax", "vat", "gst", "duty", "税", "运费")),
    TermRule("terms", re.compile(
        # a claim about the past, not a wish ("for years to come", 期待长期合作)
        r"\bfor (?:the )?(?:past|last) (?:few|several|many|couple of) (?:weeks|months|years)\b|\bfor (?:many|several|"
        r"a few|some) (?:months|years)\b(?! to come)|\bfor years\b(?! to come)|多年来|多年的合作"
        r"|过去(?:几|数|多)(?:个月|年)|这几(?:个月|年)来", re.I),
        "how long the customer has been buying: not in the facts (they give the first order date)",
        ("years", "months", "多年")),
    TermRule("terms", re.compile(
        r"\blate (?:payment )?(?:fees?|charges?|penalt(?:y|ies)|interest)\b|\bpenalt(?:y|ies)\b"
        r"|\binterest (?:charges?|will be (?:charged|added))\b|滞纳金|违约金|罚款|罚息", re.I),
        "a late fee or penalty not in the facts", ("late fee", "late payment", "penalt", "滞纳金", "违约金", "罚")),
    TermRule("terms", re.compile(
        r"\b(?:on|through|via|from|at|in) (?:our|the) (?:web ?site|online (?:store|shop|portal|platform)|web ?shop|"
        r"e-?shop|(?:customer |ordering |online )?portal)\b|\b(?:on|through|via|from|in) our (?:app|platform)\b"
        r"|\bour (?:web ?site|web ?shop|e-?shop|online (?:store|shop))\b|\b(?:order|buy|shop) online\b"
        r"|网站|官网|网店|商城|小程序|电商平台|网上(?:下单|订购|购买|商店)|线上(?:下单|订购|购买|渠道|平台|商店)"
        r"|在线(?:下单|订购|购买|商店|平台)", re.I),
        "an ordering channel (website, online store) not in the facts",
        ("website", "web site", "online", "portal", "webshop", "网站", "官网", "网店", "商城", "线上", "在线", "网上",
         "小程序")),
)


def _backed(rule: TermRule, bundle: FactBundle, said: str) -> bool:
    if rule.fact_prefix:
        return any(f.id.startswith(rule.fact_prefix) for f in bundle.facts)
    texts = [s.lower() for f in bundle.facts for s in f.spellings]
    words = [said.lower(), *rule.fact_words]
    # Latin words from the start of a word ("tax" backs "tax", not "syntax"; "vat" never "Activator")
    rxs = [re.compile((r"\b" if re.match(r"[a-z]", w) else "") + re.escape(w)) for w in words]
    return any(rx.search(t) for t in texts for rx in rxs)


def term_claims(text: str, bundle: FactBundle) -> list[tuple[int, int, str, str]]:
    """(start, end, claim kind, reason) of each money or terms claim in ``text`` (facts already masked by the
    caller) that no fact of the bundle backs."""
    out: list[tuple[int, int, str, str]] = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b, _, _ in out):
                continue
            if not _backed(rule, bundle, m.group()):
                out.append((m.start(), m.end(), rule.kind, rule.reason))
    return sorted(out)


__all__ = ["RULES", "TermRule", "term_claims"]
