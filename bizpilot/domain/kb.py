"""KbChunk: a searchable piece of the knowledge base (a heading-scoped slice of an article or a document),
stored with its embedding so the retriever does not re-embed unchanged content."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, utcnow


class KbChunk(Base):
    __tablename__ = "kb_chunks"
    __table_args__ = (UniqueConstraint("source", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(512), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str | None] = mapped_column(String(255))
    heading_path: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    embedding_model: Mapped[str | None] = mapped_column(String(64))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KbChunkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    position: int
    article_id: int | None
    title: str | None
    heading_path: str | None
    text: str
    language: str | None
    embedding_model: str | None
    content_hash: str
    created_at: datetime
