"""Industry classification: the workspace's two-level taxonomy (sector -> industry) and people's decisions about an
account's industry.

The product ships a default taxonomy (``domain/data/industry_taxonomy.json``: 11 GICS-like sectors and their
industries, with zh/en names, aliases and a short description of what companies in each do); a workspace that
stores its own rows in ``industry_labels`` uses those instead, whole (a team's own customer segments replace the
default rather than mixing with it). A sector without industries is itself a label, so a flat list of segments is
a valid taxonomy.

``account_industries`` keeps what a person decided about an account's industry (accepted a prediction, or corrected
it), with the prediction they saw; the label itself is written to ``accounts.industry`` through the audited write
path, so every other feature reads the industry where it always did. Predictions are model outputs
(``model_outputs`` of the ``industry`` model) and never overwrite ``accounts.industry``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bizpilot.db.base import Base, JsonType, utcnow
from bizpilot.domain.schemas import InputSchema, UTCSchema

KEY_MAX = 100
NAME_MAX = 200
DESCRIPTION_MAX = 2000
SOURCES = ("manual", "model", "zero-shot")
Source = Literal["manual", "model", "zero-shot"]
_DASHES = re.compile(r"\s*[-\u2010-\u2015\u2212/]+\s*")
_SPACES = re.compile(r"\s+")
_SLUG = re.compile(r"[^a-z0-9\u3400-\u9fff]+")


def label_key(text: str) -> str:
    """The matching form of a label name: case, width, ``&``/``and`` and dash styles do not matter, so
    ``Banks—Regional``, ``banks - regional`` and ``BANKS-REGIONAL`` are one label."""
    text = unicodedata.normalize("NFKC", str(text)).lower().replace("&", " and ")
    return _SPACES.sub(" ", _DASHES.sub("-", text)).strip(" -")


def slug(text: str) -> str:
    """A stable key from an English name: ``Oil & Gas E&P`` -> ``oil-and-gas-e-and-p``."""
    return _SLUG.sub("-", label_key(text)).strip("-")[:KEY_MAX]


class IndustryLabel(Base):
    """One node of the workspace's taxonomy: a sector (no ``parent_key``) or an industry of a sector."""

    __tablename__ = "industry_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    parent_key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    position: Mapped[int] = mapped_column(Integer, default=0)
    en: Mapped[str] = mapped_column(String(NAME_MAX))
    zh: Mapped[str | None] = mapped_column(String(NAME_MAX))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JsonType, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AccountIndustry(Base):
    """A person's decision about an account's industry: the label they set, whether it was the model's
    suggestion (``source`` model/zero-shot) or their own (manual), and what the model had said."""

    __tablename__ = "account_industries"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(KEY_MAX))
    sector: Mapped[str | None] = mapped_column(String(KEY_MAX))
    source: Mapped[str] = mapped_column(String(16))
    reviewed: Mapped[bool] = mapped_column(Boolean, default=True)
    predicted_label: Mapped[str | None] = mapped_column(String(KEY_MAX))
    confidence: Mapped[float | None] = mapped_column(Float)
    alternatives: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    run_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IndustryNode(InputSchema):
    """A label as people write it; ``key`` defaults to a slug of the English name."""

    key: str = Field(default="", max_length=KEY_MAX)
    en: str = Field(min_length=1, max_length=NAME_MAX, description="English name")
    zh: str | None = Field(default=None, max_length=NAME_MAX, description="Chinese name")
    description_en: str | None = Field(default=None, max_length=DESCRIPTION_MAX,
                                       description="What companies with this label do (English); zero-shot "
                                                   "classification compares descriptions of accounts with it")
    description_zh: str | None = Field(default=None, max_length=DESCRIPTION_MAX, description="The same in Chinese")
    aliases: list[str] = Field(default_factory=list, max_length=50,
                               description="Other names people use for it (matched like the names)")

    @model_validator(mode="after")
    def _fill_key(self) -> IndustryNode:
        self.key = slug(self.key or self.en)
        if not self.key:
            raise ValueError(f"label {self.en!r} gives no key: name it with letters or digits or give a key")
        self.aliases = [a.strip() for a in self.aliases if a and a.strip()]
        return self

    def names(self) -> set[str]:
        """Every matching form this label answers to (key, names, aliases)."""
        return {label_key(n) for n in (self.key, self.en, self.zh, *self.aliases) if n}


class SectorNode(IndustryNode):
    industries: list[IndustryNode] = Field(default_factory=list, max_length=1000)


class TaxonomyIn(InputSchema):
    """A whole taxonomy (what PUT /industry/taxonomy and `classify taxonomy --import` take). Keys must be unique
    and no name or alias may point at two labels; at least two labels to choose from."""

    name: str | None = Field(default=None, max_length=NAME_MAX)
    sectors: list[SectorNode] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _check(self) -> TaxonomyIn:
        owner: dict[str, str] = {}
        keys: set[str] = set()
        for node in [n for s in self.sectors for n in (s, *s.industries)]:
            if node.key in keys:  # two labels with one key (or one name that gives it) would clash in the table
                raise ValueError(f"the key {node.key!r} is used by two labels: keys must be unique")
            keys.add(node.key)
            for name in node.names():
                if owner.setdefault(name, node.key) != node.key:
                    raise ValueError(f"{name!r} names both {owner[name]!r} and {node.key!r}: keys, names and "
                                     "aliases must each point at one label")
        leaves = sum(len(s.industries) or 1 for s in self.sectors)
        if leaves < 2:
            raise ValueError("a taxonomy needs at least two labels to choose from")
        return self


class TaxonomyPublic(UTCSchema):
    """The taxonomy in effect: the workspace's own (``source`` workspace) or the shipped default."""

    source: Literal["default", "workspace"]
    name: str | None = None
    n_sectors: int
    n_industries: int
    updated_at: datetime | None = None
    sectors: list[SectorNode]


DEFAULT_FILE = "industry_taxonomy.json"


@lru_cache(maxsize=1)
def default_taxonomy() -> TaxonomyIn:
    """The shipped taxonomy, validated once (a broken data file fails here, loudly)."""
    text = (resources.files("bizpilot.domain") / "data" / DEFAULT_FILE).read_text(encoding="utf-8")
    data = {k: v for k, v in json.loads(text).items() if not k.startswith("_") and k != "version"}
    return TaxonomyIn.model_validate(data)


__all__ = ["SOURCES", "AccountIndustry", "IndustryLabel", "IndustryNode", "SectorNode", "Source", "TaxonomyIn",
           "TaxonomyPublic", "default_taxonomy", "label_key", "slug"]
