"""Training the ``topics`` model from the workspace's interactions (see ``services/models/spec.py``).

The texts are inbound interactions (reviews, tickets, chats, e-mails) with text, not archived, before ``as_of``,
the newest ``MAX_TEXTS`` of them. k is chosen by the model (silhouette) unless ``n_topics`` is given. Outputs: one
per topic (subject ``topic``, ``subject_id`` = topic number, ``score`` = size) whose payload holds its label,
keywords, size, share, sentiment shares, quotes (interaction id, account id, date, text) and its members
(interaction id and day), so the page and the report can count any period without the model.

The label is the first three keywords of the topic's dominant language (``language``; a label per language with
enough of its texts is kept too: ``keyword_labels``, ``keywords_by_language``) unless the configured language model
wrote a short one that the topic's words support (``labels.py``; ``keyword_label`` and ``llm_label`` keep both and
which model wrote it).
Weekly counts with their spikes (``spikes.py``) are stored too, one output per series (subject ``series``): every
topic, every competitor on the workspace's list at training time, and all messages together; a spike carries
quotes of its week.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.errors import BizpilotError, InsufficientData
from bizpilot.ml.text.topics import TopicModel
from bizpilot.services.insights.competitors import MentionFinder, load_competitors
from bizpilot.services.insights.labels import (
    keyword_labels,
    label_backend,
    language_keywords,
    llm_label,
    text_language,
)
from bizpilot.services.insights.spikes import series
from bizpilot.services.insights.texts import message_text
from bizpilot.services.models.spec import Output, Progress, Trained

MAX_TEXTS = 20_000
MIN_TEXTS = 20
QUOTE_CHARS = 300


def train_topics(*, session: Session, as_of: datetime, progress: Progress, n_topics: int | None = None,
                 max_topics: int = 12, llm_labels: bool | None = None, **params: Any) -> Trained:
    """``llm_labels``: None lets a model that passed the capability probe write labels, True asks the configured
    model unless its probe failed, False keeps keyword labels."""
    rows = session.execute(
        select(Interaction.id, Interaction.account_id, Interaction.occurred_at, Interaction.sentiment,
               Interaction.subject, Interaction.text)
        .where(Interaction.archived_at.is_(None), Interaction.text.is_not(None), Interaction.text != "",
               Interaction.direction == "inbound", Interaction.occurred_at < as_of)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(MAX_TEXTS)).all()
    rows = list(reversed(rows))
    if len(rows) < MIN_TEXTS:
        raise InsufficientData(f"{len(rows)} inbound interactions with text; topics need at least {MIN_TEXTS}")
    texts = [message_text(r.subject, r.text) for r in rows]
    progress(0.05, f"embedding {len(texts)} interactions")
    model = TopicModel(n_topics=n_topics, max_topics=max_topics, **params)
    model.fit(texts, on_progress=lambda done: progress(0.05 + 0.8 * done / len(texts), "embedding"))
    progress(0.9, "describing topics")
    backend, why = label_backend(llm_labels, session=session)  # the workspace's writing model, gated per language
    by_language = language_keywords(texts, model.labels_, model.n_topics_)
    languages = [text_language(t) for t in texts]
    outputs = []
    labelled = 0
    for topic in model.topics():
        c = topic["topic"]
        idx = [i for i in range(len(rows)) if model.labels_[i] == c]
        members = [rows[i] for i in idx]
        sentiments = Counter(r.sentiment or "unanalysed" for r in members)
        analysed = len(members) - sentiments["unanalysed"]
        keyword_label, language, per_language = keyword_labels(topic["keywords"], by_language[c],
                                                               [languages[i] for i in idx])
        label, written = keyword_label or topic["label"], None
        if backend is not None:
            written = llm_label(backend, keywords=topic["keywords"], texts=[texts[i] for i in idx],
                                examples=[texts[i] for i in model.representatives(c, n=8)])
            if written["accepted"]:
                label, labelled = written["text"], labelled + 1
        payload = {
            "label": label, "keyword_label": keyword_label or topic["label"], "llm_label": written,
            "language": language, "keyword_labels": per_language, "keywords_by_language": by_language[c],
            "label_model": written["model"] if written and written["accepted"] else None,
            "keywords": topic["keywords"], "size": topic["size"], "share": topic["share"],
            "negative_share": round(sentiments["negative"] / analysed, 4) if analysed else None,
            "positive_share": round(sentiments["positive"] / analysed, 4) if analysed else None,
            "quotes": [_quote(rows[i], texts[i]) for i in topic["quote_index"]],
            "members": [[int(r.id), r.occurred_at.date().isoformat(), r.sentiment] for r in members],
        }
        outputs.append(Output(subject="topic", subject_id=c, payload=payload, score=float(topic["size"])))
    progress(0.95, "weekly spikes")
    outputs += _series_outputs(model, rows, texts, {o.subject_id: o.payload["label"] for o in outputs}, as_of)
    metrics = {"n_topics": model.n_topics_, "texts": len(texts), "embedder": getattr(model, "embedder_", None),
               "llm_labels": labelled, "llm_labels_why": why if backend is None else "ok",
               "spikes": sum(len(o.payload["spikes"]) for o in outputs if o.subject == "series")}
    if hasattr(model, "silhouette_"):
        metrics["silhouette"] = model.silhouette_
    return Trained(model=model, metrics=metrics, n_rows=len(texts), outputs=outputs)


def _quote(row: Any, text: str) -> dict[str, Any]:
    return {"interaction_id": int(row.id), "account_id": row.account_id,
            "occurred_at": row.occurred_at.date().isoformat(), "text": text[:QUOTE_CHARS]}


def _series_outputs(model: TopicModel, rows: list[Any], texts: list[str], labels: dict[int | None, str],
                    as_of: datetime) -> list[Output]:
    """Weekly counts and spikes of every topic, every listed competitor and all messages (see the docstring)."""
    days = [r.occurred_at.date() for r in rows]
    first, last = days[0], (as_of - timedelta(microseconds=1)).date()

    def quotes(idx: list[int], rank: Any) -> Any:
        def for_week(lo: date, hi: date) -> list[dict[str, Any]]:
            week = [i for i in idx if lo <= days[i] < hi]
            return [_quote(rows[i], texts[i]) for i in rank(week)[:3]]
        return for_week

    def by_centrality(week: list[int]) -> list[int]:
        return sorted(week, key=lambda i: (-float(model.centrality_[i]), i))

    found: list[dict[str, Any]] = []
    everything = list(range(len(rows)))
    found.append(series(kind="all", key="all", label="all", days=days, first=first, last=last,
                        quotes_for=quotes(everything, lambda w: w)))
    for c in range(model.n_topics_):
        idx = [int(i) for i in (model.labels_ == c).nonzero()[0]]
        found.append(series(kind="topic", key=c, label=labels.get(c, f"#{c + 1}"), days=[days[i] for i in idx],
                            first=first, last=last, quotes_for=quotes(idx, by_centrality)))
    try:
        competitors = load_competitors()
    except BizpilotError:  # a damaged list: the page says so; the topics still train
        competitors = []
    for comp in competitors:
        finder = MentionFinder([comp])
        idx = [i for i, t in enumerate(texts) if finder.find(t)]
        found.append(series(kind="competitor", key=comp.name, label=comp.name, days=[days[i] for i in idx],
                            first=first, last=last, quotes_for=quotes(idx, lambda w: w)))
    return [Output(subject="series", subject_id=n, payload=s, score=float(len(s["spikes"])))
            for n, s in enumerate(found)]


__all__ = ["MAX_TEXTS", "MIN_TEXTS", "train_topics"]
