"""What the intelligence sees that someone should act on, as candidate tasks: one per cause, each with its reason in
words, a due date and priority from its urgency, an expected value to rank by, and a ``key`` naming the cause, so
``services/tasks.py::refresh_tasks`` opens a task once and closes it when the cause is gone.

Scores are read from what training computed (``services/models/access.py``: the ``reorder`` view, the repurchase
model's outputs, the win probabilities, the saved recommender through the model store); nothing is fitted here. A
model that is not ready makes its source skip with a note (and its open tasks stay as they are: their cause is
unknown, not gone). Alerts, hand-offs and quiet deals need no model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from bizpilot.config import get_settings
from bizpilot.domain import Interaction, Opportunity, Order, OrderLine, Product, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.conversation import HandoffTicket
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.services.intelligence.specs import CHURN, WINPROB
from bizpilot.services.models.access import model_state, outputs
from bizpilot.services.recommend.specs import RECOMMEND, REORDER
from bizpilot.services.task_context import Candidate, Context, Scan, factors_text, money, pct, purchases

REORDER_MIN_PROBABILITY = 0.3  # a due reorder less likely than this within the horizon is not worth a reminder
CHURN_THRESHOLD = 0.4  # a valuable account less likely than this to order within the horizon gets a task
CHURN_DROP = 0.2  # ... and so does one whose chance fell by this much since the model's previous run
ACTIVE_DAYS = 180  # recommendations go to accounts that ordered within this many days
REC_ACCOUNTS = 25  # at most this many accounts get product suggestions per refresh (the most valuable first)
RECS_PER_ACCOUNT = 2
OFFER_TAKE_RATE = 0.1  # share of suggested products a customer takes: the expected value of an offer
CHURN_SEEN = "tasks.churn_seen"  # the repurchase probabilities of the model's previous run (for "fell markedly")


def reorder_scan(ctx: Context) -> Scan | None:
    """Reorders due or overdue in the replenishment view that the customer has not placed since."""
    if not ctx.ready("reorder", REORDER):
        return None
    rows = outputs(session=ctx.session, spec=REORDER, subject="account_product")
    pairs = purchases(ctx)
    due = {r.item_id for r in rows if r.payload["status"] in ("due", "overdue")}
    products = {p.id: p for p in ctx.session.scalars(  # never a reminder to reorder a discontinued product
        select(Product).where(Product.active.is_(True), Product.id.in_(due)))}
    views = {(r.subject_id, r.item_id): r.payload for r in rows}
    found = []
    for r in rows:
        p = r.payload
        last_bought = pairs.get((r.subject_id, r.item_id), (None, 0.0))[0]
        if (p["status"] not in ("due", "overdue") or p["probability"] < REORDER_MIN_PROBABILITY
                or r.subject_id not in ctx.accounts() or r.item_id not in products):
            continue
        last = date.fromisoformat(p["last_purchase"])
        if last_bought is not None and last_bought.date() > last:
            continue  # ordered since the view was computed: nothing to remind
        product = products[r.item_id]
        price = pairs.get((r.subject_id, r.item_id), (None, 0.0))[1] or float(product.price or 0.0)
        found.append(Candidate(
            source="reorder", key=f"reorder:{r.subject_id}:{r.item_id}", account_id=r.subject_id,
            product_id=r.item_id, title=f"Reorder due: {product.name} for {ctx.name(r.subject_id)}",
            reason=(f"Usually orders {product.name} every ~{round(p['cycle_days'])} days; last order "
                    f"{p['days_since_last']} days ago; {pct(p['probability'])} likely within {p['horizon_days']} "
                    f"days, about {p['expected_units']:g} units"),
            due_date=max(ctx.today, date.fromisoformat(p["due_date"])),
            priority="high" if p["status"] == "overdue" else "normal",
            expected_value=round(p["expected_units"] * price * p["probability"], 2),
            owner_id=ctx.owner(r.subject_id), since=datetime.combine(last, datetime.min.time())))

    def gone(task: Task) -> str:
        view = views.get((task.account_id, task.product_id))
        bought = pairs.get((task.account_id or 0, task.product_id or 0), (None, 0.0))[0]
        if bought is not None and (view is None or bought.date() > date.fromisoformat(view["last_purchase"])
                                   or view["status"] == "upcoming"):
            return f"ordered on {bought.date().isoformat()}"
        if view is not None and view["status"] == "lapsed":
            return "no reorder expected any more (the product lapsed)"
        if view is not None and view["probability"] < REORDER_MIN_PROBABILITY:
            return f"a reorder is now unlikely ({pct(view['probability'])} within {view['horizon_days']} days)"
        return "no longer due"

    return Scan(found, gone)


def _seen_probabilities(ctx: Context, run_id: int, now: dict[int, float]) -> dict[int, float]:
    """The repurchase probabilities of the churn model's previous run (kept by the refresh that first saw the
    current run, since a run replaces its outputs)."""
    row = ctx.session.get(WorkspaceSetting, CHURN_SEEN)
    seen = dict(row.value) if row is not None else {}
    if seen.get("run_id") != run_id:
        seen = {"run_id": run_id, "previous": seen.get("current", {}),
                "current": {str(a): p for a, p in now.items()}}
        if row is None:
            ctx.session.add(WorkspaceSetting(key=CHURN_SEEN, value=seen))
        else:
            row.value = seen
        ctx.session.flush()
    return {int(a): float(p) for a, p in seen.get("previous", {}).items()}


def _ordered_since(ctx: Context, run: Any) -> dict[int, datetime]:
    """Accounts that ordered after the model scored them: an order dated after its cut-off, or one that reached the
    workspace after the run began (an order placed "today" and imported later)."""
    return dict(ctx.session.execute(
        select(Order.account_id, func.max(Order.ordered_at)).where(
            Order.account_id.is_not(None), Order.kind == "sale",
            or_(Order.ordered_at >= run.as_of, Order.created_at > run.started_at) if run.as_of is not None
            else Order.created_at > run.started_at).group_by(Order.account_id)).all())


def churn_scan(ctx: Context) -> Scan | None:
    """Valuable accounts whose repurchase chance is low, or fell markedly since the model's previous run."""
    if not ctx.ready("churn", CHURN):
        return None
    run = model_state(session=ctx.session, spec=CHURN).finished
    rows = {r.subject_id: r for r in outputs(session=ctx.session, spec=CHURN, subject="account")}
    now = {a: float(r.payload["probability"]) for a, r in rows.items()}
    before = _seen_probabilities(ctx, run.id if run else 0, now)
    ordered = _ordered_since(ctx, run) if run is not None else {}
    last = ctx.last_order()
    found = []
    for account_id, r in rows.items():
        p, was = now[account_id], before.get(account_id)
        dropped = was is not None and was - p >= CHURN_DROP
        if account_id not in ctx.valuable() or not (p < CHURN_THRESHOLD or dropped):
            continue
        if account_id in ordered:
            continue  # ordered after the model scored it
        pay = r.payload
        change = f" (was {pct(was)} at the previous training)" if was is not None and dropped else ""
        factors = factors_text(pay.get("negative") or [])
        found.append(Candidate(
            source="churn", key=f"churn:{account_id}", account_id=account_id,
            title=f"Repurchase chance dropped: {ctx.name(account_id)}",
            reason=(f"Chance of ordering within {pay['horizon_days']} days is {pct(p)}{change}; spend "
                    f"{money(pay.get('monetary'))}" + (f"; pulling it down: {factors}" if factors else "")),
            due_date=ctx.today + timedelta(days=3), priority="high" if p < CHURN_THRESHOLD / 2 or dropped else "normal",
            expected_value=round(float(r.score or 0.0), 2), owner_id=ctx.owner(account_id),
            since=last.get(account_id)))

    def gone(task: Task) -> str:
        if task.account_id in ordered:
            return f"ordered on {ordered[task.account_id].date().isoformat()}"
        if task.account_id in now:
            return f"repurchase chance recovered to {pct(now[task.account_id])}"
        return "no longer scored"

    return Scan(found, gone)


def alert_scan(ctx: Context) -> Scan:
    """Accounts with a dissatisfaction alert (negative or complaint messages in the alert window)."""
    from bizpilot.services.signals.analysis import ALERT_DAYS, dissatisfaction_alerts

    found = []
    for a in dissatisfaction_alerts(session=ctx.session, limit=500, now=ctx.as_of):
        if a.account_id not in ctx.accounts():
            continue
        latest = f"; latest: “{' '.join(a.last_text.split())[:160]}”" if a.last_text else ""
        found.append(Candidate(
            source="alert", key=f"alert:{a.account_id}", account_id=a.account_id,
            title=f"Unhappy customer: {a.account_name}",
            reason=(f"{a.negative} negative message(s) and {a.complaints} complaint(s) in the last {ALERT_DAYS} "
                    f"days ({a.severity} severity){latest}"),
            due_date=ctx.today, priority="high" if a.severity == "high" else "normal",
            expected_value=round(ctx.at_risk().get(a.account_id, 0.0), 2), owner_id=ctx.owner(a.account_id),
            since=a.last_at))
    return Scan(found, lambda task: f"no dissatisfied messages in the last {ALERT_DAYS} days any more")


def handoff_scan(ctx: Context) -> Scan:
    """Conversations the assistant handed to a person that nobody has closed yet."""
    tickets = list(ctx.session.scalars(select(HandoffTicket).where(HandoffTicket.status != "closed")))
    found = []
    for t in tickets:
        who = ctx.name(t.account_id) if t.account_id else f"conversation {t.conversation_id}"
        claimed = f"; claimed by {t.assignee}" if t.status == "claimed" and t.assignee else ""
        found.append(Candidate(
            source="handoff", key=f"handoff:{t.id}", account_id=t.account_id if t.account_id in ctx.accounts()
            else None, ticket_id=t.id, title=f"Hand-off waiting: {who}",
            reason=f"The assistant handed this conversation to a person ({t.reason}){claimed}: "
                   f"{' '.join((t.summary or '').split())[:240]}",
            due_date=ctx.today, priority="high",
            expected_value=round(ctx.at_risk().get(t.account_id, 0.0), 2) if t.account_id else 0.0,
            owner_id=ctx.owner(t.account_id), since=t.created_at))

    def gone(task: Task) -> str:
        ticket = ctx.session.get(HandoffTicket, task.ticket_id) if task.ticket_id else None
        return "the hand-off ticket was closed" if ticket is not None else "the hand-off ticket is gone"

    return Scan(found, gone)


def _win_rates(ctx: Context) -> tuple[dict[int, dict[str, Any]], float]:
    """Win probabilities of open deals (when the model is ready) and the workspace's historical win rate."""
    won, closed = ctx.session.execute(select(func.count().filter(Opportunity.outcome == "won"),
                                             func.count().filter(Opportunity.outcome.in_(("won", "lost"))))).one()
    rate = won / closed if closed else 0.5
    if model_state(session=ctx.session, spec=WINPROB).state != "ready":
        return {}, rate
    return {r.subject_id: r.payload for r in outputs(session=ctx.session, spec=WINPROB, subject="opportunity")}, rate


def stale_deal_scan(ctx: Context) -> Scan:
    """Open deals with no call, e-mail, meeting or change for ``Settings.stale_deal_days`` days."""
    days = get_settings().stale_deal_days
    deals = list(ctx.session.scalars(select(Opportunity).where(Opportunity.outcome == "open",
                                                               Opportunity.archived_at.is_(None))))
    talked = dict(ctx.session.execute(select(Interaction.account_id, func.max(Interaction.occurred_at)).where(
        Interaction.account_id.is_not(None), Interaction.archived_at.is_(None)).group_by(Interaction.account_id)).all())
    edited = dict(ctx.session.execute(select(AuditEntry.record_id, func.max(AuditEntry.at)).where(  # by people
        AuditEntry.entity == "opportunities", AuditEntry.channel.in_(("page", "api")))
        .group_by(AuditEntry.record_id)).all())
    scores, rate = _win_rates(ctx)
    activity: dict[int, datetime] = {}
    found = []
    for o in deals:
        stamps = [s for s in (o.created_at, talked.get(o.account_id), edited.get(o.id)) if s is not None]
        activity[o.id] = max(stamps)
        quiet = (ctx.today - activity[o.id].date()).days
        if quiet < days:
            continue
        score = scores.get(o.id)
        p = float(score["probability"]) if score else rate
        how = "win probability" if score else "historical win rate"
        factor = factors_text((score or {}).get("negative") or [])
        found.append(Candidate(
            source="stale_deal", key=f"stale_deal:{o.id}", account_id=o.account_id, opportunity_id=o.id,
            title=f"Deal gone quiet: {o.name}",
            reason=(f"No call, e-mail, meeting or change for {quiet} days (since {activity[o.id].date().isoformat()}); "
                    f"stage {o.stage}, {money(o.amount, o.currency)}, {how} {pct(p)}"
                    + (f"; against it: {factor}" if factor else "")),
            due_date=ctx.today + timedelta(days=2), priority="high" if quiet >= 2 * days else "normal",
            expected_value=round(float(o.amount or 0.0) * p, 2), owner_id=o.owner_id or ctx.owner(o.account_id),
            since=activity[o.id]))

    def gone(task: Task) -> str:
        deal = ctx.session.get(Opportunity, task.opportunity_id) if task.opportunity_id else None
        if deal is None or deal.archived_at is not None:
            return "the deal was removed"
        if deal.outcome != "open":
            return f"the deal was {deal.outcome}"
        when = activity.get(deal.id)
        return f"activity on {when.date().isoformat()}" if when else "activity since"

    return Scan(found, gone)


def recommendation_scan(ctx: Context) -> Scan | None:
    """The top products worth offering to active, valuable accounts, with the recommender's reason."""
    from bizpilot.services.recommend.service import recommend_for_account

    if not ctx.ready("recommendation", RECOMMEND, REORDER):
        return None
    last = ctx.last_order()
    since = ctx.as_of - timedelta(days=ACTIVE_DAYS)
    chosen = sorted((a for a in ctx.valuable() if a in last and since <= last[a] < ctx.as_of),
                    key=lambda a: (-ctx.spend().get(a, 0.0), a))[:REC_ACCOUNTS]
    units = dict(ctx.session.execute(select(OrderLine.product_id, func.avg(OrderLine.quantity)).where(
        OrderLine.line_type == "sale", OrderLine.quantity > 0).group_by(OrderLine.product_id)).all())
    found = []
    for account_id in chosen:
        recs = recommend_for_account(session=ctx.session, account=account_id, n=RECS_PER_ACCOUNT)
        if recs["fallback"]:
            continue
        for item in recs["items"]:
            if item["price"] is None:
                continue
            qty = float(units.get(item["product_id"]) or 1.0)
            found.append(Candidate(
                source="recommendation", key=f"recommendation:{account_id}:{item['product_id']}",
                account_id=account_id, product_id=item["product_id"],
                title=f"Offer {item['name']} to {ctx.name(account_id)}",
                reason=f"{item['reason']}; list price {money(item['price'], item['currency'])}",
                due_date=ctx.today + timedelta(days=7), priority="low",
                expected_value=round(float(item["price"]) * qty * OFFER_TAKE_RATE, 2),
                owner_id=ctx.owner(account_id)))

    def gone(task: Task) -> str:
        bought = purchases(ctx).get((task.account_id or 0, task.product_id or 0))
        if bought is not None:
            return f"bought it on {bought[0].date().isoformat()}"
        return "no longer among the top recommendations"

    return Scan(found, gone)


SCANS: dict[str, Callable[[Context], Scan | None]] = {
    "reorder": reorder_scan, "churn": churn_scan, "alert": alert_scan, "handoff": handoff_scan,
    "stale_deal": stale_deal_scan, "recommendation": recommendation_scan}
AUTOMATIC = tuple(SCANS)

__all__ = ["AUTOMATIC", "CHURN_SEEN", "SCANS"]
