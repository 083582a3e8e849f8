"""Account: a customer company (the B2B buyer)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, utcnow
from bizpilot.domain.record import Editable
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema

SIZE_BANDS = ("1-10", "11-50", "51-200", "201-1000", "1000+")
TIERS = ("strategic", "key", "standard", "small")


class Account(Editable, Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_name", "name"), Index("ix_accounts_country", "country"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(100))
    size_band: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)


class AccountCreate(InputSchema):
    external_id: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    industry: str | None = Field(default=None, max_length=100)
    size_band: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=64)
    tier: str | None = Field(default=None, max_length=20)
    description: str | None = None
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime | None = None
    owner: str | None = Field(default=None, max_length=255, description="The owning user's name or e-mail")


AccountUpdate = update_schema(AccountCreate, "name", "industry", "size_band", "country", "region", "tier",
                              "description", "language")


class AccountPublic(PublicSchema):
    id: int
    external_id: str
    name: str
    industry: str | None
    size_band: str | None
    country: str | None
    region: str | None
    tier: str | None
    description: str | None
    language: str | None
    created_at: datetime
    owner_id: int | None = None
    version: int = 1
    archived_at: datetime | None = None
    updated_at: datetime | None = None
