"""Quality checks on how a seller may write, beside ``lint.py``'s form checks: who signs, what tone, what shape.

A small model writes letters that pass every form check and that no sales rep would send: signed by the customer
("济南某某公司的销售团队" under a letter *to* that company), threatening ("to avoid any legal problems"), with the
greeting said twice, or a product description written as a letter ("您好！感谢您选择我们的产品……此致，"). Each
check returns ``LintFailure`` like the others:

- ``sign_off``: the letter's signature (the lines from the sign-off word on, or a "<name> sales team" line) names
  the customer's own company or contact as the sender;
- ``threats``: legal or debt-collection language (lawsuit, lawyer, collection agency, 律师, 起诉, 催收, 法律问题)
  that no fact backs: a reminder may be firm, never threaten;
- ``letter_form``: product copy (description, ad, headline) with a letter's parts: a greeting, thanks for choosing
  or buying, a sign-off or a dangling closing;
- ``second_greeting`` (reported under ``email_parts``): a greeting again inside the letter;
- ``VOICE_EXTRA``: more of the buyer's own lines for the ``voice`` check ("we have placed 21 orders", "the products
  we usually buy", "我们常买的产品", "我们采购过").
"""

from __future__ import annotations

import re

from bizpilot.services.content.lint_base import LintContext, LintFailure, sentences

COPY_KINDS = frozenset({"product_description", "ad", "headline"})
SIGN_KINDS = frozenset({"sales_email", "follow_up", "inquiry_reply"})

VOICE_EXTRA = (
    re.compile(
        # "we have placed 21 orders (with us)": the buyer's history, whoever the "with" names ("your" is the seller's)
        r"\bwe(?: have|'ve| had)?(?: already| so far)? (?:placed|made|submitted|sent)\b(?![^.!?\n]{0,40}?\byour\b)"
        r"[^.!?\n]{0,40}?\b(?:orders?|purchases?)\b"
        r"|\b(?:products?|items?|goods|supplies|materials?) (?:that )?we (?:usually |often |regularly |normally |"
        r"typically |always |most often |frequently |mostly |mainly )?(?:buy|order|purchase|re-?order|source)\b"
        r"|\bwe (?:frequently|most often|mostly|mainly|generally) (?:re-?order|order|buy|purchase)\b", re.IGNORECASE),
    re.compile(
        # "我们" as the buyer, not "向我们采购的" (what the customer buys from us)
        r"(?<![向从跟和给在与])我(?:们|司)(?:最|经常|常常|常|通常|一般|一直|平时|主要)+(?:买|购买|采购|订购|订货|进货)"
        r"|(?<![向从跟和给在与])我(?:们|司)(?:所|曾|曾经|已经|已)?(?:购买|采购|订购|买)(?:的|过)"),
)

# a sign-off word at the start of a line (or after a sentence's end: "……合作。此致，")
_SIGN_OFF_RE = re.compile(
    r"(?:(?:best|kind|warm|warmest|with best) regards|regards|(?:yours )?sincerely|yours (?:truly|faithfully)|"
    r"best wishes|all the best|(?:best|cheers)(?=[,!.]?\s*$))\b[,!.]?"
    r"|此致(?:\s*敬礼)?|敬礼|顺颂商祺|顺祝商祺|祝商祺|祝好|谨上|敬上|祝一切顺利", re.IGNORECASE)
_TEAM_EN = r"(?:'s)?\s+sales\s+(?:team|department|manager)"
_TEAM_ZH = r"\s*的?\s*(?:销售团队|销售部|销售经理|业务团队)"
_THREAT_RE = re.compile(
    r"\blegal (?:action|actions|steps|proceedings|measures|consequences|issues?|problems?|matters?|"
    r"department|team|recourse)\b|\blaw ?suits?\b|\bsu(?:e|ed|ing)\s+(?:you|your)\b|\blawyers?\b|\battorneys?\b"
    r"|\bsolicitors?\b|\b(?:to|in|before a|before the) court\b|\blitigation\b|\bcollection(?:s)? (?:agenc(?:y|ies)|"
    r"process|department|action)\b|\bdebt collect(?:or|ors|ion)\b|\bblacklist(?:ed)?\b"
    r"|法律(?:问题|责任|行动|手段|程序|途径|后果|纠纷|部门|措施)|律师|起诉|诉讼|法院|仲裁|催收|追讨|追债|讨债|法务|黑名单",
    re.IGNORECASE)
_COPY_GREETING_RE = re.compile(
    r"^\s*(?:(?:hello|hi|dear|greetings)\b(?!-)|(?:尊敬的|亲爱的)|[^。！？\n]{0,20}?(?:您好|你好|大家好)(?=[！!，,：:。\s]|$))",
    re.IGNORECASE)
_COPY_THANKS_RE = re.compile(
    r"\bthanks?(?: you)? for (?:choosing|your (?:purchase|order|support|business|trust|interest|custom))\b"
    r"|(?:感谢|谢谢|多谢)(?:您|你|贵司|贵公司)?(?:选择|选购|购买|订购|的支持|的信任|的惠顾|一直以来)",
    re.IGNORECASE)
_SECOND_GREETING_RE = re.compile(
    r"^\s*(?:(?:hello|hi|dear|greetings|good (?:morning|afternoon|day))\b(?!-)[^\n,，:：!！]{0,60}[,，:：!！]?"
    r"|(?:尊敬的|亲爱的)[^\n,，:：!！]{0,40}[,，:：!！]?|[^。！？\n]{0,40}?(?<![祝问])(?:您好|你好|大家好)[！!，,：:。]?)",
    re.IGNORECASE)


def _fail(check: str, reason: str, start: int, end: int, text: str) -> LintFailure:
    return LintFailure(check, reason, start, end, text[start:end])


def customer_names(ctx: LintContext) -> list[str]:
    """The customer's company (its spellings, and with a legal-form ending cut: "恒达装饰工程" of "恒达装饰工程股份
    有限公司") and its contacts' names, longest first."""
    names: set[str] = set(ctx.contacts)
    fact = ctx.bundle.get("account.name") if ctx.bundle is not None else None
    for spelling in fact.spellings if fact is not None else ():
        names.add(spelling)
        core = re.sub(r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)$|[\s,]+(?:Co\.?,? )?"
                      r"(?:Ltd\.?|LLC|Inc\.?|GmbH|AG|S\.?A\.?|Corp\.?|Limited|Group|PLC)$", "", spelling.strip(),
                      flags=re.IGNORECASE)
        if len(core) >= (2 if re.search(r"[\u4e00-\u9fff]", core) else 4):
            names.add(core.strip())
    return sorted((n for n in names if len(n.strip()) >= 2), key=len, reverse=True)


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line.rstrip("\n")))
        pos += len(line)
    return out


def check_sign_off(text: str, ctx: LintContext) -> list[LintFailure]:
    """Not repaired: a letter signed by its own addressee goes to the deterministic text."""
    if ctx.kind not in SIGN_KINDS:
        return []
    names = customer_names(ctx)
    lines = [(a, line) for a, line in _lines(text) if line.strip()]
    if not names or len(lines) < 2:
        return []
    first_end = lines[0][0] + len(lines[0][1])
    out: list[LintFailure] = []
    alternatives = "|".join(re.escape(n) for n in names)
    bounded = "|".join(rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])" for n in names)
    # "<customer> sales team" anywhere after the greeting line
    team = re.compile(rf"(?:{alternatives})(?:{_TEAM_EN}|{_TEAM_ZH})|\b(?:sales|account) team (?:at|of|from) "
                      rf"(?:{alternatives})", re.IGNORECASE)
    for m in team.finditer(text, first_end):
        out.append(_fail("sign_off", "signed as the customer's own company or contact", m.start(), m.end(), text))
    # the signature: from the last sign-off word (in the last four lines) to the end
    start = None
    for a, line in lines[-4:]:
        for m in _SIGN_OFF_RE.finditer(line):
            if not line[:m.start()].strip() or line[:m.start()].rstrip()[-1] in "。！!.":
                start = a + m.end()
    if start is not None and start > first_end:
        for m in re.finditer(bounded, text[start:], flags=re.IGNORECASE):
            a, b = start + m.start(), start + m.end()
            if not any(f.start <= a < f.end for f in out):
                out.append(_fail("sign_off", "signed as the customer's own company or contact", a, b, text))
    return out


def check_threats(text: str, ctx: LintContext) -> list[LintFailure]:
    """Repaired by dropping the sentence: the rest of a firm reminder may stand."""
    said = [s.lower() for f in ctx.bundle.facts for s in f.spellings] if ctx.bundle is not None else []
    return [_fail("threats", "legal or debt-collection language the facts do not back", m.start(), m.end(), text)
            for m in _THREAT_RE.finditer(text) if not any(m.group().lower() in s for s in said)]


def check_letter_form(text: str, ctx: LintContext) -> list[LintFailure]:
    """Repaired by dropping the letter's parts (greeting, thanks, sign-off); what is left is linted again."""
    if ctx.kind not in COPY_KINDS:
        return []
    out: list[LintFailure] = []
    for a, b, sentence in sentences(text, ctx):
        body = sentence.strip()
        lead = len(sentence) - len(sentence.lstrip())
        if _COPY_GREETING_RE.match(body):
            out.append(_fail("letter_form", "product copy with a letter's greeting", a + lead, b, text))
        elif m := _COPY_THANKS_RE.search(sentence):
            out.append(_fail("letter_form", "product copy thanking the reader like a letter", a + m.start(),
                             a + m.end(), text))
        elif _SIGN_OFF_RE.match(body) and len(body) <= 30:  # "此致，" left dangling, "Best regards,"
            out.append(_fail("letter_form", "product copy with a letter's sign-off", a + lead, b, text))
    return out


def second_greetings(text: str, ctx: LintContext) -> list[LintFailure]:
    """Greetings at the start of a line after the first (``email_parts``; repaired by cutting the greeting)."""
    out: list[LintFailure] = []
    lines = [(a, line) for a, line in _lines(text) if line.strip()]
    for a, line in lines[1:]:
        m = _SECOND_GREETING_RE.match(line)
        if m is None or not m.group().strip():
            continue
        out.append(_fail("email_parts", "a second greeting inside the letter", a + m.start(), a + m.end(), text))
    return out


__all__ = ["COPY_KINDS", "VOICE_EXTRA", "check_letter_form", "check_sign_off", "check_threats", "customer_names",
           "second_greetings"]
