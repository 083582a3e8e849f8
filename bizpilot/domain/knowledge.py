"""KnowledgeArticle: the help-centre content the service assistant answers from."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import InputSchema, PublicSchema, update_schema


class KnowledgeArticle(Base):
    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    tags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KnowledgeArticleCreate(InputSchema):
    external_id: str | None = Field(default=None, max_length=128)
    title: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1)
    category: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list)
    language: str | None = Field(default=None, max_length=8)
    updated_at: datetime | None = None


KnowledgeArticleUpdate = update_schema(KnowledgeArticleCreate, "title", "body", "category", "tags", "language")


class KnowledgeArticlePublic(PublicSchema):
    id: int
    external_id: str
    title: str
    body: str
    category: str | None
    tags: list[str]
    language: str | None
    updated_at: datetime
