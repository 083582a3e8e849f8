"""Read a draft against its facts: every number (with its unit or currency), date, SKU, product name and attribute
value in the text is a claim; a claim is *supported* (a fact says so), *contradicting* (a fact says otherwise: the
price is 30.45, not 35) or *unsupported* (no fact says anything about it: an invented discount, another product).

Repair is conservative: a contradicting value is replaced by the fact's value where exactly one fact can be meant,
and a sentence with an unsupported claim (or a contradiction we cannot fix) is dropped. Every kept sentence lists
the fact ids that back it, which is what the user sees next to the copy.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bizpilot.services.content.facts import Fact, FactBundle, fmt_number, numbers_in
from bizpilot.services.content.terms import term_claims

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？；])")
_MARKER_RE = re.compile(r"^\s*(?:\d{1,2}[.)、]\s+|[-*•]\s+|#+\s+)")
_SKU_RE = re.compile(r"\b[A-Z]{2,5}-\d{3,6}\b")
_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}/\d{1,2}/\d{1,2}")
_CURRENCY = r"USD|EUR|GBP|CNY|RMB|US\$|\$|€|£|¥|￥"
_CURRENCY_AFTER = r"USD|EUR|GBP|CNY|RMB|元|美元|欧元|英镑"
_UNITS = (r"%|mL|ml|kW|W|V|K|mm|cm|m|kg|g|gsm|°C|A|bar|min|h|pcs|pieces?|units?|packs?|boxes|box|cases?|"
          r"个|件套|件|包|盒|箱|装|年|天|小时|次|笔|张|卷|米|升|毫升|瓦")
_NUMBER_RE = re.compile(rf"(?P<cur>{_CURRENCY})?\s?(?<![\d.,])(?P<num>\d+(?:[.,]\d+)*)"
                        rf"(?:\s?(?P<unit>{_CURRENCY_AFTER}|{_UNITS})(?![A-Za-z]))?")
# A price or offer stated without a number ("is free", "free of charge", "half price", "免费", "打折"): a claim about
# the price that only a fact can back (planted text such as "Assistant: this product is free" must not pass).
_OFFER_RE = re.compile(
    r"\b(?:is|are|for|totally|completely|entirely|absolutely|now)\s+free\b(?!\s+(?:to|of\s+(?!charge)|from|"
    r"time))|\bfree\s+(?:of\s+charge|shipping|delivery|samples?|gifts?|units?|items?|products?)\b|"
    r"\b(?:at|for)\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b|\bno\s+charge\b|\bcomplimentary\b|"
    r"\bhalf[- ]price\b|\bdiscount(?:ed|s)?\b|\bon\s+sale\b|\bclearance\b|\bbuy\s+\w+\s+get\b|"
    r"免费|白送|赠送|打折|折扣|优惠|半价|包邮|\d+(?:\.\d+)?\s?折|买\S{1,3}送", re.I)
# A product code or size at the end of a fact's spelling (M8, DN50, IP44, 10A, 230V): glued to a following number
# or a time/count unit ("六角螺栓M852天": M8 and 52天 run together) the fact is mangled, whatever the number says.
_CODE_END_RE = re.compile(r"(?:[A-Za-z]{1,4}\d+(?:\.\d+)?|\d+(?:\.\d+)?[A-Za-z]{1,3})$")
_GLUED_AFTER_RE = re.compile(r"\d|天|个月|小时")
# Lexicon values too generic to count as a claim about an attribute when they appear in running text.
_GENERIC_VALUES = frozenset({"none", "standard", "无", "标准型"})


@dataclass
class Claim:
    text: str
    kind: str           # number, price, date, sku, product_name, attribute, offer, mangled, debt, terms
    status: str         # supported, contradicting, unsupported
    fact_ids: list[str] = field(default_factory=list)
    replacement: str | None = None
    reason: str = ""


@dataclass
class SentenceCheck:
    text: str                # as it reads after repair
    original: str
    action: str              # kept, repaired, dropped
    backed_by: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)


@dataclass
class CheckResult:
    output: str
    sentences: list[SentenceCheck]

    @property
    def clean(self) -> bool:
        """The draft needed no repair at all."""
        return all(s.action == "kept" for s in self.sentences)

    @property
    def kept(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.action != "dropped"]

    @property
    def dropped(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.action == "dropped"]

    @property
    def repaired(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.action == "repaired"]

    @property
    def backed_by(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.kept:
            seen.update(dict.fromkeys(s.backed_by))
        return list(seen)

    def problems(self) -> list[Claim]:
        return [c for s in self.sentences for c in s.claims if c.status != "supported"]

    def to_dict(self) -> dict[str, Any]:
        return {"clean": self.clean, "kept": len(self.kept), "repaired": len(self.repaired),
                "dropped": len(self.dropped), "backed_by": self.backed_by,
                "sentences": [asdict(s) for s in self.sentences]}


def _latin(s: str) -> bool:
    return not _CJK_RE.search(s)


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Where ``needle`` appears; Latin needles only as whole words/numbers, case-insensitively."""
    if not needle or (len(needle) < 2 and not needle.isdigit()):
        return []
    if _latin(needle):
        pattern = rf"(?<![A-Za-z0-9.]){re.escape(needle)}(?![A-Za-z0-9]|\.\d)"
        return [m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    return [m.span() for m in re.finditer(re.escape(needle), text)]


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def glued_codes(text: str, bundle: FactBundle) -> list[tuple[int, int, str]]:
    """(start, end, spelling) of each fact spelling ending in a code or size (``M8``, ``六角螺栓M8``, ``230V``) that
    runs straight into a number or a time/count unit: ``六角螺栓M852天`` is not M8, it is a mangled fact. The span
    covers the spelling and what is glued to it."""
    out: list[tuple[int, int, str]] = []
    spellings = sorted({s for f in bundle.facts for s in f.spellings if re.search("[A-Za-z]", s)
                        and _CODE_END_RE.search(s)}, key=len, reverse=True)
    for spelling in spellings:
        lead = r"(?<![A-Za-z0-9.])" if re.match(r"[A-Za-z0-9]", spelling) else ""
        for m in re.finditer(lead + re.escape(spelling), text, flags=re.IGNORECASE):
            glued = _GLUED_AFTER_RE.match(text, m.end())
            if glued is None or any(a <= m.start() < b for a, b, _ in out):
                continue
            tail = re.match(r"\d+(?:\.\d+)?\s?(?:天|年|个月|小时|次|[A-Za-z]+)?", text[m.end():])
            out.append((m.start(), m.end() + (tail.end() if tail else glued.end()), spelling))
    return sorted(out)


def check_sentence(sentence: str, bundle: FactBundle) -> SentenceCheck:
    """Claims of one sentence, its backing facts and the repaired (or dropped) sentence."""
    claims: list[Claim] = []
    backed: dict[str, None] = {}
    # 0. A code or size glued to a number ("六角螺栓M852天"): a mangled fact, never a supported one.
    glued = glued_codes(sentence, bundle)
    for a, b, spelling in glued:
        claims.append(Claim(sentence[a:b], "mangled", "unsupported",
                            reason=f"{spelling} is glued to {sentence[a + len(spelling):b]}: a mangled fact"))
    spans: list[tuple[int, int]] = [(a, b) for a, b, _ in glued]
    # 1. Spans that state a fact exactly (longest spellings first, so '400 mL' wins over '400').
    candidates = sorted(((sp, f) for f in bundle.facts for sp in f.spellings), key=lambda x: -len(x[0]))
    for spelling, fact in candidates:
        for a, b in _occurrences(sentence, spelling):
            if any(a < y and x < b for x, y, _ in glued):
                continue
            if any(a < y and x < b for x, y in spans) and not any(x <= a and b <= y for x, y in spans):
                continue
            if not any(x <= a and b <= y for x, y in spans):
                spans.append((a, b))
            backed[fact.id] = None
    masked = _mask(sentence, spans)
    edits: list[tuple[int, int, str]] = []
    # 2. Other products (by name or SKU): a claim no fact of this generation supports.
    lowered = masked.lower()
    for name in bundle.catalog_names:
        if name.lower() not in lowered:
            continue
        for a, b in _occurrences(masked, name):
            claims.append(Claim(sentence[a:b], "product_name", "unsupported", reason="another product's name"))
            masked = _mask(masked, [(a, b)])
    for m in _SKU_RE.finditer(masked):
        claims.append(Claim(m.group(), "sku", "unsupported", reason="SKU not in the facts"))
        masked = _mask(masked, [m.span()])
    # 3. Attribute values the product does not have.
    for key, values in bundle.lexicon.items():
        fact = bundle.get(f"product.attr.{key}")
        own = {s.lower() for s in fact.spellings} if fact else set()
        for value in sorted(values, key=len, reverse=True):
            if value.lower() in own or value.lower() in _GENERIC_VALUES or len(value) < (3 if _latin(value) else 2):
                continue
            for a, b in _occurrences(masked, value):
                if fact is None:
                    claims.append(Claim(sentence[a:b], "attribute", "unsupported", reason=f"no {key} in the facts"))
                    continue
                repl = fact.text if _latin(value) else (fact.text_zh or fact.text)
                claims.append(Claim(sentence[a:b], "attribute", "contradicting", [fact.id], repl,
                                    f"{key} is {fact.text}"))
                edits.append((a, b, repl))
                masked = _mask(masked, [(a, b)])
    # 4. Offers without a number, unless a fact of this generation says so.
    for m in _OFFER_RE.finditer(masked):
        if not any(m.group().lower() in s.lower() for f in bundle.facts for s in f.spellings):
            claims.append(Claim(m.group(), "offer", "unsupported", reason="offer or price not in the facts"))
            masked = _mask(masked, [m.span()])
    # 4b. Money owed, payment terms, taxes and ordering channels the facts do not back (``terms.py``).
    for a, b, claim_kind, reason in term_claims(masked, bundle):
        claims.append(Claim(sentence[a:b], claim_kind, "unsupported", reason=reason))
        masked = _mask(masked, [(a, b)])
    # 5. Dates and numbers that no fact states.
    for m in _DATE_RE.finditer(masked):
        claims.append(Claim(m.group(), "date", "unsupported", reason="date not in the facts"))
        masked = _mask(masked, [m.span()])
    for m in _NUMBER_RE.finditer(masked):
        claim = _number_claim(m, bundle)
        if claim is None:
            continue
        claims.append(claim)
        if claim.status == "supported":
            backed.update(dict.fromkeys(claim.fact_ids))
        elif claim.replacement is not None:
            edits.append((m.start("num"), m.end("num"), claim.replacement))
    fixable = all(c.status == "supported" or c.replacement is not None for c in claims)
    if not fixable:
        return SentenceCheck("", sentence, "dropped", [], claims)
    if not edits:
        return SentenceCheck(sentence, sentence, "kept", list(backed), claims)
    text = sentence
    for a, b, repl in sorted(edits, reverse=True):
        text = text[:a] + repl + text[b:]
    for c in claims:
        if c.status == "contradicting":
            backed.update(dict.fromkeys(c.fact_ids))
    return SentenceCheck(text, sentence, "repaired", list(backed), claims)


def _number_claim(m: re.Match[str], bundle: FactBundle) -> Claim | None:
    raw_num = m.group("num")
    values = numbers_in(raw_num)
    if not values:
        return None
    value = values[0]
    cur, unit = m.group("cur"), m.group("unit") or ""
    money = bool(cur) or unit in ("USD", "EUR", "GBP", "CNY", "RMB", "元", "美元", "欧元", "英镑")
    text = m.group().strip()
    if money:
        prices = [f for f in bundle.facts if f.kind in ("price", "amount")]
        hit = [f.id for f in prices if any(_same(value, n) for n in f.numbers)]
        if hit:
            return Claim(text, "price", "supported", hit)
        main = bundle.get("product.price") or (prices[0] if len(prices) == 1 else None)
        if main is not None:
            return Claim(text, "price", "contradicting", [main.id], fmt_money(main.value),
                         f"{main.id} is {main.text}")
        return Claim(text, "price", "unsupported", reason="price not in the facts")
    if unit == "%":  # a percentage needs a fact that is a percentage (a discount), not any equal number
        pct = [f.id for f in bundle.facts if "%" in f.text and any(_same(value, n) for n in f.numbers)]
        return (Claim(text, "number", "supported", pct) if pct
                else Claim(text, "number", "unsupported", reason="percentage not in the facts"))
    hit = [f.id for f in bundle.facts if any(_same(value, n) for n in f.numbers)]
    if unit:
        with_unit = [f for f in bundle.facts if f.kind in ("attribute", "quantity")
                     and any(re.search(rf"\d\s?{re.escape(unit)}(?![A-Za-z])", s) for s in f.spellings)]
        unit_hit = [f.id for f in with_unit if any(_same(value, n) for n in f.numbers)]
        if unit_hit:
            return Claim(text, "number", "supported", unit_hit)
        if len(with_unit) == 1 and len(with_unit[0].numbers) == 1:
            f = with_unit[0]
            return Claim(text, "number", "contradicting", [f.id], fmt_number(f.numbers[0]), f"{f.id} is {f.text}")
    if hit:
        return Claim(text, "number", "supported", hit)
    return Claim(text, "number", "unsupported", reason="number not in the facts")


def fmt_money(value: float) -> str:
    return f"{float(value):.2f}"


def split_lines(text: str) -> list[tuple[str, list[str]]]:
    """(list marker, sentences) per line; empty lines keep the paragraph structure."""
    out = []
    for line in text.splitlines():
        marker_m = _MARKER_RE.match(line)
        marker = marker_m.group() if marker_m else ""
        body = line[len(marker):].strip()
        out.append((marker, [s.strip() for s in _SENT_RE.split(body) if s.strip()]))
    return out


def check_text(text: str, bundle: FactBundle) -> CheckResult:
    """Check every sentence and rebuild the text from the kept/repaired ones (structure and markers kept)."""
    sentences: list[SentenceCheck] = []
    lines: list[str] = []
    for marker, parts in split_lines(text.strip()):
        if not parts:
            lines.append("")
            continue
        kept = []
        for part in parts:
            result = check_sentence(part, bundle)
            sentences.append(result)
            if result.action != "dropped":
                kept.append(result.text)
        if kept:
            joined = kept[0]
            for prev, cur in zip(kept, kept[1:], strict=False):
                joined += ("" if prev[-1] in "。！？；" else " ") + cur
            lines.append(marker + joined)
    output = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return CheckResult(output=output, sentences=sentences)


__all__ = ["CheckResult", "Claim", "Fact", "SentenceCheck", "check_sentence", "check_text", "glued_codes",
           "split_lines"]
