"""One structured profile per account and a short narrative that states only facts from the profile.

The narrative is a deterministic template by default; with ``use_llm=True`` the model every feature writes with
(``services/llm_writer``: the workspace's endpoint when set to write, else the configured backend, unless it
failed its capability probe) rewrites the facts, and its text is kept only if every number in it appears in the
facts (else the template is used and the result says why); ``model`` says which wrote it."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Order, OrderLine, Product
from bizpilot.errors import ModelNotReady, NotFoundError
from bizpilot.services.clock import as_of as workspace_as_of
from bizpilot.services.intelligence.scores import account_repurchase, account_segment, opportunity_scores
from bizpilot.services.recommend.service import account_reorders


def _section(profile: dict[str, Any], name: str, default: Any, read: Callable[[], Any]) -> Any:
    """A section that needs a model: its value, or ``default`` with the model's state in ``profile["pending"]``
    (the page shows "training…" there and the rest of the profile)."""
    try:
        return read()
    except ModelNotReady as exc:
        profile["pending"].append({"section": name, "model": exc.model, "state": exc.state, "message": exc.message})
        return default


def _buying(session: Session, account_id: int) -> dict[str, Any]:
    """Top categories by spend, usual gap between order days and the last order (this account's lines only).

    Plain Python over the account's few lines: building DataFrames cost several times the query on every profile
    request, and the profile route is read under load."""
    rows = session.execute(
        select(Order.ordered_at, Product.category, OrderLine.quantity, OrderLine.unit_price, OrderLine.discount)
        .join(OrderLine, OrderLine.order_id == Order.id).join(Product, Product.id == OrderLine.product_id)
        .where(Order.account_id == account_id, Order.kind == "sale", OrderLine.quantity > 0)).all()
    if not rows:
        return {"top_categories": [], "purchase_cycle_days": None, "last_order": None}
    spend: dict[str, list[float]] = defaultdict(list)
    for _, category, quantity, unit_price, discount in rows:  # discount: a share of the line
        spend[category or "(uncategorised)"].append(float(quantity) * float(unit_price) * (1.0 - float(discount or 0)))
    totals = sorted(((math.fsum(v), c) for c, v in spend.items()), key=lambda t: (-t[0], t[1]))[:3]
    days = sorted({_day(r.ordered_at) for r in rows})
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    return {"top_categories": [{"category": c, "spend": round(v, 2)} for v, c in totals],
            "purchase_cycle_days": float(statistics.median(gaps)) if gaps else None,
            "last_order": str(days[-1])}


def _day(value: datetime | date | str) -> date:
    """The calendar day of an order time (a driver may hand back text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def account_profile(*, session: Session, account_id: int) -> dict[str, Any]:
    """Firmographics, RFM and segment, top categories, purchase cycle, recent sentiment, open opportunities with
    win probability, repurchase score with factors, likely reorders, risks and next actions: read from what the
    models computed at training (a section whose model is not ready names its state in ``pending``)."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"account {account_id} not found",
                            details=[{"field": "account_id", "reason": "unknown account", "value": account_id}])
    asof = workspace_as_of(session=session)
    profile: dict[str, Any] = {
        "account_id": account_id, "name": account.name, "asof": str(asof.date()), "pending": [],
        "firmographics": {"industry": account.industry, "size_band": account.size_band, "country": account.country,
                          "region": account.region, "tier": account.tier, "language": account.language},
    }
    profile["rfm"] = _section(profile, "rfm", None, lambda: account_segment(session=session, account_id=account_id))
    profile.update(_buying(session, account_id))
    since = asof - timedelta(days=90)
    moods = session.execute(select(Interaction.sentiment)
                            .where(Interaction.account_id == account_id, Interaction.occurred_at >= since)).all()
    labelled = [m for (m,) in moods if m]
    profile["recent_sentiment"] = {"messages_90d": len(moods), "negative": labelled.count("negative"),
                                   "positive": labelled.count("positive"), "neutral": labelled.count("neutral")}
    profile["repurchase"] = _section(profile, "repurchase", None,
                                     lambda: account_repurchase(session=session, account_id=account_id))
    profile["notes"] = []
    profile["open_opportunities"] = _section(profile, "open_opportunities", [],
                                             lambda: opportunity_scores(session=session, account_id=account_id))
    profile["reorders"] = _section(profile, "reorders", [], lambda: account_reorders(
        session=session, account_id=account_id, statuses=("overdue", "due", "upcoming"), order="probability",
        limit=5))
    for item in profile["reorders"]:
        item["product"] = item["name"]
    profile["risks"], profile["next_actions"] = _risks_and_actions(profile)
    return profile


def _risks_and_actions(p: dict[str, Any]) -> tuple[list[str], list[str]]:
    risks, actions = [], []
    rep, rfm, mood = p.get("repurchase"), p.get("rfm"), p["recent_sentiment"]
    if rep and rep["probability"] < 0.35:
        risks.append(f"low chance of ordering in the next {rep['horizon_days']} days "
                     f"({rep['probability']:.0%})")
        actions.append("call the buyer this week with a win-back offer")
    if rfm and rfm["segment"] in ("at_risk", "about_to_sleep", "hibernating"):
        risks.append(f"segment {rfm['segment_name']}: {rfm['segment_definition']}")
    if mood["negative"] >= 2 or (mood["negative"] and mood["negative"] >= mood["positive"]):
        risks.append(f"{mood['negative']} negative message(s) in the last 90 days")
        actions.append("review the open service issues before the next sales contact")
    if p["reorders"]:
        due = [r for r in p["reorders"] if r["due_in_days"] <= 14]
        if due:
            actions.append("propose a reorder of " + ", ".join(r["product"] for r in due[:3]))
    for o in p["open_opportunities"][:2]:
        if o["probability"] >= 0.6:
            actions.append(f"push '{o['name']}' to close ({o['probability']:.0%} win probability)")
        elif o["probability"] < 0.3:
            actions.append(f"requalify '{o['name']}' ({o['probability']:.0%} win probability)")
    if rfm and rfm["segment_action"] and not actions:
        actions.append(rfm["segment_action"])
    return risks, actions


def narrative(profile: dict[str, Any]) -> str:
    """A short English summary built only from the profile's values."""
    parts = []
    f = profile["firmographics"]
    who = ", ".join(v for v in (f.get("industry"), f.get("size_band") and f"{f['size_band']} staff",
                                f.get("country")) if v)
    parts.append(f"{profile['name']}" + (f" ({who})" if who else "") + ".")
    rfm = profile.get("rfm")
    if rfm:
        parts.append(f"Segment {rfm['segment_name']} (RFM {rfm['code']}): {rfm['frequency']} order day(s), "
                     f"total spend {rfm['monetary']:,.2f}, last order {rfm['recency_days']} days ago.")
    else:
        parts.append("No purchases yet.")
    if profile["top_categories"]:
        parts.append("Buys mostly " + ", ".join(c["category"] for c in profile["top_categories"]) + ".")
    if profile.get("purchase_cycle_days"):
        parts.append(f"Usual gap between orders: {profile['purchase_cycle_days']:.0f} days.")
    rep = profile.get("repurchase")
    if rep:
        parts.append(f"Chance of ordering in the next {rep['horizon_days']} days: {rep['probability']:.0%}.")
    if profile["open_opportunities"]:
        parts.append(f"{len(profile['open_opportunities'])} open opportunit"
                     f"{'y' if len(profile['open_opportunities']) == 1 else 'ies'}.")
    if profile["risks"]:
        parts.append("Risks: " + "; ".join(profile["risks"]) + ".")
    if profile["next_actions"]:
        parts.append("Next: " + "; ".join(profile["next_actions"]) + ".")
    return " ".join(parts)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def llm_narrative(profile: dict[str, Any], *, backend: Any = None, session: Session | None = None,
                  account_id: int | None = None) -> dict[str, Any]:
    """The LLM's rewrite of the template when it keeps to the facts; else the template, with the reason. The
    model is the one every feature writes with (``services/llm_writer``: the caller's ``backend``, else the
    workspace's endpoint when it is set to write, else the configured backend; a model that failed its capability
    probe does not write); ``model`` names who wrote the text."""
    from bizpilot.services.llm_writer import DETERMINISTIC, contact_names, deterministic_after, written_by

    template = narrative(profile)
    model = DETERMINISTIC
    try:
        from bizpilot.llm.types import ChatOptions

        if session is not None:
            from bizpilot.services.llm_writer import writing_backend

            backend = writing_backend(session=session, backend=backend, language="en")
        elif backend is None:
            raise ValueError("no workspace session to choose the writing model from")
        names = contact_names(session=session, backend=backend, account_id=account_id) if session else ()
        prompt = ("Rewrite these facts about a customer account as a short paragraph for a sales rep. Use only "
                  "these facts; add no numbers, names or claims.\n\nFacts: " + template)
        completion = backend.generate(prompt, ChatOptions(max_tokens=220, temperature=0.2, seed=7,
                                                          tag="intel-narrative-v1", names=names))
        text, model = completion.text.strip(), written_by(completion, backend)
    except Exception as exc:  # noqa: BLE001 - any backend failure means the template is used, and why
        message = getattr(exc, "message", None) or str(exc)
        return {"text": template, "source": "template", "reason": f"LLM unavailable: {message}",
                "model": deterministic_after(model)}
    allowed = set(_NUMBER.findall(template))
    unknown = [n for n in _NUMBER.findall(text) if n not in allowed]
    if not text or unknown:
        return {"text": template, "source": "template",
                "reason": f"LLM text stated numbers not in the profile: {unknown[:5]}" if unknown else "empty",
                "model": deterministic_after(model)}
    return {"text": text, "source": "llm", "reason": None, "model": model}


def account_intelligence(*, session: Session, account_id: int, use_llm: bool = False) -> dict[str, Any]:
    """Profile plus narrative (template unless ``use_llm``)."""
    profile = account_profile(session=session, account_id=account_id)
    if use_llm:
        profile["narrative"] = llm_narrative(profile, session=session, account_id=account_id)
    else:
        profile["narrative"] = {"text": narrative(profile), "source": "template", "reason": None,
                                "model": "deterministic"}
    return profile
