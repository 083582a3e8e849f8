"""A small, hand-checkable B2B dataset shared by the API, web and service tests.

Net revenue by month (quantity * unit_price * (1 - discount)), worked out by hand:
  2024-01: O1 = 10*4.0 + 5*10.0*0.9 = 85.0, O2 = 2*10.0 = 20.0            -> 105.0 (2 orders)
  2024-02: O4 = 30*9.0 + 1*15.0 = 285.0                                    -> 285.0 (1 order)
  2024-03: O3 = 100*3.5*0.8 = 280.0, C5 = -10*3.5*0.8 = -28.0, G6 = 12.0  -> 264.0 (3 orders)
Total 654.0. Per account: ACME 357.0 (4 orders), BOREALIS 285.0 (1 order); G6 is a guest order.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction
from bizpilot.ingest.pipeline import import_frame

MONTHS = {"2024-01": (105.0, 2), "2024-02": (285.0, 1), "2024-03": (264.0, 3)}
TOTAL = 654.0
ACCOUNT_REVENUE = {"ACME": (357.0, 4), "BOREALIS": (285.0, 1)}

ACCOUNTS = [
    {"external_id": "ACME", "name": "Acme Trading Co", "industry": "Retail", "country": "China", "tier": "key",
     "size_band": "51-200", "region": "APAC", "language": "zh",
     "description": "Wholesale buyer of kitchenware for 40 stores in Guangdong", "created_at": datetime(2023, 1, 5)},
    {"external_id": "BOREALIS", "name": "Borealis Foods GmbH", "industry": "Food & Beverage", "country": "Germany",
     "tier": "strategic", "size_band": "201-1000", "region": "EMEA", "language": "de",
     "description": "Organic tea importer", "created_at": datetime(2023, 3, 1)},
    {"external_id": "CEDAR", "name": "Cedar Retail Ltd", "industry": "Retail", "country": "United Kingdom",
     "tier": "standard", "size_band": "11-50", "region": "EMEA", "language": "en",
     "description": "Gift shops in Kent", "created_at": datetime(2023, 6, 12)},
    {"external_id": "DELTA", "name": "Delta 100% Supplies_", "industry": "Manufacturing", "country": "China",
     "tier": "small", "size_band": "1-10", "region": "APAC", "language": "zh",
     "description": "Packaging maker", "created_at": datetime(2023, 2, 20)},
    {"external_id": "ECHO", "name": "Echo Wholesale", "industry": "Retail", "country": "China", "tier": "standard",
     "size_band": "51-200", "region": "APAC", "language": "zh", "description": "Tea and cups distributor",
     "created_at": datetime(2023, 9, 30)},
]

CONTACTS = [
    {"external_id": "c-li", "account_external_id": "ACME", "name": "Li Wei", "email": "li.wei@acme.example",
     "title": "Purchasing manager", "phone": "+86 20 5555 0101", "language": "zh"},
    {"external_id": "c-sarah", "account_external_id": "ACME", "name": "Sarah Chen",
     "email": "sarah.chen@acme.example", "title": "Accounts payable", "language": "en"},
    {"external_id": "c-jonas", "account_external_id": "BOREALIS", "name": "Jonas Weber",
     "email": "jonas@borealis.example", "title": "Head of buying", "language": "de"},
]

PRODUCTS = [
    {"sku": "MUG-01", "name": "Ceramic mug", "category": "Kitchen", "price": 4.0, "currency": "EUR"},
    {"sku": "TEA-02", "name": "Green tea 500g", "category": "Tea", "price": 10.0, "currency": "EUR"},
    {"sku": "POST", "name": "Postage", "category": "Service", "price": 15.0, "currency": "EUR"},
]


def _line(order: str, account: str | None, when: datetime, sku: str, qty: float, price: float,
          discount: float = 0.0, kind: str = "sale") -> dict:
    return {"external_id": order, "account_external_id": account, "ordered_at": when, "sku": sku,
            "quantity": qty, "unit_price": price, "discount": discount, "kind": kind, "currency": "EUR"}


ORDER_LINES = [
    _line("O1", "ACME", datetime(2024, 1, 15, 9), "MUG-01", 10, 4.0),
    _line("O1", "ACME", datetime(2024, 1, 15, 9), "TEA-02", 5, 10.0, 0.1),
    _line("O2", "ACME", datetime(2024, 1, 20, 14), "TEA-02", 2, 10.0),
    _line("O3", "ACME", datetime(2024, 3, 2, 10), "MUG-01", 100, 3.5, 0.2),
    _line("O4", "BOREALIS", datetime(2024, 2, 10, 11), "TEA-02", 30, 9.0),
    _line("O4", "BOREALIS", datetime(2024, 2, 10, 11), "POST", 1, 15.0),
    _line("C5", "ACME", datetime(2024, 3, 5, 16), "MUG-01", -10, 3.5, 0.2, kind="cancellation"),
    _line("G6", None, datetime(2024, 3, 9, 8), "MUG-01", 3, 4.0),
]

INTERACTIONS = [
    {"external_id": "ix-1", "channel": "email", "direction": "inbound", "subject": "Reorder mugs",
     "text": "We need 100 more mugs before the spring fair.", "occurred_at": datetime(2024, 2, 27, 9),
     "account_external_id": "ACME", "contact_external_id": "c-li", "language": "en"},
    {"external_id": "ix-2", "channel": "ticket", "direction": "inbound", "subject": "Damaged parcel",
     "text": "Two cups arrived broken.", "occurred_at": datetime(2024, 3, 6, 15),
     "account_external_id": "ACME", "language": "en"},
    {"external_id": "ix-3", "channel": "call", "direction": "outbound", "subject": "Tea tasting follow-up",
     "text": "Sent samples of the new harvest.", "occurred_at": datetime(2024, 1, 8, 10),
     "account_external_id": "BOREALIS", "language": "en"},
]

OPPORTUNITIES = [
    {"external_id": "opp-1", "account_external_id": "ACME", "name": "Spring fair mugs", "stage": "proposal",
     "amount": 1200.0, "currency": "EUR", "owner": "Mia", "created_at": datetime(2024, 2, 28), "outcome": "open"},
    {"external_id": "opp-2", "account_external_id": "BOREALIS", "name": "Tea contract 2024", "stage": "closed",
     "amount": 5000.0, "currency": "EUR", "owner": "Tom", "created_at": datetime(2024, 1, 2),
     "closed_at": datetime(2024, 1, 30), "outcome": "won"},
]

KNOWLEDGE = [
    {"external_id": "kb-returns", "title": "Returns policy", "body": "Damaged goods can be returned within 30 days.",
     "category": "policy", "language": "en"},
]


def load_sample(engine: Engine) -> dict[str, int]:
    """Import the dataset through the real import pipeline; returns account ids by external id."""
    for entity, rows in (("accounts", ACCOUNTS), ("contacts", CONTACTS), ("products", PRODUCTS),
                         ("orders", ORDER_LINES), ("interactions", INTERACTIONS),
                         ("opportunities", OPPORTUNITIES), ("knowledge", KNOWLEDGE)):
        report = import_frame(entity, pd.DataFrame(rows), source=f"test-{entity}.csv", strict=True, engine=engine)
        assert report.rejected == 0, (entity, report)
    with Session(engine) as session:
        return {ext: id_ for ext, id_ in session.execute(select(Account.external_id, Account.id))}


def add_complaint(engine: Engine, *, account_id: int, external_id: str, text: str) -> None:
    """An unhappy inbound e-mail from the account on 9 March 2024 (inside the sample's alert window), committed as an
    import would leave it: not analysed yet."""
    with Session(engine) as session:
        session.add(Interaction(external_id=external_id, channel="email", direction="inbound", text=text,
                                occurred_at=datetime(2024, 3, 9, 9), account_id=account_id))
        session.commit()
