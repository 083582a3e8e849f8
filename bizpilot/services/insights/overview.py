"""What the Insights page and `bizpilot report insights` show for a period: key numbers against the previous period
of the same length, the topics (from the stored ``topics`` model: counted in the period, with quotes), the biggest
movers, sudden spikes (stored with the model), the sentiment trend by month, competitor share of voice, product and
category performance (``performance.py``), and a written summary built only from these numbers and checked
(``summary.py``). Nothing here fits a model: topics and spikes come from the model's stored outputs
(``ModelNotReady`` while it trains).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.services.insights.competitors import brand_suggestions, competitor_mentions
from bizpilot.services.insights.performance import product_performance
from bizpilot.services.insights.period import period_bounds
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.insights.spikes import spikes_in
from bizpilot.services.insights.summary import checked_summary, summary
from bizpilot.services.models import access

SENTIMENTS = ("positive", "neutral", "negative")


def sentiment_counts(*, session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """Inbound interactions in [start, end) by month and sentiment, and the totals."""
    rows = session.execute(select(Interaction.occurred_at, Interaction.sentiment)
                           .where(Interaction.archived_at.is_(None), Interaction.direction == "inbound",
                                  Interaction.occurred_at >= start, Interaction.occurred_at < end)).all()
    months: dict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    for occurred, sentiment in rows:
        key = sentiment if sentiment in SENTIMENTS else "unanalysed"
        months[occurred.strftime("%Y-%m")][key] += 1
        total[key] += 1
    trend = []
    for month in sorted(months):
        c = months[month]
        analysed = sum(c[s] for s in SENTIMENTS)
        trend.append({"month": month, "interactions": sum(c.values()), **{s: c[s] for s in SENTIMENTS},
                      "negative_share": round(c["negative"] / analysed, 4) if analysed else None})
    analysed = sum(total[s] for s in SENTIMENTS)
    return {"interactions": sum(total.values()), "analysed": analysed,
            "negative_share": round(total["negative"] / analysed, 4) if analysed else None,
            "positive_share": round(total["positive"] / analysed, 4) if analysed else None, "trend": trend}


def topic_table(*, session: Session, prev: datetime, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The stored topics counted in the period and the previous one, with the change of their share."""
    lo, mid, hi = prev.date().isoformat(), start.date().isoformat(), end.date().isoformat()
    out = []
    rows = access.outputs(session=session, spec=TOPICS, subject="topic", order="-score")
    now_total = prev_total = 0
    for row in rows:
        p = row.payload
        now = [m for m in p["members"] if mid <= m[1] < hi]
        before = [m for m in p["members"] if lo <= m[1] < mid]
        analysed = [m for m in now if m[2] in SENTIMENTS]
        now_total += len(now)
        prev_total += len(before)
        # a topic trained before labels had a language keeps its mixed keywords
        own = (p.get("keywords_by_language") or {}).get(p.get("language") or "") or p["keywords"]
        others = {lang: text for lang, text in (p.get("keyword_labels") or {}).items()
                  if lang != p.get("language") and text != p["label"]}
        out.append({"topic": row.subject_id, "label": p["label"], "keywords": own[:6], "count": len(now),
                    "language": p.get("language"), "other_labels": others,
                    "previous": len(before), "size": p["size"],
                    "negative_share": round(sum(m[2] == "negative" for m in analysed) / len(analysed), 4)
                    if analysed else None,
                    "quotes": [q for q in p["quotes"] if mid <= q["occurred_at"] < hi] or p["quotes"][:1]})
    for t in out:
        t["share"] = round(t["count"] / now_total, 4) if now_total else 0.0
        t["previous_share"] = round(t["previous"] / prev_total, 4) if prev_total else 0.0
        t["change"] = round(t["share"] - t["previous_share"], 4)
    out.sort(key=lambda t: (-t["count"], t["topic"]))
    return out


def spike_table(*, session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """The stored spikes (topics, competitors, all messages) whose week falls in [start, end], strongest first."""
    rows = access.outputs(session=session, spec=TOPICS, subject="series")
    return spikes_in((r.payload for r in rows), start, end)


def insights(*, session: Session, start: date, end: date, with_topics: bool = True) -> dict[str, Any]:
    """Everything the page and the report show for [start, end] (see the module docstring). ``topics`` and
    ``spikes`` are None when ``with_topics`` is false (the caller reads them itself, to show the model's state)."""
    prev, lo, hi = period_bounds(start, end)
    now = sentiment_counts(session=session, start=lo, end=hi)
    before = sentiment_counts(session=session, start=prev, end=lo)
    topics = topic_table(session=session, prev=prev, start=lo, end=hi) if with_topics else None
    spikes = spike_table(session=session, start=start, end=end) if with_topics else None
    competitors = competitor_mentions(session=session, start=lo, end=hi)
    result: dict[str, Any] = {
        "from": start.isoformat(), "to": end.isoformat(),
        "previous": {"from": prev.date().isoformat(), "to": (lo - timedelta(days=1)).date().isoformat()},
        "key": {"interactions": now["interactions"], "previous_interactions": before["interactions"],
                "negative_share": now["negative_share"], "previous_negative_share": before["negative_share"],
                "positive_share": now["positive_share"], "analysed": now["analysed"],
                "competitor_mentions": competitors["mentions"], "topics": None},
        "trend": now["trend"], "topics": None, "movers": [], "competitors": competitors,
        "suggested_brands": brand_suggestions(session=session, start=lo, end=hi, limit=10),
        "performance": product_performance(session=session, start=start, end=end),
    }
    return attach_topics(result, topics, spikes)


def attach_topics(data: dict[str, Any], topics: list[dict[str, Any]] | None,
                  spikes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``data`` with its topic table and spikes (None: not available), movers, topic count and the checked
    summary set."""
    data["topics"] = topics
    data["spikes"] = spikes
    data["movers"] = movers(topics or [])
    data["key"]["topics"] = len([t for t in topics if t["count"]]) if topics is not None else None
    return checked_summary(data)


def movers(topics: list[dict[str, Any]], n: int = 3) -> list[dict[str, Any]]:
    """The topics whose share moved most between the two periods (either way), largest move first."""
    moving = [t for t in topics if t["change"] and (t["count"] or t["previous"])]
    return sorted(moving, key=lambda t: (-abs(t["change"]), t["topic"]))[:n]


__all__ = ["attach_topics", "insights", "movers", "period_bounds", "sentiment_counts", "spike_table", "summary",
           "topic_table"]
