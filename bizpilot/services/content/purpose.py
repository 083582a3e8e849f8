"""Why this message, now: the purpose of a sales e-mail, follow-up or call script, chosen from the account's data
(or named by the user), with the facts that purpose states.

Signals come from what training stored (``services/models/access.py``: the reorder model's replenishment cycles,
the recommender, the repurchase model); a model that is not ready is skipped here (nothing is trained or queued
by a generation), so the choice falls to the next purpose the data supports. The facts are added to the bundle
with their own ids (``reorder.*``, ``recommend.N.*``, ``opportunity.1.next_step``, ``recent.*``, ``new.*``,
``invoice.*``) so the fact check backs every sentence that states them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.opportunity import Opportunity
from bizpilot.domain.order import Order, OrderLine
from bizpilot.domain.product import Product
from bizpilot.errors import BizpilotError, ValidationFailed
from bizpilot.llm.injection import looks_like_instruction
from bizpilot.services.content.facts import Fact, FactBundle, fmt_number
from bizpilot.services.content.glossary import category_zh, term_zh

PURPOSES = ("auto", "reorder_reminder", "cross_sell", "win_back", "quote_follow_up", "thank_you", "new_product",
            "payment_reminder", "check_in")
PURPOSE_KINDS = frozenset({"sales_email", "follow_up", "call_script"})
# The order "auto" tries them in: an overdue invoice first (money already owed is the most pressing reason to
# write, and every other purpose asks the customer to order or commit more, which reads badly while a bill is
# unpaid); then a fresh order is thanked, an open deal chased, a due reorder reminded, a fading customer won back;
# otherwise an offer (a recommendation, then a new product), else a plain check-in.
AUTO_ORDER = ("payment_reminder", "thank_you", "quote_follow_up", "reorder_reminder", "win_back", "cross_sell",
              "new_product")
RECENT_ORDER_DAYS = 14
WIN_BACK_BELOW = 0.35
NEW_PRODUCT_DAYS = 120
RECOMMENDATIONS = 2


@dataclass
class Purpose:
    name: str
    reason: str
    facts: list[Fact] = field(default_factory=list)
    requested: str = "auto"
    details: dict[str, Any] = field(default_factory=dict)  # e.g. why each product is recommended (reason kinds)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "requested": self.requested,
                "fact_ids": [f.id for f in self.facts], "details": self.details}


def validate_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValidationFailed(f"unknown purpose {purpose!r}; choose one of {', '.join(PURPOSES)}",
                               details=[{"field": "purpose", "reason": "unknown purpose", "value": purpose}])


def _ready(session: Session, spec: Any) -> bool:
    from bizpilot.services.models.access import model_state

    state = model_state(session=session, spec=spec)
    return state.state == "ready" and state.finished is not None


def _today(session: Session) -> Any:
    from bizpilot.services.clock import workspace_today

    return workspace_today(session=session)


def _thank_you(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    last = session.scalar(select(Order).where(Order.account_id == account_id, Order.kind == "sale")
                          .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(1))
    if last is None:
        return None
    days = (_today(session) - last.ordered_at.date()).days
    if days > RECENT_ORDER_DAYS:
        return None
    lines = session.execute(select(Product.name, OrderLine.quantity).join(OrderLine, OrderLine.product_id == Product.id)
                            .where(OrderLine.order_id == last.id, OrderLine.line_type == "sale")
                            .order_by(OrderLine.quantity.desc(), Product.id).limit(2)).all()
    day = last.ordered_at.date().isoformat()
    facts = [Fact("recent.date", "date", day, day)]
    for i, (name, qty) in enumerate(lines, start=1):
        facts += [Fact(f"recent.{i}.name", "name", name, name),
                  Fact(f"recent.{i}.qty", "quantity", float(qty or 0), fmt_number(qty))]
    return Purpose("thank_you", f"the last order was {days} day(s) ago ({day})", facts)


def _quote(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    if not bundle.has("opportunity.1.name"):
        return None
    opp = session.scalar(select(Opportunity).where(Opportunity.account_id == account_id,
                                                   Opportunity.name == bundle.get("opportunity.1.name").value)
                         .limit(1))
    facts = []
    if opp is not None and opp.next_step and not looks_like_instruction(opp.next_step):
        facts.append(Fact("opportunity.1.next_step", "text", opp.next_step, opp.next_step, term_zh(opp.next_step)))
    stage = bundle.get("opportunity.1.stage")
    return Purpose("quote_follow_up", f"open opportunity at the {stage.value if stage else 'open'} stage", facts)


def _reorder(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    from bizpilot.services.recommend.service import DUE_STATUSES, account_reorders
    from bizpilot.services.recommend.specs import REORDER

    if not _ready(session, REORDER):
        return None
    items = [i for i in account_reorders(session=session, account_id=account_id, statuses=DUE_STATUSES)
             if i.get("status") in ("overdue", "due")]
    if not items:
        return None
    item = items[0]
    cycle, since = int(round(item["cycle_days"])), int(round(item["days_since_last"]))
    facts = [Fact("reorder.name", "name", item["name"], item["name"]),
             Fact("reorder.cycle", "count", cycle, str(cycle)), Fact("reorder.since", "count", since, str(since))]
    if item.get("sku"):
        facts.append(Fact("reorder.sku", "sku", item["sku"], item["sku"]))
    return Purpose("reorder_reminder", f"{item['name']} is {item['status']} (every ~{cycle} days, last {since} days "
                                       "ago)", facts)


def _win_back(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    from bizpilot.services.intelligence.scores import account_repurchase
    from bizpilot.services.intelligence.specs import CHURN

    if not _ready(session, CHURN):
        return None
    rep = account_repurchase(session=session, account_id=account_id)
    if rep is None or rep["probability"] >= WIN_BACK_BELOW or not bundle.has("order.last.date"):
        return None
    return Purpose("win_back", f"repurchase probability {rep['probability']:.0%} over {rep['horizon_days']} days",
                   [])


def _recommendations(session: Session, account_id: int, lang: str, new_only: bool) -> list[dict[str, Any]]:
    from bizpilot.services.recommend.service import recommend_for_account
    from bizpilot.services.recommend.specs import RECOMMEND, REORDER

    if not (_ready(session, RECOMMEND) and _ready(session, REORDER)):
        return []
    try:
        items = recommend_for_account(session=session, account=account_id, n=8, lang=lang)["items"]
    except BizpilotError:
        return []
    return [i for i in items if i["new_product"] or not new_only]


def _offer_facts(items: list[dict[str, Any]], prefix: str) -> list[Fact]:
    facts = []
    for n, item in enumerate(items, start=1):
        base = f"{prefix}.{n}"
        facts += [Fact(f"{base}.name", "name", item["name"], item["name"]),
                  Fact(f"{base}.sku", "sku", item["sku"], item["sku"])]
        if item.get("price") is not None:
            cur = (item.get("currency") or "").upper() or None
            facts.append(Fact(f"{base}.price", "price", float(item["price"]),
                              f"{cur + ' ' if cur else ''}{item['price']:.2f}",
                              f"{item['price']:.2f}{' ' + cur if cur else ''}", currency=cur))
        if item.get("category"):
            facts.append(Fact(f"{base}.category", "text", item["category"], item["category"],
                              category_zh(item["category"])))
    return facts


def _cross_sell(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    items = _recommendations(session, account_id, "en", new_only=False)[:RECOMMENDATIONS]
    if not items:
        return None
    why = "; ".join(f"{i['name']}: {i['reason']}" for i in items)
    return Purpose("cross_sell", f"recommended: {why}", _offer_facts(items, "recommend"),
                   details={"reason_kinds": [i.get("reason_kind") or "popular" for i in items]})


def _new_product(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    items = _recommendations(session, account_id, "en", new_only=True)[:1]
    if not items:  # the newest active product of a category the account buys
        bought = select(OrderLine.product_id).join(Order, Order.id == OrderLine.order_id).where(
            Order.account_id == account_id)
        cats = select(Product.category).where(Product.id.in_(bought))
        newest = session.scalar(select(Product).where(Product.active.is_(True), Product.category.in_(cats),
                                                      Product.id.not_in(bought), Product.price.is_not(None))
                                .order_by(Product.created_at.desc(), Product.id.desc()).limit(1))
        if newest is None:
            return None
        if (_today(session) - newest.created_at.date()) > timedelta(days=NEW_PRODUCT_DAYS):
            return None
        items = [{"name": newest.name, "sku": newest.sku, "price": newest.price, "currency": newest.currency,
                  "category": newest.category}]
    return Purpose("new_product", f"new in the catalogue: {items[0]['name']}", _offer_facts(items, "new"))


def _money(fact_id: str, amount: float, currency: str | None) -> Fact:
    cur = (currency or "").upper() or None
    return Fact(fact_id, "amount", float(amount), f"{cur + ' ' if cur else ''}{amount:.2f}",
                f"{amount:.2f}{' ' + cur if cur else ''}", currency=cur)


def _payment(session: Session, account_id: int, bundle: FactBundle) -> Purpose | None:
    """The most overdue open invoice (its number, amount due, due date, days overdue, how to pay when the data
    says), and how many others are overdue when there are several."""
    from bizpilot.services.invoices import overdue_invoices

    found = overdue_invoices(session=session, account_id=account_id, today=_today(session))
    if not found:
        return None
    first = found[0]
    inv = first.invoice
    due, issued = inv.due_at.isoformat(), inv.issued_at.isoformat()
    facts = [Fact("invoice.number", "text", inv.number, inv.number),
             _money("invoice.amount_due", first.amount_due, inv.currency),
             Fact("invoice.due_date", "date", due, due), Fact("invoice.issued_date", "date", issued, issued),
             Fact("invoice.days_overdue", "count", first.days_overdue, str(first.days_overdue))]
    if inv.currency:
        facts.append(Fact("invoice.currency", "text", inv.currency.upper(), inv.currency.upper()))
    how = (inv.payment_instructions or "").strip().rstrip("。.;；").strip()
    if how and not looks_like_instruction(how):  # imported text that addresses the model is not a fact
        facts.append(Fact("invoice.payment", "text", how, how))
    currencies = {(f.invoice.currency or "").upper() for f in found}
    if len(found) > 1 and len(currencies) == 1:
        facts += [Fact("invoice.overdue_count", "count", len(found), str(len(found))),
                  _money("invoice.overdue_total", round(sum(f.amount_due for f in found), 2), inv.currency)]
    return Purpose("payment_reminder", f"invoice {inv.number} is {first.days_overdue} day(s) overdue "
                                       f"({first.amount_due:.2f} {inv.currency or ''} due {due}; "
                                       f"{len(found)} overdue in all)", facts,
                   details={"invoice_id": inv.id, "overdue_invoices": len(found)})


FINDERS = {"payment_reminder": _payment, "thank_you": _thank_you, "quote_follow_up": _quote,
           "reorder_reminder": _reorder, "win_back": _win_back,
           "cross_sell": _cross_sell, "new_product": _new_product}


def choose_purpose(*, session: Session, bundle: FactBundle, purpose: str = "auto") -> Purpose:
    """The purpose asked for (its facts read; a purpose the account's data cannot support is refused with the
    reason), or with ``auto`` the first of ``AUTO_ORDER`` the data supports, else a check-in."""
    validate_purpose(purpose)
    if bundle.account_id is None:
        raise ValidationFailed("a purpose needs an account", details=[{"field": "account_id", "reason": "required"}])
    if purpose == "check_in":
        return Purpose("check_in", "asked for a check-in", requested=purpose)
    names = AUTO_ORDER if purpose == "auto" else (purpose,)
    for name in names:
        found = FINDERS[name](session, bundle.account_id, bundle)
        if found is not None:
            found.requested = purpose
            return found
    if purpose != "auto":
        raise ValidationFailed(f"the account's data does not support a {purpose.replace('_', ' ')} (see "
                               "`bizpilot generate --help`: the purpose needs its signal)",
                               details=[{"field": "purpose", "reason": "no data for this purpose", "value": purpose}])
    return Purpose("check_in", "no overdue invoice, reorder due, open deal, recent order, risk or recommendation "
                   "found", requested=purpose)


__all__ = ["AUTO_ORDER", "PURPOSES", "PURPOSE_KINDS", "Purpose", "choose_purpose", "validate_purpose"]
