"""Glossary: how the workspace renders its domain words in Chinese and English (attribute names and values,
categories, industries, units, CRM terms), so generated copy can state an English-keyed fact in Chinese and the
checker can recognise it in either language.

The product ships a default glossary (``domain/data/glossary.json``); a workspace's own rows override it term by
term. Terms are matched on a normalised ``key`` (lower case, underscores as spaces, single spaces), so
``pack_size``, ``Pack Size`` and ``pack size`` are one term.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, utcnow
from bizpilot.domain.schemas import InputSchema, PublicSchema, UTCSchema

# attribute: a product attribute's name; value: an attribute value; category: a product category; industry: an
# account's industry; unit: a unit of sale or measure; term: CRM vocabulary (tiers, deal stages, outcomes).
GLOSSARY_KINDS: tuple[str, ...] = ("attribute", "value", "category", "industry", "unit", "term")
GlossaryKind = Literal["attribute", "value", "category", "industry", "unit", "term"]
KEY_MAX = 200
_SPACES = re.compile(r"\s+")


def normalise_key(text: str) -> str:
    """The matching form of a term: ``'Pack_Size '`` -> ``'pack size'`` (hyphens and digits kept)."""
    return _SPACES.sub(" ", str(text).replace("_", " ")).strip().lower()


class GlossaryTerm(Base):
    """One workspace term; it wins over the shipped default with the same (kind, key)."""

    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    en: Mapped[str] = mapped_column(String(KEY_MAX))
    zh: Mapped[str] = mapped_column(String(KEY_MAX))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class GlossaryTermCreate(InputSchema):
    """A term as a user writes it: ``key`` defaults to ``en`` and ``en`` to the key as typed."""

    kind: GlossaryKind
    key: str = Field(default="", max_length=KEY_MAX)
    en: str = Field(default="", max_length=KEY_MAX)
    zh: str = Field(min_length=1, max_length=KEY_MAX)
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("note")
    @classmethod
    def _blank_note(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _key_and_en(self) -> GlossaryTermCreate:
        if not self.key and not self.en:
            raise ValueError("give key or en (the English term)")
        self.en = self.en or self.key.replace("_", " ")
        self.key = normalise_key(self.key or self.en)
        return self


class GlossaryTermUpdate(InputSchema):
    """What a PUT on an existing term may change (kind and key name the term)."""

    zh: str = Field(min_length=1, max_length=KEY_MAX, description="Chinese rendering")
    en: str | None = Field(default=None, min_length=1, max_length=KEY_MAX,
                           description="English rendering (default: the key as written)")
    note: str | None = Field(default=None, max_length=2000)


class GlossaryTermPublic(PublicSchema):
    id: int
    kind: str
    key: str
    en: str
    zh: str
    note: str | None
    created_at: datetime
    updated_at: datetime


class GlossaryEntry(UTCSchema):
    """A term as the product uses it: a workspace row or a shipped default (``source``); ``id`` and
    ``updated_at`` only for workspace rows."""

    kind: str
    key: str
    en: str
    zh: str
    note: str | None = None
    source: Literal["default", "workspace"]
    id: int | None = None
    updated_at: datetime | None = None


@lru_cache(maxsize=1)
def default_terms() -> tuple[GlossaryEntry, ...]:
    """The shipped glossary, validated once; a broken data file fails loudly here, not as odd copy later."""
    text = (resources.files("bizpilot.domain") / "data" / "glossary.json").read_text(encoding="utf-8")
    out: dict[tuple[str, str], GlossaryEntry] = {}
    for kind, rows in json.loads(text)["terms"].items():
        for row in rows:
            term = GlossaryTermCreate(kind=kind, **row)
            if (term.kind, term.key) in out:
                raise ValueError(f"glossary.json: {kind} {term.key!r} is listed twice")
            out[(term.kind, term.key)] = GlossaryEntry(kind=term.kind, key=term.key, en=term.en, zh=term.zh,
                                                      note=term.note, source="default")
    return tuple(out.values())


def default_zh(kind: str, text: str) -> str | None:
    """The shipped Chinese rendering of a term (no workspace involved): what the demo generator names
    industries with, so the demo and the product say the same thing."""
    key = normalise_key(text)
    return next((t.zh for t in default_terms() if t.kind == kind and t.key == key), None)


__all__ = ["GLOSSARY_KINDS", "GlossaryEntry", "GlossaryKind", "GlossaryTerm", "GlossaryTermCreate",
           "GlossaryTermPublic", "GlossaryTermUpdate", "default_terms", "default_zh", "normalise_key"]
