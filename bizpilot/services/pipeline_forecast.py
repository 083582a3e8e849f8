"""The weighted pipeline forecast: open deals' amount x win probability, by expected close month or by owner.

The probability is the winprob model's score, or the deal's stage probability when the model has none for it
(each row counts which). A deal without an expected close date is expected ``created_at`` + the workspace's median
days from creation to close of its won deals (30 days while there are none), and each row says how many of its
dates were set and how many estimated; ``estimate`` says which rule was used.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity
from bizpilot.errors import ValidationFailed
from bizpilot.services.auth import Principal
from bizpilot.services.clock import workspace_today
from bizpilot.services.pipeline import deal_owners, deals, owner_condition, user_names, weighting, win_scores
from bizpilot.services.pipeline_stages import get_stages

DEFAULT_CLOSE_DAYS = 30
ForecastBy = Literal["month", "owner"]


def close_estimate(*, session: Session) -> dict[str, Any]:
    """How long deals take to close here: the median days from creation to close of the won deals (``basis``
    ``won_median``), or ``DEFAULT_CLOSE_DAYS`` (``default``) when no won deal has both dates."""
    spans = [(closed - created).days for created, closed in session.execute(
        select(Opportunity.created_at, Opportunity.closed_at).where(
            Opportunity.outcome == "won", Opportunity.closed_at.is_not(None), Opportunity.archived_at.is_(None)))
        if closed >= created]
    if not spans:
        return {"days": DEFAULT_CLOSE_DAYS, "basis": "default", "won_deals": 0}
    return {"days": max(1, round(statistics.median(spans))), "basis": "won_median", "won_deals": len(spans)}


def expected_close(o: Opportunity, estimate: dict[str, Any]) -> tuple[date, bool]:
    """The deal's expected close date and whether it was set (False: estimated from ``estimate``)."""
    if o.expected_close is not None:
        return o.expected_close, True
    return (o.created_at + timedelta(days=int(estimate["days"]))).date(), False


def _empty(key: str, label: str | None) -> dict[str, Any]:
    return {"key": key, "label": label, "count": 0, "amount": 0.0, "weighted": 0.0, "model_scored": 0,
            "stage_weighted": 0, "unweighted": 0, "dates_set": 0, "dates_estimated": 0}


def _add(row: dict[str, Any], amount: float | None, probability: float | None, basis: str, date_set: bool) -> None:
    row["count"] += 1
    row["amount"] = round(row["amount"] + float(amount or 0), 2)
    row["weighted"] = round(row["weighted"] + float(amount or 0) * float(probability or 0), 2)
    row[{"model": "model_scored", "stage": "stage_weighted"}.get(basis, "unweighted")] += 1
    row["dates_set" if date_set else "dates_estimated"] += 1


def forecast(*, session: Session, by: ForecastBy = "month", principal: Principal | None = None,
             owner: str | int | None = None) -> dict[str, Any]:
    """Weighted forecast rows by expected close month (``YYYY-MM``, oldest first; ``past``: before this month,
    i.e. overdue) or by owner (biggest weighted first; a deal nobody is assigned to counts for its account's
    owner, then for the owner an import named; ``label`` None: nobody), with their total."""
    if by not in ("month", "owner"):
        raise ValidationFailed(f"forecast by month or owner, not {by!r}",
                               details=[{"field": "by", "reason": "month or owner", "value": by}])
    stages = {s.key: s for s in get_stages(session=session) if s.kind == "open"}
    rows_in = deals(session=session, condition=owner_condition(session=session, owner=owner, principal=principal))
    scores, model = win_scores(session=session)
    estimate = close_estimate(session=session)
    owners = deal_owners(session=session, deals=rows_in)
    users = user_names(session=session, ids=owners.values())
    this_month = workspace_today(session=session).strftime("%Y-%m")
    rows: dict[str, dict[str, Any]] = {}
    total = _empty("total", None)
    for o in rows_in:
        when, date_set = expected_close(o, estimate)
        win = weighting(o, stages.get(o.stage), scores)
        if by == "month":
            key = label = when.strftime("%Y-%m")
        else:
            owner_id = owners.get(o.id)
            label = users.get(owner_id) if owner_id is not None else o.owner
            key = f"user:{owner_id}" if owner_id is not None else (f"name:{label}" if label else "none")
        row = rows.setdefault(key, _empty(key, label))
        _add(row, o.amount, win["probability"], win["basis"], date_set)
        _add(total, o.amount, win["probability"], win["basis"], date_set)
    if by == "month":
        ordered = [{**rows[k], "past": k < this_month} for k in sorted(rows)]
    else:
        ordered = sorted(rows.values(), key=lambda r: (-r["weighted"], -r["amount"], str(r["label"] or "~")))
    return {"by": by, "rows": ordered, "total": total, "estimate": estimate, "model": model,
            "this_month": this_month, "currencies": sorted({o.currency for o in rows_in if o.currency})}


__all__ = ["DEFAULT_CLOSE_DAYS", "ForecastBy", "close_estimate", "expected_close", "forecast"]
