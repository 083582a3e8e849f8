"""User: a named person who signs in, owns accounts and opportunities, and is the author of every change they make.

Roles, from least to most: ``viewer`` reads; ``service`` and ``sales`` change what they own (their accounts and
everything of those accounts); ``manager`` changes everything; ``admin`` also manages users, keys and settings.
Passwords are stored as salted scrypt hashes (never in clear); a deactivated user can no longer sign in and their
keys stop working, but their records and history stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import InputSchema, PublicSchema

UserRole = Literal["viewer", "service", "sales", "manager", "admin"]
USER_ROLES: tuple[str, ...] = ("viewer", "service", "sales", "manager", "admin")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # scrypt parameters, salt and hash
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class UserCreate(InputSchema):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[^\s@][^@]*$")
    email: str | None = Field(default=None, max_length=255, pattern=EMAIL_PATTERN)
    role: UserRole = "sales"


class UserPublic(PublicSchema):
    id: int
    name: str
    email: str | None
    role: str
    active: bool
    created_at: datetime


__all__ = ["USER_ROLES", "User", "UserCreate", "UserPublic", "UserRole"]
