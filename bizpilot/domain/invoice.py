"""Invoice: what an account was billed, when it is due and how much of it is paid.

``status`` is what the billing system says (open, paid, void); whether an open invoice is *overdue* depends on the
day it is read, so it is derived from ``due_at`` and the workspace's today (``is_overdue``/``days_overdue``) and never
stored: a stored "overdue" would be wrong the morning after it was written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, Money, utcnow
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

INVOICE_STATUSES = ("open", "paid", "void")
InvoiceStatus = Literal["open", "paid", "void"]


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_account_status_due", "account_id", "status", "due_at"),
                      CheckConstraint("due_at >= issued_at", name="due_after_issue"),
                      CheckConstraint("amount >= 0 AND amount_paid >= 0 AND amount_paid <= amount",
                                      name="amounts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[date] = mapped_column(Date)
    due_at: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[float] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_paid: Mapped[float] = mapped_column(Money, default=0.0)
    status: Mapped[str] = mapped_column(String(8), default="open")
    # How to pay (bank details, a payment link, a reference to quote), as the billing system words it.
    payment_instructions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def amount_due(self) -> float:
        return max(0.0, float(self.amount or 0) - float(self.amount_paid or 0))

    def days_overdue(self, today: date) -> int:
        """Days past the due date of an open invoice with money still due; 0 when it is not overdue."""
        if self.status != "open" or self.amount_due <= 0:
            return 0
        return max(0, (today - self.due_at).days)

    def is_overdue(self, today: date) -> bool:
        return self.days_overdue(today) > 0


class InvoiceCreate(InputSchema):
    """One invoice as a file or the API gives it. Field order matters: the checks of ``due_at`` and
    ``amount_paid`` read ``issued_at`` and ``amount``, which are validated first."""

    external_id: str | None = Field(default=None, max_length=64)
    account_external_id: str = Field(min_length=1, max_length=64)
    order_external_id: str | None = Field(default=None, max_length=64)
    number: str = Field(min_length=1, max_length=64)
    issued_at: date
    due_at: date
    amount: float = Field(ge=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    amount_paid: float = Field(default=0.0, ge=0)
    status: InvoiceStatus = "open"
    payment_instructions: str | None = Field(default=None, max_length=500)

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("due_at")
    @classmethod
    def _due_after_issue(cls, value: date, info: ValidationInfo) -> date:
        issued = info.data.get("issued_at")
        if issued is not None and value < issued:
            raise PydanticCustomError("due_before_issue", "due date {due} is before the issue date {issued}",
                                      {"due": value.isoformat(), "issued": issued.isoformat()})
        return value

    @field_validator("amount_paid")
    @classmethod
    def _paid_within_amount(cls, value: float, info: ValidationInfo) -> float:
        amount = info.data.get("amount")
        if amount is not None and value > amount + 1e-9:
            raise PydanticCustomError("paid_over_amount", "amount paid {paid} is more than the invoice amount {amount}",
                                      {"paid": f"{value:g}", "amount": f"{amount:g}"})
        return value


InvoiceUpdate = update_schema(InvoiceCreate, "status", "amount_paid", "payment_instructions")


class InvoicePublic(PublicSchema):
    id: int
    external_id: str
    account_id: int
    order_id: int | None
    number: str
    issued_at: date
    due_at: date
    amount: float
    currency: str | None
    amount_paid: float
    status: str
    payment_instructions: str | None = None
    created_at: datetime | None = None
