"""Contact: a person at an account (buyer, purchasing manager, accounts payable)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, utcnow
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema


class Contact(Editable, Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContactCreate(InputSchema):
    external_id: str | None = Field(default=None, max_length=64)
    account_external_id: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    email: str | None = Field(default=None, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=128)
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime | None = None


ContactUpdate = update_schema(ContactCreate, "name", "email", "phone", "title", "language")


class ContactPublic(PublicSchema):
    id: int
    external_id: str
    account_id: int | None
    name: str
    email: str | None
    phone: str | None
    title: str | None
    language: str | None
    created_at: datetime
    version: int = 1
    archived_at: datetime | None = None
    updated_at: datetime | None = None
