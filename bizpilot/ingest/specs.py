"""What each importable entity is: its row schema, table, natural key and references to other tables."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bizpilot.db.base import Base
from bizpilot.domain import (
    Account,
    Contact,
    Interaction,
    Invoice,
    KnowledgeArticle,
    Opportunity,
    Order,
    Product,
)
from bizpilot.domain.account import AccountCreate
from bizpilot.domain.contact import ContactCreate
from bizpilot.domain.interaction import InteractionCreate
from bizpilot.domain.invoice import InvoiceCreate
from bizpilot.domain.knowledge import KnowledgeArticleCreate
from bizpilot.domain.opportunity import OpportunityCreate
from bizpilot.domain.order import OrderKind, OrderLineCreate, OrderStatus
from bizpilot.domain.product import ProductCreate


def stable_id(prefix: str, *parts: Any) -> str:
    """A deterministic id from content, for rows whose file has no id: re-importing finds the same row."""
    text = "\x1f".join("" if p is None else str(p).strip().casefold() for p in parts)
    return f"{prefix}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


@dataclass(frozen=True)
class Reference:
    """A schema field that names another row by its natural key, stored as a foreign key column."""

    field: str
    model: type[Base]
    key: str
    column: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class EntitySpec:
    name: str
    schema: type[BaseModel]
    model: type[Base]
    key: str
    derive_key: Callable[[dict[str, Any]], str] | None = None
    references: tuple[Reference, ...] = ()
    json_columns: tuple[str, ...] = ()
    accepts_attr_columns: bool = False
    # Has an owner (a user, by name or e-mail in an owner column) and what an owner who is no user does to the row:
    # "reject" it, or "keep" it without owner_id (see ingest/owners.py).
    owned: Literal["reject", "keep"] | None = None
    extra_fields: dict[str, Any] = field(default_factory=dict)


ACCOUNT_REF = Reference("account_external_id", Account, "external_id", "account_id", "account")
CONTACT_REF = Reference("contact_external_id", Contact, "external_id", "contact_id", "contact")
PRODUCT_REF = Reference("sku", Product, "sku", "product_id", "product")
ORDER_REF = Reference("order_external_id", Order, "external_id", "order_id", "order")


class OrderRow(OrderLineCreate):
    """One line of a flat order export: the order header repeated on every line (the common ERP export)."""

    external_id: str = Field(min_length=1, max_length=64)
    account_external_id: str | None = None
    kind: OrderKind = "sale"
    status: OrderStatus = "fulfilled"
    ordered_at: datetime
    currency: str | None = None
    country: str | None = None
    channel: str | None = None


SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("accounts", AccountCreate, Account, "external_id",
                   derive_key=lambda r: stable_id("acct", r.get("name")), owned="reject"),
        EntitySpec("contacts", ContactCreate, Contact, "external_id",
                   derive_key=lambda r: (r["email"].strip().lower() if r.get("email")
                                         else stable_id("contact", r.get("account_external_id"), r.get("name"))),
                   references=(ACCOUNT_REF,)),
        EntitySpec("products", ProductCreate, Product, "sku", json_columns=("attributes",),
                   accepts_attr_columns=True),
        EntitySpec("interactions", InteractionCreate, Interaction, "external_id",
                   derive_key=lambda r: stable_id("ix", r.get("channel"), r.get("occurred_at"),
                                                  r.get("account_external_id"), r.get("subject"), r.get("text")),
                   references=(ACCOUNT_REF, CONTACT_REF, PRODUCT_REF, ORDER_REF)),
        EntitySpec("opportunities", OpportunityCreate, Opportunity, "external_id",
                   derive_key=lambda r: stable_id("opp", r.get("account_external_id"), r.get("name"),
                                                  r.get("created_at")),
                   references=(ACCOUNT_REF,), owned="keep"),
        EntitySpec("invoices", InvoiceCreate, Invoice, "external_id",
                   derive_key=lambda r: stable_id("inv", r.get("account_external_id"), r.get("number")),
                   references=(ACCOUNT_REF, ORDER_REF)),
        EntitySpec("knowledge", KnowledgeArticleCreate, KnowledgeArticle, "external_id",
                   derive_key=lambda r: stable_id("kb", r.get("title"), r.get("language")),
                   json_columns=("tags",)),
    )
}

IMPORTABLE = (*SPECS, "orders")
