"""The demo's invoices: one per sale order, billed on the order day with the account's payment terms.

Most are paid; orders of the last weeks are open and not yet due; a cancelled order's invoice is void; and a few
accounts (slow payers, plus the odd forgotten invoice elsewhere) leave invoices open 5 to 60 days past their due
date, so the payment reminder has something to remind. "Today" is the demo data's own present (its newest order or
message, as ``services/clock.py`` reads it), so the overdue invoices are overdue on the pages too. The draws come
from their own generator seeded by the demo seed, so adding invoices changes none of the other frames.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

TERMS_DAYS = {"strategic": 60, "key": 45, "standard": 30, "small": 14}
OVERDUE_DAYS = (5, 60)  # an open invoice due in this window before today stays overdue
SLOW_PAYERS = 0.08      # share of accounts that let invoices run late
LATE_IF_SLOW, LATE_OTHERWISE = 0.6, 0.01
PAID_EARLY = 0.3        # invoices not yet due that are already paid
PARTLY_PAID = 0.3       # overdue invoices with part of the amount paid
PAYMENT = {
    ("en", "USD"): "bank transfer to Harbor Commerce Bank, account 4471039218 (routing 026009593), with the invoice "
                   "number as the reference",
    ("en", "CNY"): "bank transfer to Bank of China Shanghai Branch, account 4563 0718 2290 (SWIFT BKCHCNBJ300), with "
                   "the invoice number as the reference",
    ("zh", "USD"): "电汇至港商银行，账号4471039218（SWIFT HCBKUS33），附言请填写发票号",
    ("zh", "CNY"): "银行转账至中国银行上海分行，账号4563 0718 2290，附言请填写发票号",
}
COLUMNS = ["external_id", "account_external_id", "order_external_id", "number", "issued_at", "due_at", "amount",
           "currency", "amount_paid", "status", "payment_instructions"]


def demo_today(frames: dict[str, pd.DataFrame]) -> date:
    """The demo's present: the day of its newest order or message."""
    stamps = [pd.Timestamp(frames[name][col].max()) for name, col in (("orders", "ordered_at"),
                                                                      ("interactions", "occurred_at"))
              if name in frames and not frames[name].empty]
    return max(stamps).date()


def make_invoices(seed: int, frames: dict[str, pd.DataFrame], today: date | None = None) -> pd.DataFrame:
    """Invoices in the import format for the sale orders of ``frames`` (same seed and frames, same bytes)."""
    rng = np.random.default_rng([seed, 0x1A7])
    today = today or demo_today(frames)
    accounts = {a["external_id"]: a for a in frames["accounts"][["external_id", "tier", "language"]].to_dict("records")}
    orders = frames["orders"]
    sales = orders[orders["kind"] == "sale"].copy()
    sales["net"] = sales["quantity"] * sales["unit_price"] * (1.0 - sales["discount"])
    heads = (sales.groupby("external_id", sort=False)
             .agg(account=("account_external_id", "first"), at=("ordered_at", "first"), status=("status", "first"),
                  currency=("currency", "first"), amount=("net", "sum"))
             .reset_index().sort_values(["at", "external_id"], kind="stable"))
    slow = {acct: bool(rng.random() < SLOW_PAYERS) for acct in accounts}
    rows = []
    for n, head in enumerate(heads.itertuples(index=False), start=1):
        amount = round(float(head.amount), 2)
        acct = accounts.get(head.account)
        if amount <= 0 or acct is None:
            continue
        issued = pd.Timestamp(head.at).date()
        due = issued + timedelta(days=TERMS_DAYS.get(acct["tier"], 30))
        paid, status = amount, "paid"
        late = (today - due).days
        if head.status == "cancelled":
            paid, status = 0.0, "void"
        elif late < 0:  # not yet due
            if rng.random() >= PAID_EARLY:
                paid, status = 0.0, "open"
        elif OVERDUE_DAYS[0] <= late <= OVERDUE_DAYS[1]:
            if rng.random() < (LATE_IF_SLOW if slow[head.account] else LATE_OTHERWISE):
                status = "open"
                paid = round(amount * float(rng.uniform(0.2, 0.6)), 2) if rng.random() < PARTLY_PAID else 0.0
        currency = head.currency or "USD"
        lang = "zh" if acct["language"] == "zh" else "en"
        number = f"INV-{issued.year}-{n:05d}"
        rows.append({"external_id": number, "account_external_id": head.account, "order_external_id": head.external_id,
                     "number": number, "issued_at": issued, "due_at": due, "amount": amount, "currency": currency,
                     "amount_paid": paid, "status": status,
                     "payment_instructions": PAYMENT.get((lang, currency), PAYMENT[(lang, "USD")])})
    return pd.DataFrame(rows, columns=COLUMNS)


__all__ = ["demo_today", "make_invoices"]
