"""What every task source reads (``services/task_sources.py``): the candidate task a source proposes, and the
workspace lookups one refresh computes once (accounts, spend, the valuable accounts, last orders, spend at risk,
who owns what), plus the few words the reasons share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Order, OrderLine, Task
from bizpilot.services.intelligence.specs import CHURN
from bizpilot.services.models.access import model_state, outputs
from bizpilot.services.models.spec import ModelSpec

VALUABLE_TIERS = ("strategic", "key")
VALUABLE_SHARE = 0.5  # an account is valuable when its spend is in the top half of the buyers' (or its tier says so)


@dataclass
class Candidate:
    """A task the intelligence would open; ``since``: when the cause's latest evidence appeared (a task marked
    done after it has handled the cause, so none is opened again until new evidence)."""

    source: str
    key: str
    title: str
    reason: str
    account_id: int | None
    due_date: date
    priority: str
    expected_value: float | None
    opportunity_id: int | None = None
    ticket_id: int | None = None
    product_id: int | None = None
    owner_id: int | None = None
    since: datetime | None = None


@dataclass
class Scan:
    """One source's candidates and why one of its open tasks that is no longer a candidate is closed."""

    candidates: list[Candidate]
    gone: Callable[[Task], str]


@dataclass
class Context:
    """What every source reads: the workspace's today, and lookups computed once per refresh."""

    session: Session
    today: date
    as_of: datetime  # midnight after today
    notes: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    def ready(self, source: str, *specs: ModelSpec) -> bool:
        """Whether every model of ``specs`` is ready; otherwise a note says why ``source`` was skipped."""
        for spec in specs:
            state = model_state(session=self.session, spec=spec)
            if state.state != "ready":
                self.notes[source] = (f"the {spec.name} model is {state.state}: no {source} tasks until it is "
                                      f"trained (`bizpilot train {spec.name}`)")
                return False
        return True

    def accounts(self) -> dict[int, Account]:
        if "accounts" not in self._cache:
            self._cache["accounts"] = {a.id: a for a in self.session.scalars(
                select(Account).where(Account.archived_at.is_(None)))}
        return self._cache["accounts"]

    def spend(self) -> dict[int, float]:
        """Net sales per account over the 365 days before today."""
        if "spend" not in self._cache:
            net = OrderLine.quantity * OrderLine.unit_price * (1 - func.coalesce(OrderLine.discount, 0))
            rows = self.session.execute(
                select(Order.account_id, func.sum(net)).join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.account_id.is_not(None), Order.kind == "sale", OrderLine.line_type == "sale",
                       Order.ordered_at >= self.as_of - timedelta(days=365), Order.ordered_at < self.as_of)
                .group_by(Order.account_id)).all()
            self._cache["spend"] = {int(a): float(v or 0.0) for a, v in rows}
        return self._cache["spend"]

    def valuable(self) -> set[int]:
        """Accounts in the top ``VALUABLE_SHARE`` of spend among buyers, and strategic/key accounts."""
        if "valuable" not in self._cache:
            spend = sorted((v for v in self.spend().values() if v > 0), reverse=True)
            floor = spend[max(0, int(len(spend) * VALUABLE_SHARE) - 1)] if spend else float("inf")
            top = {a for a, v in self.spend().items() if v > 0 and v >= floor}
            tiers = {a.id for a in self.accounts().values() if (a.tier or "").lower() in VALUABLE_TIERS}
            self._cache["valuable"] = (top | tiers) & set(self.accounts())
        return self._cache["valuable"]

    def last_order(self) -> dict[int, datetime]:
        if "last_order" not in self._cache:
            self._cache["last_order"] = dict(self.session.execute(
                select(Order.account_id, func.max(Order.ordered_at)).where(
                    Order.account_id.is_not(None), Order.kind == "sale").group_by(Order.account_id)).all())
        return self._cache["last_order"]

    def at_risk(self) -> dict[int, float]:
        """Spend at risk per account: (1 - repurchase chance) x spend from the churn outputs; half the year's spend
        where the model has no score."""
        if "at_risk" not in self._cache:
            risk = {a: 0.5 * v for a, v in self.spend().items()}
            if model_state(session=self.session, spec=CHURN).state == "ready":
                risk |= {r.subject_id: float(r.score or 0.0)
                         for r in outputs(session=self.session, spec=CHURN, subject="account")}
            self._cache["at_risk"] = risk
        return self._cache["at_risk"]

    def owner(self, account_id: int | None) -> int | None:
        account = self.accounts().get(account_id) if account_id is not None else None
        return account.owner_id if account is not None else None

    def name(self, account_id: int | None) -> str:
        account = self.accounts().get(account_id) if account_id is not None else None
        return account.name if account is not None else f"account {account_id}"


def pct(p: float) -> str:
    return f"{round(100 * p)} %"


def money(value: float | None, currency: str | None = None) -> str:
    return "—" if value is None else f"{value:,.0f}" + (f" {currency}" if currency else "")


def purchases(ctx: Context) -> dict[tuple[int, int], tuple[datetime, float]]:
    """(account, product) -> (latest purchase, average net unit price) of every pair ever bought."""
    if "pairs" not in ctx._cache:
        rows = ctx.session.execute(
            select(Order.account_id, OrderLine.product_id, func.max(Order.ordered_at),
                   func.avg(OrderLine.unit_price * (1 - func.coalesce(OrderLine.discount, 0))))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.account_id.is_not(None), Order.kind == "sale", OrderLine.line_type == "sale",
                   OrderLine.quantity > 0).group_by(Order.account_id, OrderLine.product_id)).all()
        ctx._cache["pairs"] = {(int(a), int(p)): (last, float(price or 0.0)) for a, p, last, price in rows}
    return ctx._cache["pairs"]


def factors_text(factors: list[dict[str, Any]]) -> str:
    def value(v: Any) -> str:
        return f"{v:,.0f}" if isinstance(v, int | float) and abs(v) >= 10 else f"{v:g}" if isinstance(
            v, int | float) else str(v)

    return ", ".join(f"{f['label']} ({value(f['value'])})" if f.get("value") is not None else str(f["label"])
                     for f in factors)


__all__ = ["Candidate", "Context", "Scan", "factors_text", "money", "pct", "purchases"]
