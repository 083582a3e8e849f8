"""Quality checks on every piece of content, beside the fact check: is the text fit to send?

The fact check verifies values; these checks verify the rest of what a sales rep would look at before pressing
send. One function per check, each returning the failures it found as ``LintFailure`` (the check's name, a short
reason and the offending span), so the studio and ``bizpilot eval content`` can say exactly what went wrong:

- ``voice``: written by the seller to the customer (no thanking the customer for its own products, no buyer lines
  such as "we would like to order" or "our order");
- ``placeholders``: no template slots or brackets left (``[NAME_1]``, ``{x}``, ``[POSITION``, ``<...>``);
- ``field_names``: no fact keys or field labels (``order_count``, ``order.top.1.qty``, "Order Top Quantities");
- ``language``: the requested language throughout (names and values from the facts, and the Chinese words in
  them, excepted);
- ``email_parts``: greeting, purpose, call to action and closing in e-mails;
- ``length``: within the requested length's range;
- ``repetition``: no repeated sentences or loops;
- ``product_names``: each product under its whole name or its Chinese name from the facts, never half-translated
  ("玻璃 cleaner 20 L lemon 6-pack"), glued to a number ("六角螺栓M852天") or shortened so that it fits several
  products (``names.py``);
- ``copied_example``: a letter is not the letter prompt's example with the facts swapped (more than
  ``COPY_SHARE`` of an example's word 5-grams, characters in Chinese, with every fact masked, are in the text);
- ``sign_off``, ``threats``, ``letter_form`` (and a second greeting, more buyer lines): ``lint_conduct.py``.

``repair`` fixes the simple cases (drops the offending sentences, de-duplicates, adds a missing greeting or
closing) and the caller lints again; what still fails is replaced by the deterministic text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bizpilot.services.content.lint_base import LintContext, LintFailure
from bizpilot.services.content.lint_base import fact_spellings as _fact_spellings
from bizpilot.services.content.lint_base import mask_facts as _mask_facts
from bizpilot.services.content.lint_base import sentences as _sentences
from bizpilot.services.content.lint_conduct import (
    VOICE_EXTRA,
    check_letter_form,
    check_sign_off,
    check_threats,
    second_greetings,
)
from bizpilot.services.content.names import name_problems

EMAIL_KINDS = frozenset({"sales_email", "follow_up", "inquiry_reply"})
CHECKS = ("voice", "placeholders", "field_names", "language", "email_parts", "length", "repetition",
          "product_names", "copied_example", "sign_off", "threats", "letter_form")  # the last three: lint_conduct
COPY_SHARE = 0.6
COPY_KINDS = frozenset({"sales_email", "follow_up"})  # the kinds asked with the letter prompt and its examples
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_WORD_RE = re.compile(f"[{_CJK}]+")
# Words (en) or characters (zh) each length may run to; the lower bounds are for letters, scripts and stories.
LENGTH_RANGE = {"en": {"short": (12, 110), "medium": (25, 230), "long": (40, 400)},
                "zh": {"short": (20, 220), "medium": (40, 450), "long": (70, 800)}}
SHORT_KINDS_RANGE = {"headline": (1, 30), "ad": (4, 120)}
LONG_FORM = frozenset({"sales_email", "follow_up", "case_study", "call_script"})

_VOICE_EN = re.compile(
    r"\bthanks?(?: you)? for (?:your|the) (?:great |quality |excellent |wonderful |fine )?"
    r"(?:products?|supplies|supply|goods|items|catalogue|catalog|quote|quotation|offer)\b"
    r"|\bthanks?(?: you)? for (?:supplying|providing|delivering|shipping|selling) (?:us|our)\b"
    r"|\bwe (?:would|'d) (?:like|love) to (?:order|purchase|buy|place an order)\b"
    r"|\bwe (?:want|wish|need|intend|plan) to (?:order|purchase|buy|place an order)\b"
    r"|\bwe are (?:interested in|looking to) (?:buying|purchasing|ordering)\b"
    r"|\bour (?:order|purchase order|purchases?|last order|recent order|previous order)\b"
    r"|\b(?:please|could you|can you|kindly) (?:send|give|provide|quote) us (?:a |your )?(?:quote|quotation|price|"
    r"prices|invoice|offer)\b"
    r"|\bas (?:a|your) (?:customer|buyer|client),? we\b"
    # the buyer's history told from the buyer's side: "we have placed 16 orders with you", "we usually reorder"
    r"|\bwe(?: have|'ve| had)?(?: already)? (?:placed|made|submitted)\b[^.!?\n]{0,40}?\b(?:orders?|purchases?)\b"
    r"[^.!?\n]{0,12}?\b(?:with|from) you\b"
    r"|\bwe(?: have|'ve| had)?(?: already| been)? (?:ordered|bought|purchased|sourced|ordering|buying|purchasing|"
    r"sourcing)\b[^.!?\n]{0,40}?\bfrom you\b"
    r"|\bwe (?:usually|regularly|normally|typically|always|often) (?:re-?order|order|buy|purchase)\b"
    r"|\b(?:we have|we've) been (?:a |your )?(?:loyal |long-?standing |regular )?(?:customers?|clients?|buyers?)\b"
    r"|\byou (?:are|have been) our (?:supplier|vendor)\b", re.IGNORECASE)
_VOICE_ZH = re.compile(
    r"感谢(?:贵司|贵公司|您|你们)(?:的)?(?:优质)?(?:产品|供货|提供|报价|商品)"
    r"|我们(?:想|希望|要|打算|准备|计划|需要)(?:订购|采购|购买|下单|订货)"
    r"|我(?:们|司)的(?:订单|采购单|采购订单)"
    r"|请(?:贵司|贵公司|你们|您)?(?:给|向)?(?:我们|我司)(?:报价|发报价|提供报价|开票)"
    r"|作为(?:贵司的)?(?:客户|买方|采购方)，?我们"
    # "我们已经向贵司下了16个订单", "我们通常每45天补货一次": the buyer's history in the buyer's words
    r"|我(?:们|司)[^。！？，,\n]{0,12}?(?:(?:向|从)(?:贵司|贵公司|你们|您|你司)|在(?:贵司|贵公司|"
    r"你们|你司)(?:这里|那里|处)?)(?:已经|已|共|累计|先后|一共|总共)*(?:下了|下过|下单|订购|订了|订过|采购了|采购过|"
    r"购买了|购买过|买了|买过|订货|进货)"
    r"|我(?:们|司)(?:通常|一般|平均|每次都)[^。！？\n]{0,10}?(?:补货|订货|采购|下单|进货)"
    r"|(?:贵司|贵公司|你们|您)是我(?:们|司)的(?:供应商|供货商)")
_PLACEHOLDER_RE = re.compile(
    r"\[[^\[\]\n]{0,40}\]"                 # [NAME_1], [Your Name], [公司名称]
    r"|\[[A-Za-z_]{2,}[A-Za-z_ ]*"         # an unclosed [POSITION
    r"|\{[^{}\n]{0,40}\}"                  # {x}, {account.name}
    r"|<{1,3}[^<>\n]{0,40}>{1,3}"          # <name>, <<<FACTS
    r"|\b(?:XXX+|TBD|Lorem ipsum)\b|某某|（此处[^）]{0,20}）")
_FIELD_RE = re.compile(
    r"\b[a-z]+(?:_[a-z0-9]+)+\b"                                       # snake_case keys
    r"|\b(?:product|account|order|opportunity|reorder|recommend|purpose|invoice)\.[a-z0-9_.]+"  # fact ids
    r"|\b(?:Account|Order|Product|Opportunity|Reorder)(?: (?:Top|Last|First|Count|Name|Names|Stage|Amount|Qty|"
    r"Quantity|Quantities|Date|Industry|Tier|Country|Region|Size|Band|Sku|SKU|Attr|Price|Unit|Stock|Category))+\b"
    r"|\b(?:order|account|product|opportunity) (?:top|first date|last date|count|qty|stage|size band)\b")
_LATIN_RUN_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[\s,;:]+[A-Za-z][A-Za-z'’-]*){4,}")
_GREETING_RE = re.compile(r"^\s*(?:hello|hi|dear|good (?:morning|afternoon|day)|greetings)\b|您好|你好|尊敬的|大家好",
                          re.IGNORECASE)
_CLOSING_RE = re.compile(r"\b(?:regards|sincerely|best|cheers|thank you|thanks|talk soon|all the best|"
                         r"look forward|looking forward)\b|此致|顺颂|祝|期待|谢谢|敬礼|商祺", re.IGNORECASE)
_CTA_RE = re.compile(r"\b(?:reply|call|contact|let me know|let us know|get in touch|book|schedule|send me|"
                     r"just answer|give me a|drop me|write back|happy to|shall i|should i|would you like|can i)\b"
                     r"|回复|联系|来电|告诉我|告知|(?<!大)约(?!为)|安排|需要的话|是否需要|欢迎|随时", re.IGNORECASE)


def _fail(check: str, reason: str, m: re.Match[str] | None = None, text: str = "") -> LintFailure:
    if m is None:
        return LintFailure(check, reason, 0, 0, text)
    return LintFailure(check, reason, m.start(), m.end(), m.group())


def check_voice(text: str, ctx: LintContext) -> list[LintFailure]:
    pattern = _VOICE_ZH if ctx.language == "zh" else _VOICE_EN
    other = _VOICE_EN if ctx.language == "zh" else _VOICE_ZH
    out: list[LintFailure] = []
    for m in (m for rx in (pattern, other, *VOICE_EXTRA) for m in rx.finditer(text)):
        if not any(f.start < m.end() and m.start() < f.end for f in out):  # one failure per buyer line
            out.append(_fail("voice", "written as the buyer, not the seller", m))
    return out


def check_placeholders(text: str, ctx: LintContext) -> list[LintFailure]:
    masked = _mask_facts(text, ctx, "x")
    return [LintFailure("placeholders", "a template placeholder is left in the text", m.start(), m.end(),
                        text[m.start():m.end()]) for m in _PLACEHOLDER_RE.finditer(masked)]


def check_field_names(text: str, ctx: LintContext) -> list[LintFailure]:
    masked = _mask_facts(text, ctx)
    return [LintFailure("field_names", "a fact key or field name is in the text", m.start(), m.end(),
                        text[m.start():m.end()]) for m in _FIELD_RE.finditer(masked)]


def check_language(text: str, ctx: LintContext) -> list[LintFailure]:
    masked = _mask_facts(text, ctx)
    masked = re.sub(r"\b[A-Z]{2,5}-\d{3,6}\b|\b(?:USD|EUR|GBP|CNY|RMB|SKU|mL|kg|pcs)\b", "   ", masked)
    if ctx.language == "zh":
        out = [LintFailure("language", "an English passage in Chinese text", m.start(), m.end(),
                           text[m.start():m.end()]) for m in _LATIN_RUN_RE.finditer(masked)]
        letters = len(re.findall(rf"[A-Za-z{_CJK}]", masked))
        if letters and len(_CJK_RE.findall(masked)) / letters < 0.5:
            out.append(LintFailure("language", "the text is not in Chinese", 0, len(text), ""))
        return out
    # A Chinese word of a fact's value written as the facts have it ("复印纸" of "Letter复印纸 75 gsm 10 reams",
    # also when the rest of the name is mangled: that is the ``product_names`` check's to judge) and curly quotes
    # (English uses them too) are not Chinese text.
    words = {w for s in _fact_spellings(ctx) for w in _CJK_WORD_RE.findall(s)}
    masked = _CJK_WORD_RE.sub(lambda m: " " * len(m.group()) if m.group() in words else m.group(), masked)
    return [LintFailure("language", "Chinese characters in English text", m.start(), m.end(), m.group())
            for m in re.finditer(rf"[{_CJK}，。：；！？、（）]+", masked)]


def check_email_parts(text: str, ctx: LintContext) -> list[LintFailure]:
    if ctx.kind not in EMAIL_KINDS:
        return []
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    out = []
    if not lines or not _GREETING_RE.search(lines[0]):
        out.append(LintFailure("email_parts", "no greeting", 0, 0, lines[0] if lines else ""))
    out += second_greetings(text, ctx)
    tail = " ".join(lines[-3:]) if len(lines) > 1 else ""
    if not _CLOSING_RE.search(tail):
        out.append(LintFailure("email_parts", "no closing", len(text), len(text), ""))
    body = lines[1:-2] if len(lines) > 3 else lines[1:-1]
    body_text = "\n".join(body)
    if not _CTA_RE.search(body_text if ctx.kind != "inquiry_reply" else text):
        out.append(LintFailure("email_parts", "no call to action", 0, 0, ""))
    purpose = [s for _, _, s in _sentences(body_text, ctx) if not _CTA_RE.search(s) and len(s.strip()) >= 8]
    if not purpose:
        out.append(LintFailure("email_parts", "no purpose: nothing said beyond greeting and call to action"))
    return out


def text_length(text: str, language: str) -> int:
    """Words in English, characters (CJK and Latin words) in Chinese."""
    if language == "zh":
        return len(_CJK_RE.findall(text)) + len(re.findall(r"[A-Za-z0-9]+", text))
    return len(re.findall(r"[\w'’-]+", text))


def length_range(kind: str, language: str, length: str) -> tuple[int, int]:
    low, high = LENGTH_RANGE[language if language == "zh" else "en"][length]
    if kind in SHORT_KINDS_RANGE:
        low, high = SHORT_KINDS_RANGE[kind]
        if language == "zh":
            low, high = low * 2, high * 2
    elif kind not in LONG_FORM:
        low = 4
    return low, high


def check_length(text: str, ctx: LintContext) -> list[LintFailure]:
    n = text_length(text, ctx.language)
    low, high = length_range(ctx.kind, ctx.language, ctx.length)
    unit = "characters" if ctx.language == "zh" else "words"
    if n < low:
        return [LintFailure("length", f"{n} {unit}, fewer than {low} for {ctx.length}", 0, len(text), "")]
    if n > high:
        return [LintFailure("length", f"{n} {unit}, more than {high} for {ctx.length}", 0, len(text), "")]
    return []


def _norm(sentence: str) -> str:
    return re.sub(r"[\W_]+", "", sentence.lower())


def check_repetition(text: str, ctx: LintContext) -> list[LintFailure]:
    out, seen = [], set()
    for a, b, sentence in _sentences(text, ctx):
        key = _norm(sentence)
        if len(key) >= 8 and key in seen:
            out.append(LintFailure("repetition", "a sentence is repeated", a, b, sentence))
        seen.add(key)
    if not out and (loop := _loop(text, ctx)):
        out.append(LintFailure("repetition", "the text loops", 0, 0, loop[:60]))
    return out


def _loop(text: str, ctx: LintContext) -> str | None:
    """A stretch of text (not a fact's name) said three times in a row: what small models do when they loop."""
    masked = text
    for s in _fact_spellings(ctx):
        masked = re.sub(re.escape(s), "§", masked, flags=re.IGNORECASE)
    if ctx.language == "zh":
        for m in re.finditer(r"(.{6,40}?)\1{2,}", re.sub(r"\s+", "", masked)):
            if len(_CJK_RE.findall(m.group(1))) >= 4:
                return m.group(1)
        return None
    for m in re.finditer(r"\b((?:\w+\W+){3,12}?)\1{2,}", masked):
        if len(re.findall(r"[A-Za-z]{2,}", m.group(1))) >= 3:
            return m.group(1)
    return None


def check_product_names(text: str, ctx: LintContext) -> list[LintFailure]:
    """Not repaired: a mangled name sends the draft to the deterministic text, which writes every name whole."""
    if ctx.bundle is None:
        return []
    return [LintFailure("product_names", reason, a, b, text[a:b])
            for a, b, reason in name_problems(text, ctx.bundle, ctx.language)]


_FACTISH_RE = re.compile(r"[A-Za-z]*\d[\w.,:/-]*|\b[A-Z]{2,}\b|§+")


def _grams(text: str, language: str) -> set[tuple[str, ...]]:
    """Word 5-grams (characters in Chinese) of a text whose facts are masked as ``§``; a run of masks is one
    token, so "40 units of Packing Tape 48 mm" and "120 units of Hex Bolt M8" read alike."""
    text = _FACTISH_RE.sub(" § ", text)
    if language == "zh":
        tokens = re.findall(rf"[{_CJK}]|§", text)
    else:
        tokens = re.findall(r"[a-z']+|§", text.lower())
    tokens = [t for i, t in enumerate(tokens) if not (t == "§" and i and tokens[i - 1] == "§")]
    return {g for g in zip(*(tokens[i:] for i in range(5)), strict=False) if g.count("§") <= 1}


def _masked_grams(text: str, language: str, ctx: LintContext | None) -> set[tuple[str, ...]]:
    for s in _fact_spellings(ctx) if ctx is not None else []:
        text = re.sub(re.escape(s), "§", text, flags=re.IGNORECASE)
    return _grams(text, language)


@lru_cache(maxsize=64)
def _example_grams(example: str, language: str, example_facts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    for s in sorted(example_facts, key=len, reverse=True):
        example = example.replace(s, "§")
    return frozenset(_grams(example, language))


def copied_share(text: str, example: str, language: str, ctx: LintContext | None = None,
                 example_facts: tuple[str, ...] = ()) -> float:
    """The share of ``example``'s 5-grams (its facts masked) found in ``text`` (its facts masked)."""
    ex = _example_grams(example, language, example_facts)
    return len(ex & _masked_grams(text, language, ctx)) / len(ex) if ex else 0.0


def check_copied_example(text: str, ctx: LintContext) -> list[LintFailure]:
    """Not repaired: a copy goes to the deterministic text (see ``letter_prompt.example_letter``)."""
    if ctx.kind not in COPY_KINDS:
        return []
    from bizpilot.services.content.letter_prompt import EXAMPLE_FACTS, all_examples

    lang = "zh" if ctx.language == "zh" else "en"
    grams = _masked_grams(text, lang, ctx)
    for example in all_examples(lang):
        ex = _example_grams(example, lang, EXAMPLE_FACTS[lang])
        share = len(ex & grams) / len(ex) if ex else 0.0
        if share > COPY_SHARE:
            return [LintFailure("copied_example", f"{share:.0%} of the prompt's example letter copied", 0, len(text),
                                "")]
    return []


CHECK_FUNCTIONS: dict[str, Callable[[str, LintContext], list[LintFailure]]] = {
    "voice": check_voice, "placeholders": check_placeholders, "field_names": check_field_names,
    "language": check_language, "email_parts": check_email_parts, "length": check_length,
    "repetition": check_repetition, "product_names": check_product_names, "copied_example": check_copied_example,
    "sign_off": check_sign_off, "threats": check_threats, "letter_form": check_letter_form,
}


def lint_text(text: str, ctx: LintContext) -> list[LintFailure]:
    """Every failure of every check, in ``CHECKS`` order."""
    return [f for name in CHECKS for f in CHECK_FUNCTIONS[name](text, ctx)]


def failed_checks(failures: list[LintFailure]) -> list[str]:
    return list(dict.fromkeys(f.check for f in failures))


_DROP = frozenset({"voice", "placeholders", "field_names", "repetition", "threats", "letter_form"})
_CUT = "a second greeting inside the letter"


def repair(text: str, failures: list[LintFailure], ctx: LintContext, *, greeting: str = "",
           closing: str = "") -> str:
    """The simple repairs: sentences holding a buyer line, a placeholder, a field name or a repeat are dropped, a
    missing greeting or closing is added (given). Language, length and a missing purpose or call to action are
    not repaired here: the caller falls back to the deterministic text."""
    spans = sorted({(f.start, f.end) for f in failures if f.check in _DROP and f.end > f.start})
    drop: list[tuple[int, int]] = []
    for a, b in spans:
        for x, y, _ in _sentences(text, ctx):
            if x < b and a < y:
                drop.append((x, y))
    drop += [(f.start, f.end) for f in failures if f.reason == _CUT and f.end > f.start]  # the greeting only
    for a, b in sorted(set(drop), reverse=True):
        text = text[:a] + text[b:]
    text = "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    reasons = {f.reason for f in failures if f.check == "email_parts"}
    if "no greeting" in reasons and greeting:
        text = f"{greeting}\n\n{text}"
    if "no closing" in reasons and closing:
        text = f"{text}\n\n{closing}"
    return text


__all__ = ["CHECKS", "CHECK_FUNCTIONS", "COPY_SHARE", "LintContext", "LintFailure", "check_copied_example",
           "check_email_parts", "check_field_names",
           "check_language", "check_length", "check_placeholders", "check_product_names", "check_repetition",
           "check_voice",
           "copied_share", "failed_checks", "length_range", "lint_text", "repair", "text_length"]
