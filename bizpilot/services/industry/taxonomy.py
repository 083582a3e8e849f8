"""The workspace taxonomy: read the one in effect, replace it (admin), import it from a file, go back to the default,
and resolve what people write ("Banks - Regional", "community banks", "区域银行") to one label.

A workspace's rows in ``industry_labels`` are its whole taxonomy; with none, the shipped default applies. Functions
take a ``session`` and only flush: the edge commits, so a bad import changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bizpilot.domain.industry import (
    IndustryLabel,
    IndustryNode,
    SectorNode,
    TaxonomyIn,
    TaxonomyPublic,
    default_taxonomy,
    label_key,
)
from bizpilot.errors import NotFoundError, RowError, UnsupportedFormat, ValidationFailed

CSV_COLUMNS = ("sector", "industry", "zh", "description_en", "description_zh", "aliases")


@dataclass(frozen=True)
class Label:
    """One label of the taxonomy as the classifier sees it: a leaf (an industry, or a sector without
    industries) with its sector."""

    key: str
    en: str
    zh: str | None
    sector_key: str
    sector_en: str
    sector_zh: str | None
    node: IndustryNode

    def text(self, lang: str = "en") -> str:
        """What zero-shot compares descriptions with: the name and what such companies do."""
        if lang == "zh" and self.node.zh:
            return f"{self.node.zh}：{self.node.description_zh or ''}".rstrip("：")
        return f"{self.node.en}: {self.node.description_en or ''}".rstrip(": ")


class LabelIndex:
    """The taxonomy's leaves, and every name or alias of a sector or leaf resolved to its node."""

    def __init__(self, taxonomy: TaxonomyIn) -> None:
        self.taxonomy = taxonomy
        self.leaves: list[Label] = []
        self.sectors: dict[str, SectorNode] = {}
        self._by_name: dict[str, IndustryNode] = {}
        self._leaf: dict[str, Label] = {}
        for sector in taxonomy.sectors:
            self.sectors[sector.key] = sector
            for name in sector.names():
                self._by_name[name] = sector
            for node in sector.industries or [sector]:
                label = Label(node.key, node.en, node.zh, sector.key, sector.en, sector.zh, node)
                self.leaves.append(label)
                self._leaf[node.key] = label
                for name in node.names():
                    self._by_name[name] = node

    def node(self, name: str | None) -> IndustryNode | None:
        """The sector or industry ``name`` (a key, name or alias, any spelling ``label_key`` folds) means."""
        return self._by_name.get(label_key(name)) if name else None

    def leaf(self, name: str | None) -> Label | None:
        """The leaf label ``name`` means (None for a sector that has industries, or an unknown name)."""
        node = self.node(name)
        return self._leaf.get(node.key) if node is not None else None

    def sector_of(self, name: str | None) -> SectorNode | None:
        """The sector of a leaf, or the sector itself."""
        node = self.node(name)
        if node is None:
            return None
        if node.key in self.sectors:
            return self.sectors[node.key]
        return self.sectors[self._leaf[node.key].sector_key]

    def sector_text(self, key: str) -> str:
        sector = self.sectors[key]
        return f"{sector.en}: {sector.description_en or ''}".rstrip(": ")


def _nodes(rows: list[IndustryLabel]) -> TaxonomyIn:
    sectors: dict[str, SectorNode] = {}
    children: dict[str, list[IndustryNode]] = {}
    for row in sorted(rows, key=lambda r: (r.position, r.id)):
        fields = {"key": row.key, "en": row.en, "zh": row.zh, "description_en": row.description_en,
                  "description_zh": row.description_zh, "aliases": list(row.aliases or [])}
        if row.parent_key is None:
            sectors[row.key] = SectorNode(**fields)
        else:
            children.setdefault(row.parent_key, []).append(IndustryNode(**fields))
    for key, nodes in children.items():
        if key in sectors:
            sectors[key].industries = nodes
    return TaxonomyIn(sectors=list(sectors.values()))


def workspace_taxonomy(*, session: Session) -> TaxonomyIn | None:
    """The workspace's own taxonomy, or None when it uses the default."""
    rows = list(session.scalars(select(IndustryLabel)))
    return _nodes(rows) if rows else None


def taxonomy_in_effect(*, session: Session) -> TaxonomyIn:
    return workspace_taxonomy(session=session) or default_taxonomy()


def label_index(*, session: Session) -> LabelIndex:
    return LabelIndex(taxonomy_in_effect(session=session))


def public(*, session: Session) -> TaxonomyPublic:
    """The taxonomy in effect as the API and CLI show it."""
    own = workspace_taxonomy(session=session)
    taxonomy = own or default_taxonomy()
    updated = session.scalar(select(func.max(IndustryLabel.updated_at))) if own else None
    return TaxonomyPublic(source="workspace" if own else "default", name=None if own else taxonomy.name,
                          n_sectors=len(taxonomy.sectors),
                          n_industries=sum(len(s.industries) for s in taxonomy.sectors),
                          updated_at=updated, sectors=taxonomy.sectors)


def set_taxonomy(*, session: Session, taxonomy: TaxonomyIn) -> TaxonomyPublic:
    """Replace the workspace's taxonomy with ``taxonomy`` (validated); accounts keep their industries, and the
    next training of the ``industry`` model classifies with the new labels."""
    session.execute(delete(IndustryLabel))
    position = 0
    for sector in taxonomy.sectors:
        for node, parent in ((sector, None), *((n, sector.key) for n in sector.industries)):
            session.add(IndustryLabel(key=node.key, parent_key=parent, position=position, en=node.en, zh=node.zh,
                                      description_en=node.description_en, description_zh=node.description_zh,
                                      aliases=list(node.aliases)))
            position += 1
    session.flush()
    return public(session=session)


def reset_taxonomy(*, session: Session) -> TaxonomyPublic:
    """Drop the workspace's own taxonomy: the shipped default applies again."""
    session.execute(delete(IndustryLabel))
    session.flush()
    return public(session=session)


def validate_taxonomy(data: Any, *, where: str = "taxonomy") -> TaxonomyIn:
    """A taxonomy from parsed JSON, or ``ValidationFailed`` naming each bad field."""
    try:
        return TaxonomyIn.model_validate(data)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in err["loc"]) or "taxonomy",
                    "reason": err["msg"].removeprefix("Value error, ")} for err in exc.errors()]
        first = details[0]
        raise ValidationFailed(f"{where}: invalid taxonomy: {first['field']}: {first['reason']}",
                               details=details) from None


def read_taxonomy_file(path: Path) -> TaxonomyIn:
    """A taxonomy from a JSON file (the shipped format: ``{"sectors": [{"en", "zh", "description_en", ...,
    "industries": [...]}]}``) or a CSV file with the columns ``sector, industry, zh, description_en,
    description_zh, aliases`` (aliases separated by ``|``; a row without ``industry`` describes the sector;
    a taxonomy of segments is sectors only). Errors name the file and the row."""
    if not path.is_file():
        raise NotFoundError(f"taxonomy file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path} is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not k.startswith("_") and k != "version"}
        return validate_taxonomy(data, where=str(path))
    if suffix in (".csv", ".tsv"):
        return _from_csv(path, text, "\t" if suffix == ".tsv" else ",")
    raise UnsupportedFormat(f"{path}: a taxonomy is a .json or .csv file")


def _from_csv(path: Path, text: str, delimiter: str) -> TaxonomyIn:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "sector" not in header:
        raise ValidationFailed(f"{path}: no 'sector' column (columns: {', '.join(CSV_COLUMNS)})",
                               details=[RowError(row=1, field="sector", reason="column not found").to_dict()])
    sectors: dict[str, dict[str, Any]] = {}
    errors: list[RowError] = []
    for lineno, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        if not row.get("sector"):
            errors.append(RowError(row=lineno, field="sector", reason="empty"))
            continue
        fields = {"zh": row.get("zh") or None, "description_en": row.get("description_en") or None,
                  "description_zh": row.get("description_zh") or None,
                  "aliases": [a for a in (row.get("aliases") or "").split("|") if a.strip()]}
        sector = sectors.setdefault(row["sector"], {"en": row["sector"], "industries": []})
        if row.get("industry"):
            sector["industries"].append({"en": row["industry"], **fields})
        else:
            sector.update({k: v for k, v in fields.items() if v})
    if errors:
        raise ValidationFailed(f"{path}: {len(errors)} bad row(s); first: line {errors[0].row}, column "
                               f"{errors[0].field!r}: {errors[0].reason}", details=[e.to_dict() for e in errors])
    return validate_taxonomy({"sectors": list(sectors.values())}, where=str(path))


__all__ = ["CSV_COLUMNS", "Label", "LabelIndex", "label_index", "public", "read_taxonomy_file", "reset_taxonomy",
           "set_taxonomy", "taxonomy_in_effect", "validate_taxonomy", "workspace_taxonomy"]
