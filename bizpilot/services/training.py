"""Bring every workspace model up to date in one go: what `bizpilot train all` and `bizpilot demo` run.

Each feature trains from the workspace's own data through its own service; this module only sequences them, times
them and keeps going when one of them cannot be trained (say, a workspace with orders but no opportunities), so a
single gap never leaves the other pages without their models. Steps, in order:

* ``segments``, ``churn``, ``winprob``, ``forecast``: customer intelligence (`services.intelligence`);
* ``recommend``: the hybrid recommender (`services.recommend`);
* ``signals``: sentiment and intent of the last 90 days' interactions not analysed yet (`services.signals`);
* ``knowledge``: knowledge-base chunks and embeddings for the assistant (`services.assistant.knowledge`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.errors import BizpilotError

STEPS = ("segments", "churn", "winprob", "forecast", "recommend", "signals", "knowledge")


@dataclass(frozen=True)
class StepResult:
    step: str
    ok: bool
    seconds: float
    detail: dict[str, Any]
    error: str | None = None


def _intelligence(engine: Engine, name: str) -> dict[str, Any]:
    from bizpilot.services.intelligence import train_model

    with Session(engine) as session:
        result = train_model(session, name=name)
        session.commit()
    return result


def _recommend(engine: Engine) -> dict[str, Any]:
    from bizpilot.services.recommend import train

    return train(engine=engine)


# Sentiment/intent of the most recent interactions only: what the dissatisfaction alerts read. Older history is
# analysed on demand (`bizpilot signals analyse`); a local embedding per message makes the whole history slow.
SIGNALS_RECENT_DAYS = 90


def _signals(engine: Engine) -> dict[str, Any]:
    from bizpilot.services.signals import analyse_interactions

    with Session(engine) as session:
        report = analyse_interactions(session, since_days=SIGNALS_RECENT_DAYS)
        session.commit()
    return asdict(report) if is_dataclass(report) else dict(report)


def _knowledge(engine: Engine) -> dict[str, Any]:
    from bizpilot.services.assistant.knowledge import sync_articles

    summary = sync_articles(session_or_engine=engine)
    return asdict(summary) if is_dataclass(summary) else dict(summary)


RUNNERS: dict[str, Callable[[Engine], dict[str, Any]]] = {
    "segments": lambda e: _intelligence(e, "segments"),
    "churn": lambda e: _intelligence(e, "churn"),
    "winprob": lambda e: _intelligence(e, "winprob"),
    "forecast": lambda e: _intelligence(e, "forecast"),
    "recommend": _recommend,
    "signals": _signals,
    "knowledge": _knowledge,
}


def train_all(*, engine: Engine, steps: tuple[str, ...] = STEPS,
              on_step: Callable[[str, int, int], None] | None = None) -> list[StepResult]:
    """Run ``steps`` in order; a step that fails with an expected error is reported and the others still run."""
    unknown = [s for s in steps if s not in RUNNERS]
    if unknown:
        from bizpilot.errors import ValidationFailed

        raise ValidationFailed(f"unknown training step(s) {', '.join(unknown)}; one of: {', '.join(STEPS)}")
    results: list[StepResult] = []
    for i, step in enumerate(steps):
        if on_step:
            on_step(step, i, len(steps))
        t0 = time.perf_counter()
        try:
            detail = RUNNERS[step](engine)
            results.append(StepResult(step, True, round(time.perf_counter() - t0, 2), _plain(detail)))
        except BizpilotError as exc:
            results.append(StepResult(step, False, round(time.perf_counter() - t0, 2), {}, exc.message))
    return results


def _plain(value: Any) -> Any:
    """JSON-friendly copy of a step's summary (dates and paths as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


__all__ = ["STEPS", "StepResult", "train_all"]
