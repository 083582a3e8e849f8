"""Signals: what a customer message is about (intent) and how the customer feels (sentiment).

``analyse_message`` is called by the assistant on every message, so the models load once per process (the
workspace's own intent model when ``bizpilot train intent`` saved one, else the shipped default; the shipped
sentiment model) and a message costs a few tens of milliseconds. ``analyse_interactions`` fills the signal columns
of stored interactions in batches; ``dissatisfaction_alerts`` lists the accounts whose recent messages are
negative or complaints, for the dashboard Overview and the API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.domain import Account, Interaction
from bizpilot.errors import ValidationFailed

INTENT_MODEL_FILE = "intent.npz"
ALERT_INTENTS = ("complaint", "returns_refunds")
ALERT_DAYS = 30
ALERT_MIN_CONFIDENCE = 0.5  # a complaint/refund intent counts towards an alert only when the model is this sure
_lock = threading.Lock()
_cache: dict[str, Any] = {}


@dataclass(frozen=True)
class MessageSignals:
    intent: str
    intent_confidence: float
    out_of_scope: bool
    sentiment: str  # negative / neutral / positive
    sentiment_score: float  # -1..1
    language: str = "en"
    top_intents: list[tuple[str, float]] = field(default_factory=list)


def workspace_intent_path() -> Path:
    return get_settings().models_dir / INTENT_MODEL_FILE


def intent_model() -> Any:
    """The workspace's trained intent model if there is one (reloaded when the file changes), else the default."""
    from bizpilot.ml.text.intent import IntentClassifier, default_intent_model

    path = workspace_intent_path()
    if path.is_file():
        stamp = (str(path), path.stat().st_mtime_ns)
        with _lock:
            if _cache.get("intent_stamp") != stamp:
                _cache["intent"] = IntentClassifier.load(path)
                _cache["intent_stamp"] = stamp
            return _cache["intent"]
    return default_intent_model()


def sentiment_model() -> Any:
    from bizpilot.ml.text.sentiment import default_sentiment_model

    return default_sentiment_model()


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


def analyse_interactions(session: Session, *, reanalyse: bool = False, limit: int | None = None,
                         since_days: int | None = None, batch_size: int = 256,
                         on_progress: Callable[[int, int], None] | None = None) -> AnalysisReport:
    """Fill sentiment/intent columns of interactions that have text (only the unanalysed ones unless
    ``reanalyse``; only those of the last ``since_days`` before the newest interaction when given, which is what
    the alerts look at); commits per batch so a long run can be interrupted without losing work."""
    import time
    from datetime import timedelta

    started = time.perf_counter()
    stmt = select(Interaction.id).where(Interaction.text.is_not(None)).order_by(Interaction.id)
    if since_days is not None:
        newest = session.execute(select(func.max(Interaction.occurred_at))).scalar_one()
        if newest is not None:
            stmt = stmt.where(Interaction.occurred_at >= newest - timedelta(days=since_days))
    if not reanalyse:
        stmt = stmt.where(Interaction.analysed_at.is_(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    ids = list(session.execute(stmt).scalars())
    analysed = skipped = negative = complaints = 0
    for start in range(0, len(ids), batch_size):
        rows = session.execute(select(Interaction).where(Interaction.id.in_(ids[start:start + batch_size]))
                               ).scalars().all()
        now = datetime.now()
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
        session.commit()
        if on_progress:
            on_progress(min(start + batch_size, len(ids)), len(ids))
    return AnalysisReport(analysed=analysed, skipped_empty=skipped, negative=negative, complaints=complaints,
                          seconds=round(time.perf_counter() - started, 3))


def _is_complaint(row: Interaction) -> bool:
    return row.intent in ALERT_INTENTS and (row.intent_confidence or 0.0) >= ALERT_MIN_CONFIDENCE


def unanalysed_count(session: Session) -> int:
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
    last_at: datetime
    last_text: str | None
    severity: str  # high / medium


def dissatisfaction_alerts(session: Session, *, days: int = ALERT_DAYS, limit: int = 10, min_negative: int = 1,
                           now: datetime | None = None) -> list[DissatisfactionAlert]:
    """Accounts with negative or complaint/refund inbound messages in the last ``days`` (relative to the newest
    interaction when ``now`` is not given, so imported history still shows), worst first."""
    if days < 1 or limit < 1:
        raise ValidationFailed("days and limit must be at least 1")
    if now is None:
        now = session.execute(select(func.max(Interaction.occurred_at))).scalar_one_or_none() or datetime.now()
    since = now - timedelta(days=days)
    bad = (Interaction.sentiment == "negative") | (Interaction.intent.in_(ALERT_INTENTS)
                                                   & (Interaction.intent_confidence >= ALERT_MIN_CONFIDENCE))
    stmt = (select(Interaction.account_id, func.count(), func.sum(func.coalesce(Interaction.sentiment_score, 0.0)),
                   func.max(Interaction.occurred_at))
            .where(Interaction.account_id.is_not(None), Interaction.analysed_at.is_not(None),
                   Interaction.direction == "inbound", Interaction.occurred_at >= since,
                   Interaction.occurred_at <= now, bad)
            .group_by(Interaction.account_id))
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



# -- training --------------------------------------------------------------------------------------------------


def train_intent(*, texts: Sequence[str], labels: Sequence[str], with_defaults: bool = False,
                 holdout: float = 0.0, embedder: str = "auto",
                 on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fit the workspace intent model on a team's labelled messages and save it where ``analyse_message`` finds
    it. ``with_defaults`` adds the shipped seed utterances, so a few examples of a new intent extend the default
    set (few-shot). ``holdout`` > 0 first measures accuracy on that share of the rows (stratified)."""
    import time

    import numpy as np

    from bizpilot.ml.evaluation import label_metrics
    from bizpilot.ml.text.intent import IntentClassifier, load_seeds

    texts, labels = [str(t) for t in texts], [str(y) for y in labels]
    if len(texts) != len(labels) or not texts:
        raise ValidationFailed("training needs the same, non-zero number of texts and labels")
    seed_texts, seed_labels = load_seeds() if with_defaults else ([], [])
    metrics = None
    if holdout > 0:
        rng = np.random.default_rng(0)
        test_idx: list[int] = []
        for label in sorted(set(labels)):
            idx = [i for i, y in enumerate(labels) if y == label]
            if len(idx) >= 2:
                test_idx.extend(rng.choice(idx, size=max(1, int(round(len(idx) * holdout))), replace=False).tolist())
        test_set = set(test_idx)
        train_idx = [i for i in range(len(texts)) if i not in test_set]
        probe = IntentClassifier(embedder=embedder).fit([texts[i] for i in train_idx] + seed_texts,
                                                        [labels[i] for i in train_idx] + seed_labels)
        scored = label_metrics([labels[i] for i in test_idx], probe.predict([texts[i] for i in test_idx]))
        metrics = {"holdout_accuracy": scored["accuracy"], "holdout_macro_f1": scored["macro_f1"],
                   "holdout_n": scored["n"]}
    started = time.perf_counter()
    model = IntentClassifier(embedder=embedder).fit(texts + seed_texts, labels + seed_labels,
                                                    on_progress=on_progress)
    seconds = time.perf_counter() - started
    path = workspace_intent_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    written = model.save(path)
    return {"model": "intent", "path": str(written), "n_rows": len(texts), "n_seed_rows": len(seed_texts),
            "intents": model.classes_, "embedder": model.embedder_, "seconds": round(seconds, 3),
            "metrics": metrics}


def reset_intent_model() -> bool:
    """Remove the workspace intent model (back to the shipped default); True when there was one."""
    path = workspace_intent_path()
    if path.is_file():
        path.unlink()
        _cache.clear()
        return True
    return False


__all__ = ["ALERT_DAYS", "ALERT_INTENTS", "AnalysisReport", "DissatisfactionAlert", "MessageSignals",
           "analyse_interactions", "analyse_message", "analyse_texts", "dissatisfaction_alerts", "intent_model",
           "reset_intent_model", "sentiment_model", "train_intent", "unanalysed_count"]
