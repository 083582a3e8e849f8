"""Signals: what a customer message is about (intent) and how the customer feels (sentiment).

``analyse_message`` is called by the assistant on every message, so the models load once per process through the
model store (the workspace's own intent and sentiment models when `bizpilot train intent|sentiment FILE` saved
them, else the shipped defaults) and a message costs a few tens of milliseconds. ``analyse_interactions`` fills
the signal columns of stored interactions in batches; ``dissatisfaction_alerts`` lists the accounts whose recent
messages are negative or complaints, for the dashboard Overview and the API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Interaction
from bizpilot.domain.schemas import UTCDateTime
from bizpilot.errors import ValidationFailed
from bizpilot.services.clock import as_of as workspace_as_of
from bizpilot.services.events import emit
from bizpilot.services.models.spec import ModelSpec, Progress, Trained
from bizpilot.services.models.store import get_store
from bizpilot.services.signals.specs import INTENT, SENTIMENT

ALERT_INTENTS = ("complaint", "returns_refunds")
ALERT_DAYS = 30
ALERT_MIN_CONFIDENCE = 0.5  # a complaint/refund intent counts towards an alert only when the model is this sure


@dataclass(frozen=True)
class MessageSignals:
    intent: str
    intent_confidence: float
    out_of_scope: bool
    sentiment: str  # negative / neutral / positive
    sentiment_score: float  # -1..1
    language: str = "en"
    top_intents: list[tuple[str, float]] = field(default_factory=list)


def intent_model() -> Any:
    """The workspace's trained intent model if there is one (the store reloads it when the file changes), else the
    shipped default."""
    from bizpilot.ml.text.intent import default_intent_model

    store = get_store()
    return store.load(INTENT) if store.exists(INTENT) else default_intent_model()


def sentiment_model() -> Any:
    """The workspace's trained sentiment model if there is one, else the shipped default."""
    from bizpilot.ml.text.sentiment import default_sentiment_model

    store = get_store()
    return store.load(SENTIMENT) if store.exists(SENTIMENT) else default_sentiment_model()


def detect_language(text: str) -> str:
    from bizpilot.ml.text.embedding import is_chinese

    return "zh" if is_chinese(text) else "en"


def analyse_texts(texts: Sequence[str], *, languages: Sequence[str | None] | None = None) -> list[MessageSignals]:
    """Signals for many texts at once (batched through the models)."""
    texts = [str(t or "") for t in texts]
    if not texts:
        return []
    intents = intent_model().analyse(texts)
    sentiments = sentiment_model().analyse(texts)
    out = []
    for i, (text, intent, (label, score)) in enumerate(zip(texts, intents, sentiments, strict=True)):
        language = (languages[i] if languages and languages[i] else None) or detect_language(text)
        out.append(MessageSignals(intent=intent["intent"], intent_confidence=round(intent["confidence"], 4),
                                  out_of_scope=intent["out_of_scope"], sentiment=label,
                                  sentiment_score=round(score, 4), language=language,
                                  top_intents=[(k, round(p, 4)) for k, p in intent["top"]]))
    return out


def analyse_message(text: str, *, language: str | None = None) -> MessageSignals:
    """Intent (with confidence and out-of-scope flag) and sentiment of one customer message."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("message text is empty", details=[{"field": "text", "reason": "empty"}])
    return analyse_texts([text], languages=[language])[0]


# -- stored interactions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisReport:
    analysed: int
    skipped_empty: int
    negative: int
    complaints: int
    seconds: float


def analyse_interactions(*, session: Session, reanalyse: bool = False, limit: int | None = None,
                         since_days: int | None = None, before: datetime | None = None, inbound_only: bool = False,
                         newest_first: bool = False, batch_size: int = 256,
                         on_progress: Callable[[int, int], None] | None = None) -> AnalysisReport:
    """Fill sentiment/intent columns of interactions that have text (only the unanalysed ones unless
    ``reanalyse``; only those of the last ``since_days`` before the workspace's today when given, which is what
    the alerts look at; only those before ``before``, only inbound ones, the newest first, when asked). Flushes
    per batch; the caller commits (the CLI commits every ``limit`` rows, so a long run can be interrupted without
    losing work)."""
    started = time.perf_counter()
    stmt = select(Interaction.id).where(Interaction.text.is_not(None))
    stmt = stmt.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()) if newest_first else stmt.order_by(
        Interaction.id)
    if since_days is not None:
        stmt = stmt.where(Interaction.occurred_at >= workspace_as_of(session=session) - timedelta(days=since_days))
    if before is not None:
        stmt = stmt.where(Interaction.occurred_at < before)
    if inbound_only:
        stmt = stmt.where(Interaction.direction == "inbound")
    if not reanalyse:
        stmt = stmt.where(Interaction.analysed_at.is_(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    ids = list(session.execute(stmt).scalars())
    accounts = _accounts_of(session, ids)
    alerting_before = _alerting(session, accounts)
    analysed = skipped = negative = complaints = 0
    for start in range(0, len(ids), batch_size):
        rows = session.execute(select(Interaction).where(Interaction.id.in_(ids[start:start + batch_size]))
                               ).scalars().all()
        now = utcnow()
        usable = [r for r in rows if (r.text or "").strip()]
        skipped += len(rows) - len(usable)
        texts = [". ".join(p.strip() for p in (r.subject, r.text) if p and p.strip()) for r in usable]
        for row, signals in zip(usable, analyse_texts(texts, languages=[r.language for r in usable]), strict=True):
            row.sentiment, row.sentiment_score = signals.sentiment, signals.sentiment_score
            row.intent, row.intent_confidence = signals.intent, signals.intent_confidence
            row.analysed_at = now
            negative += signals.sentiment == "negative"
            complaints += signals.intent == "complaint"
        analysed += len(usable)
        session.flush()
        if on_progress:
            on_progress(min(start + batch_size, len(ids)), len(ids))
    _raise_new_alerts(session, _alerting(session, accounts) - alerting_before)
    return AnalysisReport(analysed=analysed, skipped_empty=skipped, negative=negative, complaints=complaints,
                          seconds=round(time.perf_counter() - started, 3))


def _accounts_of(session: Session, interaction_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(interaction_ids), 500):
        found.update(session.scalars(select(Interaction.account_id).distinct().where(
            Interaction.id.in_(interaction_ids[start:start + 500]), Interaction.account_id.is_not(None))))
    return found


def _alerting(session: Session, account_ids: set[int]) -> set[int]:
    """Which of these accounts have a dissatisfaction alert now (the rule of ``dissatisfaction_alerts``)."""
    if not account_ids:
        return set()
    now = workspace_as_of(session=session)
    ids = sorted(account_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(select(Interaction.account_id).distinct().where(
            Interaction.account_id.in_(ids[start:start + 500]), Interaction.analysed_at.is_not(None),
            Interaction.direction == "inbound", Interaction.occurred_at >= now - timedelta(days=ALERT_DAYS),
            Interaction.occurred_at <= now, _bad_message())))
    return found


def _raise_new_alerts(session: Session, account_ids: set[int]) -> None:
    """``alert.raised`` for each account that this analysis turned into a dissatisfaction alert (it had none
    before its messages were analysed, it has one now), in the caller's transaction."""
    if not account_ids:
        return
    for alert in dissatisfaction_alerts(session=session, limit=len(account_ids), account_ids=account_ids):
        emit(session=session, event="alert.raised", data={
            "kind": "dissatisfaction", "account_id": alert.account_id, "account_name": alert.account_name,
            "severity": alert.severity, "negative": alert.negative, "complaints": alert.complaints,
            "interactions": alert.interactions, "average_score": alert.average_score,
            "last_at": alert.last_at.isoformat(), "last_text": alert.last_text, "days": ALERT_DAYS})


def _is_complaint(row: Interaction) -> bool:
    return row.intent in ALERT_INTENTS and (row.intent_confidence or 0.0) >= ALERT_MIN_CONFIDENCE


def unanalysed_count(*, session: Session) -> int:
    """Interactions with text that have no signals yet (the dashboard says so next to the alerts)."""
    return int(session.execute(select(func.count()).select_from(Interaction)
                               .where(Interaction.text.is_not(None), Interaction.analysed_at.is_(None))).scalar_one())


@dataclass(frozen=True)
class DissatisfactionAlert:
    account_id: int
    account_name: str
    negative: int
    complaints: int
    interactions: int
    average_score: float
    last_at: UTCDateTime  # naive UTC, written in JSON with its offset
    last_text: str | None
    severity: str  # high / medium


def _bad_message() -> Any:
    """A negative message, or a complaint/refund request the intent model is sure of: what raises an alert."""
    return (Interaction.sentiment == "negative") | (Interaction.intent.in_(ALERT_INTENTS)
                                                    & (Interaction.intent_confidence >= ALERT_MIN_CONFIDENCE))


def dissatisfaction_alerts(*, session: Session, days: int = ALERT_DAYS, limit: int = 10, min_negative: int = 1,
                           now: datetime | None = None, account_ids: Collection[int] | None = None
                           ) -> list[DissatisfactionAlert]:
    """Accounts with negative or complaint/refund inbound messages in the last ``days`` before ``now`` (default:
    the end of the workspace's today, so imported history still shows), worst first (of ``account_ids`` only,
    when given)."""
    if days < 1 or limit < 1:
        raise ValidationFailed("days and limit must be at least 1")
    if now is None:
        now = workspace_as_of(session=session)
    since = now - timedelta(days=days)
    bad = _bad_message()
    stmt = (select(Interaction.account_id, func.count(), func.sum(func.coalesce(Interaction.sentiment_score, 0.0)),
                   func.max(Interaction.occurred_at))
            .where(Interaction.account_id.is_not(None), Interaction.analysed_at.is_not(None),
                   Interaction.direction == "inbound", Interaction.occurred_at >= since,
                   Interaction.occurred_at <= now, bad)
            .group_by(Interaction.account_id))
    if account_ids is not None:
        stmt = stmt.where(Interaction.account_id.in_(list(account_ids)))
    groups = {a: (int(n), float(s or 0.0), last) for a, n, s, last in session.execute(stmt).all()}
    if not groups:
        return []
    alerts = []
    for account_id, (n_bad, score_sum, last_at) in groups.items():
        if n_bad < min_negative:
            continue
        account = session.get(Account, account_id)
        recent = session.execute(
            select(Interaction).where(Interaction.account_id == account_id, Interaction.occurred_at >= since,
                                      Interaction.occurred_at <= now, Interaction.direction == "inbound",
                                      Interaction.analysed_at.is_not(None))
            .order_by(Interaction.occurred_at.desc())).scalars().all()
        negative = sum(r.sentiment == "negative" for r in recent)
        complaints = sum(_is_complaint(r) for r in recent)
        latest_bad = next((r for r in recent if r.sentiment == "negative" or _is_complaint(r)), None)
        severity = "high" if complaints >= 2 or negative >= 3 or score_sum / max(n_bad, 1) <= -0.6 else "medium"
        alerts.append(DissatisfactionAlert(
            account_id=account_id, account_name=account.name if account else f"#{account_id}", negative=negative,
            complaints=complaints, interactions=len(recent), average_score=round(score_sum / max(n_bad, 1), 3),
            last_at=last_at, last_text=(latest_bad.text or "")[:200] if latest_bad else None, severity=severity))
    alerts.sort(key=lambda a: (a.severity != "high", -(a.negative + a.complaints), a.average_score))
    return alerts[:limit]



# Sentiment/intent of the most recent interactions: what the dissatisfaction alerts read. Older customer messages
# are analysed too, newest month first and at most HISTORY_PER_RUN a run (a local embedding per message makes a
# long imported history slow: the next runs go on where this one stopped), so the monthly sentiment trend of the
# Insights page covers the history and not only the last 90 days. `bizpilot signals analyse` does the rest at once.
# 5,000 a run is about 6 minutes at ~70 ms a message on 2 busy cores: the one training worker is not held for long.
SIGNALS_RECENT_DAYS = 90
HISTORY_PER_RUN = 5_000


def _history_left(session: Session, cutoff: datetime) -> tuple[int, str | None]:
    """(inbound messages with text before ``cutoff`` still unanalysed, the first month whose inbound messages are
    all analysed from there on)."""
    unanalysed = (Interaction.text.is_not(None), Interaction.text != "", Interaction.direction == "inbound",
                  Interaction.analysed_at.is_(None))
    left = int(session.execute(select(func.count()).select_from(Interaction)
                               .where(*unanalysed, Interaction.occurred_at < cutoff)).scalar_one())
    newest_gap = session.execute(select(func.max(Interaction.occurred_at)).where(*unanalysed)).scalar_one()
    oldest = session.execute(select(func.min(Interaction.occurred_at)).where(
        Interaction.text.is_not(None), Interaction.direction == "inbound")).scalar_one()
    if oldest is None:
        return left, None
    if newest_gap is None:
        return left, oldest.strftime("%Y-%m")
    month = newest_gap.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)
    return left, month.strftime("%Y-%m")


def analyse_recent(*, session: Session, as_of: datetime, progress: Progress,
                   history_per_run: int = HISTORY_PER_RUN, **_: Any) -> Trained:
    """Intent and sentiment of the last 90 days' messages not analysed yet (what the alerts read), then of up to
    ``history_per_run`` older inbound messages, newest first (the monthly sentiment trend)."""
    report = analyse_interactions(session=session, since_days=SIGNALS_RECENT_DAYS,
                                  on_progress=lambda done, total: progress(0.3 * done / max(total, 1)))
    cutoff = workspace_as_of(session=session) - timedelta(days=SIGNALS_RECENT_DAYS)
    history = analyse_interactions(session=session, before=cutoff, inbound_only=True, newest_first=True,
                                   limit=max(history_per_run, 0),
                                   on_progress=lambda done, total: progress(0.3 + 0.7 * done / max(total, 1)))
    left, complete_from = _history_left(session, cutoff)
    return Trained(None, {"analysed": report.analysed, "skipped_empty": report.skipped_empty,
                          "negative": report.negative, "complaints": report.complaints,
                          "seconds": report.seconds, "since_days": SIGNALS_RECENT_DAYS,
                          "history_analysed": history.analysed, "history_seconds": history.seconds,
                          "history_left": left, "sentiment_complete_from": complete_from},
                   n_rows=report.analysed + history.analysed,
                   params={"since_days": SIGNALS_RECENT_DAYS, "history_per_run": history_per_run})


SIGNALS = ModelSpec(
    name="signals", title="Message signals", train=analyse_recent, inputs=(Interaction,),
    summary="Intent and sentiment of customer messages: the last 90 days' for the dissatisfaction alerts, then older "
            f"inbound ones (up to {HISTORY_PER_RUN:,} a run, newest first) for the monthly sentiment trend",
    on_demand=False)


__all__ = ["ALERT_DAYS", "ALERT_INTENTS", "SIGNALS", "AnalysisReport", "DissatisfactionAlert", "MessageSignals",
           "analyse_interactions", "analyse_message", "analyse_texts", "dissatisfaction_alerts", "intent_model",
           "sentiment_model", "unanalysed_count"]
