"""What the Insights page and `bizpilot report insights` show for a period: key numbers against the previous period
of the same length, the topics (from the stored ``topics`` model: counted in the period, with quotes), the biggest
movers, the sentiment trend by month, competitor share of voice, and a written summary built only from these
numbers. Nothing here fits a model: topics come from the model's stored outputs (``ModelNotReady`` while it trains).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.errors import InvalidParameter
from bizpilot.services.insights.competitors import brand_suggestions, competitor_mentions
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.models import access

SENTIMENTS = ("positive", "neutral", "negative")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime, datetime]:
    """(previous start, start, end) as datetimes; ``end`` is inclusive (a day), the previous period as long."""
    if end < start:
        raise InvalidParameter(f"--to ({end}) is before --from ({start})", details=[{"field": "to"}])
    lo, hi = datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())
    return lo - (hi - lo), lo, hi


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
        out.append({"topic": row.subject_id, "label": p["label"], "keywords": p["keywords"][:6], "count": len(now),
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


def insights(*, session: Session, start: date, end: date, with_topics: bool = True) -> dict[str, Any]:
    """Everything the page and the report show for [start, end] (see the module docstring). ``topics`` is None
    when ``with_topics`` is false (the caller reads them itself, to show the model's state)."""
    prev, lo, hi = period_bounds(start, end)
    now = sentiment_counts(session=session, start=lo, end=hi)
    before = sentiment_counts(session=session, start=prev, end=lo)
    topics = topic_table(session=session, prev=prev, start=lo, end=hi) if with_topics else None
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
    }
    return attach_topics(result, topics)


def attach_topics(data: dict[str, Any], topics: list[dict[str, Any]] | None) -> dict[str, Any]:
    """``data`` with its topic table (None: not available), movers, topic count and summary set."""
    data["topics"] = topics
    data["movers"] = movers(topics or [])
    data["key"]["topics"] = len([t for t in topics if t["count"]]) if topics is not None else None
    data["summary"] = {lang: summary(data, lang) for lang in ("en", "zh")}
    return data


def movers(topics: list[dict[str, Any]], n: int = 3) -> list[dict[str, Any]]:
    """The topics whose share moved most between the two periods (either way), largest move first."""
    moving = [t for t in topics if t["change"] and (t["count"] or t["previous"])]
    return sorted(moving, key=lambda t: (-abs(t["change"]), t["topic"]))[:n]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def summary(data: dict[str, Any], lang: str = "en") -> list[str]:
    """Sentences stating the computed numbers of ``data`` (no number appears that is not in it)."""
    k = data["key"]
    zh = lang == "zh"
    lines = [(f"{data['from']} 至 {data['to']}：{k['interactions']} 条客户互动"
              f"（上一期 {k['previous_interactions']} 条）。"
              if zh else f"{data['from']} to {data['to']}: {k['interactions']} customer interactions "
              f"({k['previous_interactions']} in the previous period).")]
    if k["negative_share"] is not None:
        lines.append(f"负面占比 {_pct(k['negative_share'])}（上一期 {_pct(k['previous_negative_share'])}）。" if zh
                     else f"Negative share {_pct(k['negative_share'])} (previous period "
                          f"{_pct(k['previous_negative_share'])}).")
    topics = data.get("topics") or []
    if topics and topics[0]["count"]:
        t = topics[0]
        lines.append(f"最大话题“{t['label']}”：{t['count']} 条，占 {_pct(t['share'])}。" if zh
                     else f"Largest topic \"{t['label']}\": {t['count']} interactions, {_pct(t['share'])}.")
    for m in data.get("movers") or []:
        lines.append(f"话题“{m['label']}”占比从 {_pct(m['previous_share'])} 变为 {_pct(m['share'])}。" if zh
                     else f"Topic \"{m['label']}\" moved from {_pct(m['previous_share'])} to {_pct(m['share'])}.")
    comp = [c for c in data["competitors"]["competitors"] if c["mentions"]]
    if comp:
        c = comp[0]
        lines.append(f"竞品提及 {data['competitors']['mentions']} 次，{c['name']} 声量份额 "
                     f"{_pct(c['share_of_voice'])}。"
                     if zh else f"{data['competitors']['mentions']} competitor mentions; {c['name']} has "
                     f"{_pct(c['share_of_voice'])} share of voice.")
    return lines


__all__ = ["attach_topics", "insights", "movers", "period_bounds", "sentiment_counts", "summary", "topic_table"]
