"""Workspace data the assistant may cite: the asking account's orders (and only theirs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain.account import Account
from bizpilot.domain.order import Order, OrderLine

# "order 1043", "#SO-2023-000017", "订单号1043": tokens with at least 3 digits, letters and dashes allowed.
_REF = re.compile(r"#?([A-Za-z]{0,5}-?\d[\d-]{2,}\d|\d{3,})")
# An amount or a quantity is not an order number ("freight on a $200 order", "满500元", "USD 500", "300 units").
_MONEY_BEFORE = re.compile(r"(?:[$€£¥￥]|\b(?:USD|EUR|GBP|RMB|CNY)\s?)$", re.I)
_UNIT_AFTER = re.compile(r"^\s?(?:元|块|美元|欧元|英镑|个|件|箱|台|套|包|卷|米|公斤|%|(?:usd|eur|gbp|rmb|cny|dollars?|"
                         r"euros?|pounds?|units?|pcs|pieces?|boxes|cartons|pallets?|rolls?|kg|mm|cm|km|m|g|l)\b)", re.I)

STATUS_TEXT = {
    "en": {"open": "open (not yet dispatched)", "fulfilled": "fulfilled (dispatched)", "cancelled": "cancelled",
           "returned": "returned"},
    "zh": {"open": "处理中（尚未发货）", "fulfilled": "已完成（已发货）", "cancelled": "已取消", "returned": "已退货"},
}


@dataclass
class OrderFact:
    """One order as a citable source."""

    external_id: str
    status: str
    kind: str
    ordered_at: str
    lines: int
    total: float
    currency: str | None

    def source(self, language: str) -> dict[str, Any]:
        return {"source": f"order:{self.external_id}", "title": f"Order {self.external_id}",
                "citation": f"order:{self.external_id}", "text": self.sentence(language), "kind": "order",
                "heading_path": None, "chunk_id": None, "score": 1.0}

    def sentence(self, language: str) -> str:
        status = STATUS_TEXT["zh" if language == "zh" else "en"].get(self.status, self.status)
        money = f"{self.currency + ' ' if self.currency else ''}{self.total:,.2f}"
        if language == "zh":
            return (f"订单 {self.external_id}（{self.ordered_at} 下单，{self.lines} 行，金额 {money}）"
                    f"的状态是：{status}。")
        return (f"Order {self.external_id} (placed {self.ordered_at}, {self.lines} line(s), {money}) is "
                f"{status}.")


def order_refs(text: str) -> list[str]:
    """The order numbers ``text`` names; amounts and quantities are left out."""
    text = text or ""
    return list(dict.fromkeys(m.group(1) for m in _REF.finditer(text)
                              if not _MONEY_BEFORE.search(text[:m.start()])
                              and not _UNIT_AFTER.match(text[m.end():])))


def _fact(session: Session, order: Order) -> OrderFact:
    n, total = session.execute(
        select(func.count(OrderLine.id),
               func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price * (1 - OrderLine.discount)), 0.0))
        .where(OrderLine.order_id == order.id)).one()
    return OrderFact(order.external_id, order.status, order.kind, order.ordered_at.date().isoformat(), int(n),
                     float(total or 0.0), order.currency)


def find_orders(*, session: Session, text: str, account_id: int | None) -> tuple[list[OrderFact], list[str]]:
    """(facts of the orders the message names that belong to the account, references that could not be shown).

    Without an account nothing is shown: order details are only for the customer who placed them. A message that
    names no order gets the account's three most recent orders.
    """
    refs = order_refs(text)
    if account_id is None:
        return [], refs
    facts: list[OrderFact] = []
    missing: list[str] = []
    for ref in refs:
        order = session.scalar(select(Order).where(Order.account_id == account_id,
                                                   Order.external_id == ref).limit(1))
        if order is None:  # "1043" for "SO-2023-001043"
            order = session.scalar(select(Order).where(Order.account_id == account_id,
                                                       Order.external_id.like(f"%{ref}"))
                                   .order_by(Order.ordered_at.desc()).limit(1))
        if order is None:
            missing.append(ref)
        else:
            facts.append(_fact(session, order))
    if not refs:
        recent = session.scalars(select(Order).where(Order.account_id == account_id)
                                 .order_by(Order.ordered_at.desc()).limit(3))
        facts = [_fact(session, o) for o in recent]
    return facts, missing


def account_name(*, session: Session, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    acct = session.get(Account, account_id)
    return acct.name if acct else None
