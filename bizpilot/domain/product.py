"""Product: a sellable item (or a non-merchandise line such as postage or a fee)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import Boolean, ColumnElement, DateTime, String, Text, or_
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, Money, Quantity, utcnow
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema


class Product(Editable, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    price: Mapped[float | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    unit: Mapped[str | None] = mapped_column(String(20))
    stock_qty: Mapped[float | None] = mapped_column(Quantity)
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Category of lines that are not goods (postage, fees, discounts, samples...): kept for revenue, never recommended,
# forecast as demand or proposed for reorder.
NON_MERCHANDISE = "non-merchandise"


def is_merchandise() -> ColumnElement[bool]:
    """SQL condition: the product is goods a customer buys (not postage, a fee or a discount line)."""
    return or_(Product.category.is_(None), Product.category != NON_MERCHANDISE)


class ProductCreate(InputSchema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=100)
    attributes: dict[str, Any] = Field(default_factory=dict)
    price: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    unit: str | None = Field(default=None, max_length=20)
    stock_qty: float | None = None
    description: str | None = None
    language: str | None = Field(default=None, max_length=8)
    active: bool = True
    created_at: datetime | None = None


ProductUpdate = update_schema(ProductCreate, "name", "category", "attributes", "price", "currency", "unit",
                              "stock_qty", "description", "language", "active")


class ProductPublic(PublicSchema):
    id: int
    sku: str
    name: str
    category: str | None
    attributes: dict[str, Any]
    price: float | None
    currency: str | None
    unit: str | None
    stock_qty: float | None
    description: str | None
    language: str | None
    active: bool
    created_at: datetime
    version: int = 1
    archived_at: datetime | None = None
    updated_at: datetime | None = None
