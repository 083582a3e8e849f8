"""Deterministic tidying of an e-mail draft before it is checked: what small models wrap around a letter that a
rep would delete without thinking, and nothing else.

- a leading ``Subject: ...`` / ``主题：...`` line (the studio has no subject field; the body starts at the greeting);
- a signature made of template slots (``[Your Name]``, ``[Your Position]``, ``[公司名称]``): the slot-only lines
  after the closing are dropped and the closing is signed the way the deterministic letters sign
  (``The sales team`` / ``销售团队``), since the workspace stores no sender name;
- a greeting whose addressee is a slot (``Dear [Customer Name],``): the slot becomes the account's name;
- trailing notes to the user after the letter (``Note: ...``, ``注：...``).

A slot anywhere else (in a sentence of the body) is left for the placeholder check: it is a defect the model made in
what it wrote, not packaging. Each change is named so the studio can say what was tidied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SIGN_OFF = {"en": "The sales team", "zh": "销售团队"}
_SLOT = r"(?:\[[^\[\]\n]{1,40}\]|【[^【】\n]{1,40}】|<[^<>\n]{1,40}>|\{[^{}\n]{1,40}\})"
_SLOT_LINE_RE = re.compile(rf"^\s*(?:[-*•]\s*)?(?:{_SLOT}[\s,，、|/:：-]*)+$")
_SLOT_RE = re.compile(_SLOT)
_SUBJECT_RE = re.compile(r"^\s*(?:\*\*)?(?:subject(?: line)?|re|主题|邮件主题|标题)\s*(?:\*\*)?\s*[:：]", re.I)
_NOTE_RE = re.compile(r"^\s*(?:\(|（)?\s*(?:\*\*)?(?:note|notes|n\.b\.|注|注意|备注|说明)\s*(?:\*\*)?\s*[:：]", re.I)
_CLOSING_LINE_RE = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest)?\s*regards|sincerely|yours (?:sincerely|truly|faithfully)|best wishes|"
    r"best|cheers|thanks|thank you|many thanks|talk soon|all the best|此致|此致敬礼|敬礼|顺颂商祺|商祺|祝好|"
    r"祝商祺|谢谢|期待您的回复|顺祝商祺)[\s,，。.!！]*$", re.I)
_GREETING_RE = re.compile(r"^\s*(?:dear|hello|hi|good (?:morning|afternoon|day)|尊敬的|亲爱的)\b|您好|你好", re.I)


@dataclass
class Tidied:
    text: str
    changes: list[str] = field(default_factory=list)


def tidy_email(text: str, *, language: str, account_name: str | None) -> Tidied:
    """The draft with the packaging above removed or filled (see the module docstring)."""
    lines = text.strip().splitlines()
    changes: list[str] = []
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _SUBJECT_RE.match(lines[0]):
        lines.pop(0)
        changes.append("subject line removed")
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and account_name and _GREETING_RE.search(lines[0]) and _SLOT_RE.search(lines[0]):
        lines[0] = _SLOT_RE.sub(lambda _: account_name, lines[0], count=1)
        lines[0] = _SLOT_RE.sub("", lines[0])
        changes.append("greeting addressed to the account")
    closing = max((i for i, line in enumerate(lines) if _CLOSING_LINE_RE.match(line)), default=None)
    if closing is not None:
        after = lines[closing + 1:]
        notes = next((i for i, line in enumerate(after) if _NOTE_RE.match(line)), None)
        if notes is not None:
            after = after[:notes]
            changes.append("note after the letter removed")
        kept = [line for line in after if line.strip() and not _SLOT_LINE_RE.match(line)]
        if len(kept) != len([line for line in after if line.strip()]):
            changes.append("placeholder signature replaced")
        if not kept:
            kept = [SIGN_OFF.get(language, SIGN_OFF["en"])]
        lines = lines[:closing + 1] + kept
    else:
        while lines and (not lines[-1].strip() or _NOTE_RE.match(lines[-1])):
            if lines[-1].strip():
                changes.append("note after the letter removed")
            lines.pop()
    return Tidied("\n".join(lines).strip(), changes)


__all__ = ["SIGN_OFF", "Tidied", "tidy_email"]
