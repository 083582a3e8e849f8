"""The parts every quality check shares (``lint.py``, ``lint_conduct.py``): a failure, the context a text is
checked in, and the sentence split and fact masking that keep names and values from tripping a check."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from bizpilot.services.content.facts import FactBundle

_SENT_RE = re.compile(r"[^\n]+?(?:[.!?。！？]+(?=\s|$)|[。！？]+|$)", re.MULTILINE)
_SENT_ZH_RE = re.compile(r"[^。！？\n]+[。！？]*")


@dataclass(frozen=True)
class LintFailure:
    """One failed check: ``check`` (a name of ``CHECKS``), ``reason``, and the offending ``span`` and its text."""

    check: str
    reason: str
    start: int = 0
    end: int = 0
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LintContext:
    kind: str
    language: str
    length: str = "medium"
    bundle: FactBundle | None = None
    contacts: tuple[str, ...] = ()  # the customer's contact names (a letter must not be signed with them)


def fact_spellings(ctx: LintContext) -> list[str]:
    if ctx.bundle is None:
        return []
    return sorted({s for f in ctx.bundle.facts for s in f.spellings if len(s) >= 2}, key=len, reverse=True)


def mask_facts(text: str, ctx: LintContext, fill: str = " ") -> str:
    """The text with every fact's spelling blanked (same length), so names and values never trip a check."""
    for s in fact_spellings(ctx):
        text = re.sub(re.escape(s), lambda m: fill * len(m.group()), text, flags=re.IGNORECASE)
    return text


def sentences(text: str, ctx: LintContext | None = None) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence; facts are masked first so 'Co.' in a name ends nothing."""
    masked = mask_facts(text, ctx, "x") if ctx is not None else text
    rx = _SENT_ZH_RE if ctx is not None and ctx.language == "zh" else _SENT_RE
    return [(m.start(), m.end(), text[m.start():m.end()]) for m in rx.finditer(masked) if m.group().strip()]


__all__ = ["LintContext", "LintFailure", "fact_spellings", "mask_facts", "sentences"]
