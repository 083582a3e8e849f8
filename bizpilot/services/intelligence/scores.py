"""Scores of the workspace as training computed them: segments, repurchase propensity with factors, win probability
of open opportunities with factors, the valuable accounts at risk. Every score carries its factors (or its numbers)
and the method that produced it, so a fallback is visible; nothing here fits or scores a model on the request."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Opportunity
from bizpilot.errors import NotFoundError
from bizpilot.ml.segment import SEGMENT_BY_KEY, SEGMENTS
from bizpilot.services.intelligence.specs import CHURN, WINPROB
from bizpilot.services.intelligence.specs import SEGMENTS as SEGMENTS_MODEL
from bizpilot.services.models.access import outputs, require_ready


def segment_definitions(lang: str = "en") -> list[dict[str, Any]]:
    """Every named segment with its rule and suggested action (shown next to the segment)."""
    return [{"key": s.key, "name": s.name_zh if lang == "zh" else s.name, "definition": s.definition,
             "action": s.action} for s in SEGMENTS]


def segment_summary(*, session: Session, lang: str = "en") -> list[dict[str, Any]]:
    """Each segment's definition with its number of accounts and their revenue (from the latest training)."""
    run = require_ready(session=session, spec=SEGMENTS_MODEL)
    counts = run.metrics.get("segments", {})
    revenue = run.metrics.get("revenue", {})
    return [{**d, "accounts": int(counts.get(d["key"], 0)), "revenue": float(revenue.get(d["key"], 0.0))}
            for d in segment_definitions(lang)]


def segment_accounts(*, session: Session, key: str, lang: str = "en", limit: int | None = 50,
                     offset: int = 0) -> dict[str, Any]:
    """The accounts of one named segment (most valuable first) with their RFM values: the list a team works
    through for the segment's action."""
    segment = SEGMENT_BY_KEY.get(key)
    if segment is None:
        raise NotFoundError(f"unknown segment '{key}'; known: {', '.join(SEGMENT_BY_KEY)}",
                            details=[{"field": "key", "reason": "unknown segment", "value": key}])
    members = [r for r in outputs(session=session, spec=SEGMENTS_MODEL, subject="account", order="-score")
               if r.payload.get("segment") == key]
    page = members[offset:offset + limit if limit is not None else None]
    accounts = {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_([r.subject_id for r in page])))}
    name = segment.name_zh if lang == "zh" else segment.name
    items = []
    for r in page:
        a = accounts.get(r.subject_id)
        items.append({"account_id": r.subject_id, "external_id": a.external_id if a else None,
                      "name": a.name if a else f"#{r.subject_id}", "industry": a.industry if a else None,
                      "country": a.country if a else None, "owner_id": a.owner_id if a else None,
                      "segment": key, "segment_name": name, "rfm": r.payload["rfm"],
                      "recency_days": r.payload["recency_days"], "frequency": r.payload["frequency"],
                      "monetary": r.payload["monetary"]})
    return {"segment": {"key": key, "name": name, "definition": segment.definition, "action": segment.action},
            "total": len(members), "limit": limit, "offset": offset, "items": items}


def account_segment(*, session: Session, account_id: int) -> dict[str, Any] | None:
    """The account's RFM values and segment with its definition and action (None: no purchases)."""
    rows = outputs(session=session, spec=SEGMENTS_MODEL, subject="account", subject_id=account_id)
    if not rows:
        return None
    r = rows[0].payload
    s = SEGMENT_BY_KEY.get(r["segment"])
    return {"recency_days": r["recency_days"], "frequency": r["frequency"], "monetary": r["monetary"],
            "r": r["r"], "f": r["f"], "m": r["m"], "code": r["rfm"], "segment": r["segment"],
            "segment_name": s.name if s else r["segment"], "segment_definition": s.definition if s else "",
            "segment_action": s.action if s else ""}


def account_repurchase(*, session: Session, account_id: int) -> dict[str, Any] | None:
    """The account's repurchase probability with its factors and method (None: no purchases)."""
    rows = outputs(session=session, spec=CHURN, subject="account", subject_id=account_id)
    if not rows:
        return None
    p = rows[0].payload
    return {"probability": p["probability"], "horizon_days": p["horizon_days"], "positive": p["positive"],
            "negative": p["negative"], "method": p["method"]}


def churn_scores(*, session: Session) -> pd.DataFrame:
    """Every account's repurchase probability, factors and method (index: account id as text)."""
    rows = outputs(session=session, spec=CHURN, subject="account")
    frame = pd.DataFrame([{"account": str(r.subject_id), **r.payload} for r in rows])
    return frame.set_index("account") if not frame.empty else frame


def opportunity_scores(*, session: Session, account_id: int | None = None) -> list[dict[str, Any]]:
    """Win probability of open opportunities (of one account) with top positive/negative factors, joined with the
    opportunity's current fields."""
    # An opportunity's output carries its account as ``item_id``: one account's rows are selected in SQL.
    rows = outputs(session=session, spec=WINPROB, subject="opportunity", order="-score", item_id=account_id)
    if not rows:
        return []
    opps = {o.id: o for o in session.scalars(select(Opportunity).where(
        Opportunity.id.in_([r.subject_id for r in rows])))}
    out = []
    for r in rows:
        o = opps.get(r.subject_id)
        if o is None or o.outcome != "open":  # closed or deleted since training
            continue
        out.append({"id": o.id, "account_id": o.account_id, "name": o.name, "stage": o.stage, "amount": o.amount,
                    "outcome": o.outcome, **r.payload})
    return out


def at_risk_accounts(*, session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """Valuable accounts least likely to buy again soon (highest (1 - repurchase probability) x spend)."""
    rows = outputs(session=session, spec=CHURN, subject="account", order="-score", limit=limit)
    if not rows:
        return []
    ids = [r.subject_id for r in rows]
    names = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all())
    segs = {r.subject_id: r.payload["segment"]
            for r in outputs(session=session, spec=SEGMENTS_MODEL, subject="account", subject_ids=ids)}
    out = []
    for r in rows:
        seg = segs.get(r.subject_id)
        out.append({"account_id": r.subject_id, "name": names.get(r.subject_id, f"#{r.subject_id}"),
                    "probability": r.payload["probability"], "segment": seg,
                    "segment_name": SEGMENT_BY_KEY[seg].name if seg in SEGMENT_BY_KEY else seg,
                    "monetary": r.payload["monetary"], "risk_value": round(float(r.score or 0.0), 2),
                    "negative": r.payload["negative"], "positive": r.payload["positive"]})
    return out


CLUSTER_FEATURES = ("recency_days", "orders_365d", "spend_365d", "avg_order_value", "n_products", "tenure_days")


def behaviour_clusters(*, session: Session, n_clusters: int = 5) -> list[dict[str, Any]]:
    """Optional data-driven view beside the rule-based segments, computed when asked (an analyst's tool, not a
    page): K-means on log behaviour features; each cluster with its size and centre in the features' own units."""
    from bizpilot.ml.scoring.features import account_features
    from bizpilot.ml.segment import BehaviourClusters
    from bizpilot.services.clock import as_of
    from bizpilot.services.intelligence.training import history

    when = as_of(session=session)
    tx = history(session=session, as_of=when)
    if tx.empty:
        return []
    x = account_features(tx, pd.Timestamp(when))[list(CLUSTER_FEATURES)]
    model = BehaviourClusters(n_clusters=n_clusters).fit(x)
    labels = model.predict(x)
    return [{"cluster": i, "accounts": int((labels == i).sum()), "centre": centre}
            for i, centre in enumerate(model.describe())]


__all__ = ["account_repurchase", "account_segment", "at_risk_accounts", "behaviour_clusters", "churn_scores",
           "opportunity_scores", "segment_accounts", "segment_definitions", "segment_summary"]
