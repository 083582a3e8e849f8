"""`bizpilot eval assistant`: does the service assistant answer every part of a question from the right article,
and hand off exactly the messages a person must take?

The data file is JSON Lines, one question a line::

    {"q": "Do you ship to Norway and how long does express take?",
     "expect": [["kb-shipping-options-en"], ["kb-shipping-options-en", "kb-shipping-options-zh"]],
     "handoff": false}

``expect`` holds one list per part of the question; a part counts as cited when any article of its list is among
the answer's sources (an article's external id, or ``order:<id>`` / ``order:*`` for the account's order records).
Optional fields: ``account`` (the asking account, for order questions) and ``id``. Each question runs through the
real ``ask`` inside a savepoint that is rolled back, so the evaluation leaves no conversations or tickets behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bizpilot.errors import RowError
from bizpilot.services.evaluation.files import raise_row_errors, read_json_records

ORDER_ANY = "order:*"


@dataclass(frozen=True)
class AssistantCase:
    line: int
    question: str
    expect: list[list[str]]
    handoff: bool
    account: str | None = None
    id: str | None = None


@dataclass
class CaseOutcome:
    case: AssistantCase
    cited: list[str]
    parts_cited: list[bool]
    handoff: bool
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.case.line, "id": self.case.id, "q": self.case.question, "expect": self.case.expect,
                "expect_handoff": self.case.handoff, "handoff": self.handoff, "reasons": self.reasons,
                "cited": self.cited, "parts_cited": self.parts_cited, "ok": self.ok}

    @property
    def ok(self) -> bool:
        return self.handoff == self.case.handoff and all(self.parts_cited)


def read_assistant_cases(path: Path) -> list[AssistantCase]:
    """The questions of a JSON Lines file; every bad line is an error naming its line and field."""
    cases: list[AssistantCase] = []
    errors: list[RowError] = []
    for line, rec in read_json_records(path):
        if not isinstance(rec, dict):
            errors.append(RowError(row=line, field="(line)", reason="not a JSON object"))
            continue
        q = rec.get("q")
        if not isinstance(q, str) or not q.strip():
            errors.append(RowError(row=line, field="q", reason="missing or empty question", value=q))
            continue
        expect = rec.get("expect", [])
        if not isinstance(expect, list) or not all(
                isinstance(p, list) and p and all(isinstance(a, str) and a for a in p) for p in expect):
            errors.append(RowError(row=line, field="expect", reason="must be a list of non-empty lists of "
                                   "article external ids", value=expect))
            continue
        handoff = rec.get("handoff", False)
        if not isinstance(handoff, bool):
            errors.append(RowError(row=line, field="handoff", reason="must be true or false", value=handoff))
            continue
        if not expect and not handoff:
            errors.append(RowError(row=line, field="expect", reason="a question that is not handed off needs at "
                                   "least one expected part"))
            continue
        account = rec.get("account")
        cases.append(AssistantCase(line=line, question=q.strip(), expect=expect, handoff=handoff,
                                   account=str(account) if account not in (None, "") else None,
                                   id=str(rec["id"]) if rec.get("id") is not None else None))
    raise_row_errors(path, errors)
    if not cases:
        raise_row_errors(path, [RowError(row=1, field="(file)", reason="no questions")])
    return cases


def _cited_ids(result: Any) -> list[str]:
    """External ids of the articles (and ``order:<id>`` of the orders) the answer cites, parts included."""
    sources = list(result.sources)
    for part in getattr(result, "parts", None) or []:
        sources.extend(part.get("citations", []))
    out: list[str] = []
    for s in sources:
        src = str(s.get("source") or "")
        ident = src[3:] if src.startswith("kb:") else src
        if ident and ident not in out:
            out.append(ident)
    return out


def _part_cited(expected: list[str], cited: list[str]) -> bool:
    return any(e in cited or (e == ORDER_ANY and any(c.startswith("order:") for c in cited)) for e in expected)


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def evaluate_assistant(*, session: Session, cases: list[AssistantCase], embedder: str | None = "configured",
                       on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Ask every question of ``cases`` against the workspace's knowledge base; see the module docstring.

    ``single_cited``: one-part questions whose part is cited; ``multi_all_cited``: questions of two or more parts
    with every part cited; ``handoff_recall``: hand-off questions handed off; ``false_handoff_rate``: the other
    questions handed off. ``failures`` lists the questions that missed (for reading, not for scripts)."""
    from bizpilot.services.assistant import ask
    from bizpilot.services.assistant.index import refresh_index

    refresh_index(session=session, embedder=embedder, wait=True)
    outcomes: list[CaseOutcome] = []
    started = time.perf_counter()
    for i, case in enumerate(cases, start=1):
        t0 = time.perf_counter()
        savepoint = session.begin_nested()
        try:
            result = ask(session=session, question=case.question, account=case.account, embedder=embedder,
                         sync_index=False)
        finally:
            savepoint.rollback()
        cited = _cited_ids(result)
        reasons = [p["handoff_reason"] for p in getattr(result, "parts", None) or [] if p.get("handoff_reason")]
        if not reasons and result.handoff_reason:
            reasons = [result.handoff_reason]
        outcomes.append(CaseOutcome(case=case, cited=cited, parts_cited=[_part_cited(p, cited) for p in case.expect],
                                    handoff=bool(result.handoff), reasons=reasons,
                                    seconds=time.perf_counter() - t0))
        if on_progress:
            on_progress(i)
    elapsed = time.perf_counter() - started
    single = [o for o in outcomes if len(o.case.expect) == 1]
    multi = [o for o in outcomes if len(o.case.expect) >= 2]
    want = [o for o in outcomes if o.case.handoff]
    keep = [o for o in outcomes if not o.case.handoff]
    return {
        "task": "assistant", "n": len(outcomes), "n_single": len(single), "n_multi": len(multi),
        "n_handoff": len(want), "n_answerable": len(keep),
        "single_cited": _rate(sum(all(o.parts_cited) for o in single), len(single)),
        "multi_all_cited": _rate(sum(all(o.parts_cited) for o in multi), len(multi)),
        "parts_cited": _rate(sum(sum(o.parts_cited) for o in outcomes), sum(len(o.parts_cited) for o in outcomes)),
        "handoff_recall": _rate(sum(o.handoff for o in want), len(want)),
        "false_handoff_rate": _rate(sum(o.handoff for o in keep), len(keep)),
        "seconds_per_question": round(elapsed / max(len(outcomes), 1), 4),
        "failures": [o.to_dict() for o in outcomes if not o.ok],
    }


__all__ = ["AssistantCase", "evaluate_assistant", "read_assistant_cases"]
