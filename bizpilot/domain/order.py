"""Orders and order lines. Cancellations, returns and adjustments are explicit, never inferred from signs alone.

``Order.kind`` says what the document is (a sale, a cancellation/credit note, a return, an adjustment);
``OrderLine.line_type`` says the same per line, so a return line on a sale order stays visible. Quantities keep
their sign as in the source (negative for cancellations and returns), so ``sum(quantity * unit_price * (1 -
discount))`` is net revenue without special cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, Money, Quantity, utcnow
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

ORDER_KINDS = ("sale", "cancellation", "return", "adjustment")
ORDER_STATUSES = ("open", "fulfilled", "cancelled", "returned")
LINE_TYPES = ("sale", "cancellation", "return", "adjustment")
OrderKind = Literal["sale", "cancellation", "return", "adjustment"]
OrderStatus = Literal["open", "fulfilled", "cancelled", "returned"]
LineType = Literal["sale", "cancellation", "return", "adjustment"]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_account_ordered", "account_id", "ordered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16), default="sale")
    status: Mapped[str] = mapped_column(String(16), default="fulfilled")
    ordered_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    line_type: Mapped[str] = mapped_column(String(16), default="sale")
    quantity: Mapped[float] = mapped_column(Quantity)
    unit_price: Mapped[float] = mapped_column(Money)
    discount: Mapped[float] = mapped_column(Money, default=0.0)
    flags: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class OrderLineCreate(InputSchema):
    line_no: int | None = Field(default=None, ge=1)
    sku: str = Field(min_length=1, max_length=64)
    line_type: LineType | None = None
    quantity: float
    unit_price: float
    discount: float = Field(default=0.0, ge=0.0, le=1.0)


class OrderCreate(InputSchema):
    external_id: str = Field(min_length=1, max_length=64)
    account_external_id: str | None = Field(default=None, max_length=64)
    kind: OrderKind = "sale"
    status: OrderStatus = "fulfilled"
    ordered_at: datetime
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    country: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    lines: list[OrderLineCreate] = Field(default_factory=list)


OrderUpdate = update_schema(OrderCreate, "status", "channel")


class OrderLinePublic(PublicSchema):
    id: int
    order_id: int
    line_no: int
    product_id: int
    line_type: str
    quantity: float
    unit_price: float
    discount: float
    flags: dict[str, Any] | None


class OrderPublic(PublicSchema):
    id: int
    external_id: str
    account_id: int | None
    is_guest: bool
    kind: str
    status: str
    ordered_at: datetime
    currency: str | None
    country: str | None
    channel: str | None
