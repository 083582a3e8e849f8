"""Training the ``topics`` model from the workspace's interactions (see ``services/models/spec.py``).

The texts are inbound interactions (reviews, tickets, chats, e-mails) with text, not archived, before ``as_of``,
the newest ``MAX_TEXTS`` of them. k is chosen by the model (silhouette) unless ``n_topics`` is given. Outputs: one
per topic (subject ``topic``, ``subject_id`` = topic number, ``score`` = size) whose payload holds its label,
keywords, size, share, sentiment shares, quotes (interaction id, account id, date, text) and its members
(interaction id and day), so the page and the report can count any period without the model.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.errors import InsufficientData
from bizpilot.ml.text.topics import TopicModel
from bizpilot.services.models.spec import Output, Progress, Trained

MAX_TEXTS = 20_000
MIN_TEXTS = 20
QUOTE_CHARS = 300


def train_topics(*, session: Session, as_of: datetime, progress: Progress, n_topics: int | None = None,
                 max_topics: int = 12, **params: Any) -> Trained:
    rows = session.execute(
        select(Interaction.id, Interaction.account_id, Interaction.occurred_at, Interaction.sentiment,
               Interaction.subject, Interaction.text)
        .where(Interaction.archived_at.is_(None), Interaction.text.is_not(None), Interaction.text != "",
               Interaction.direction == "inbound", Interaction.occurred_at < as_of)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(MAX_TEXTS)).all()
    rows = list(reversed(rows))
    if len(rows) < MIN_TEXTS:
        raise InsufficientData(f"{len(rows)} inbound interactions with text; topics need at least {MIN_TEXTS}")
    texts = [" ".join(p for p in (r.subject, r.text) if p) for r in rows]
    progress(0.05, f"embedding {len(texts)} interactions")
    model = TopicModel(n_topics=n_topics, max_topics=max_topics, **params)
    model.fit(texts, on_progress=lambda done: progress(0.05 + 0.8 * done / len(texts), "embedding"))
    progress(0.9, "describing topics")
    outputs = []
    for topic in model.topics():
        c = topic["topic"]
        members = [rows[i] for i in range(len(rows)) if model.labels_[i] == c]
        sentiments = Counter(r.sentiment or "unanalysed" for r in members)
        analysed = len(members) - sentiments["unanalysed"]
        payload = {
            "label": topic["label"], "keywords": topic["keywords"], "size": topic["size"], "share": topic["share"],
            "negative_share": round(sentiments["negative"] / analysed, 4) if analysed else None,
            "positive_share": round(sentiments["positive"] / analysed, 4) if analysed else None,
            "quotes": [{"interaction_id": int(rows[i].id), "account_id": rows[i].account_id,
                        "occurred_at": rows[i].occurred_at.date().isoformat(), "text": texts[i][:QUOTE_CHARS]}
                       for i in topic["quote_index"]],
            "members": [[int(r.id), r.occurred_at.date().isoformat(), r.sentiment] for r in members],
        }
        outputs.append(Output(subject="topic", subject_id=c, payload=payload, score=float(topic["size"])))
    metrics = {"n_topics": model.n_topics_, "texts": len(texts), "embedder": getattr(model, "embedder_", None)}
    if hasattr(model, "silhouette_"):
        metrics["silhouette"] = model.silhouette_
    return Trained(model=model, metrics=metrics, n_rows=len(texts), outputs=outputs)


__all__ = ["MAX_TEXTS", "MIN_TEXTS", "train_topics"]
