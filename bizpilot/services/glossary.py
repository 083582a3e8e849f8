"""The workspace glossary: list, set, delete and import terms, translate one, and a cached lookup for content
generation. Workspace rows override the shipped defaults (``domain/data/glossary.json``) term by term.

Functions take a ``session`` and never commit: the edge (CLI, API, demo builder) owns the transaction, so an
import with one bad row writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bizpilot.domain.glossary import (
    GLOSSARY_KINDS,
    GlossaryEntry,
    GlossaryTerm,
    GlossaryTermCreate,
    default_terms,
    normalise_key,
)
from bizpilot.errors import NotFoundError, UnsupportedFormat, ValidationFailed

Outcome = Literal["inserted", "updated", "unchanged"]
FILE_COLUMNS = ("kind", "key", "en", "zh", "note")


@dataclass(frozen=True)
class TermChange:
    """What a write did: the term now in effect and whether the row was inserted, updated or left as it was."""

    entry: GlossaryEntry
    outcome: Outcome


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    inserted: int
    updated: int
    unchanged: int

    def to_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


class GlossaryLookup:
    """An immutable snapshot of the glossary in effect (defaults overlaid with workspace rows), indexed by
    (kind, normalised key) for the many small lookups one generation makes."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self._by_key: dict[tuple[str, str], GlossaryEntry] = {}
        for entry in entries:
            self._by_key[(entry.kind, entry.key)] = entry

    def get(self, kind: str, text: str) -> GlossaryEntry | None:
        return self._by_key.get((kind, normalise_key(text)))

    def zh(self, kind: str, text: str) -> str | None:
        entry = self.get(kind, text)
        return entry.zh if entry else None

    def en(self, kind: str, text: str) -> str | None:
        entry = self.get(kind, text)
        return entry.en if entry else None

    def entries(self) -> list[GlossaryEntry]:
        return sorted(self._by_key.values(), key=lambda e: (GLOSSARY_KINDS.index(e.kind), e.key))


_lock = threading.Lock()
_default: GlossaryLookup | None = None
_cache: dict[tuple[Any, ...], GlossaryLookup] = {}
_CACHE_SIZE = 8
_revision = 0  # bumped by every write in this process, so a same-timestamp edit still misses the cache


def default_lookup() -> GlossaryLookup:
    """The shipped glossary alone (what content uses when no workspace is in play)."""
    global _default
    if _default is None:
        _default = GlossaryLookup(default_terms())
    return _default


def invalidate_cache() -> None:
    """Forget every cached workspace lookup (writes call this; other processes' writes are caught by the
    fingerprint ``lookup_for`` checks)."""
    global _revision
    with _lock:
        _revision += 1
        _cache.clear()


def _entry(row: GlossaryTerm) -> GlossaryEntry:
    return GlossaryEntry(kind=row.kind, key=row.key, en=row.en, zh=row.zh, note=row.note, source="workspace",
                         id=row.id, updated_at=row.updated_at)


def lookup_for(*, session: Session) -> GlossaryLookup:
    """The glossary in effect for the session's workspace, cached until its terms change. One tiny query
    (count, newest update, highest id) tells whether the cached snapshot is still current, including after
    edits from another process (CLI while the server runs)."""
    bind = session.get_bind()
    url = getattr(bind, "engine", bind).url.render_as_string(hide_password=False)
    count, newest, top = session.execute(
        select(func.count(GlossaryTerm.id), func.max(GlossaryTerm.updated_at), func.max(GlossaryTerm.id))).one()
    key = (url, count, newest, top, _revision)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = session.scalars(select(GlossaryTerm)).all()
    lookup = GlossaryLookup([*default_terms(), *(_entry(r) for r in rows)])
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = lookup
    return lookup


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in GLOSSARY_KINDS:
        raise ValidationFailed(f"unknown glossary kind {kind!r}; choose one of {', '.join(GLOSSARY_KINDS)}",
                               details=[{"field": "kind", "reason": "unknown kind"}])


def list_terms(*, session: Session, kind: str | None = None, source: str | None = None,
               q: str | None = None) -> list[GlossaryEntry]:
    """The glossary in effect, by kind then key; ``source`` ('default' or 'workspace') and ``q`` (a
    case-insensitive piece of key, en or zh) narrow it."""
    _check_kind(kind)
    if source not in (None, "default", "workspace"):
        raise ValidationFailed("source must be 'default' or 'workspace'",
                               details=[{"field": "source", "reason": "unknown source"}])
    needle = (q or "").strip().lower()
    return [e for e in lookup_for(session=session).entries()
            if (kind is None or e.kind == kind) and (source is None or e.source == source)
            and (not needle or needle in e.key or needle in e.en.lower() or needle in e.zh)]


def _validated(row: Mapping[str, Any], *, row_no: int | None = None) -> GlossaryTermCreate:
    """A term from user input, or ValidationFailed naming the field (and the row, for files)."""
    try:
        return GlossaryTermCreate.model_validate({k: v for k, v in row.items() if v is not None})
    except ValidationError as exc:
        details = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or ("key" if "key or en" in err["msg"] else "row")
            reason = err["msg"].removeprefix("Value error, ")
            details.append({"row": row_no, "field": field, "reason": reason} if row_no is not None
                           else {"field": field, "reason": reason})
        where = f"row {row_no}: " if row_no is not None else ""
        raise ValidationFailed(f"{where}invalid glossary term: " + "; ".join(
            f"{d['field']}: {d['reason']}" for d in details), details=details) from None


def _write(session: Session, term: GlossaryTermCreate, *, keep_existing: bool = False) -> tuple[GlossaryTerm, Outcome]:
    row = session.scalar(select(GlossaryTerm).where(GlossaryTerm.kind == term.kind, GlossaryTerm.key == term.key))
    if row is None:
        row = GlossaryTerm(kind=term.kind, key=term.key, en=term.en, zh=term.zh, note=term.note)
        session.add(row)
        return row, "inserted"
    if keep_existing or (row.en, row.zh, row.note) == (term.en, term.zh, term.note):
        return row, "unchanged"
    row.en, row.zh, row.note = term.en, term.zh, term.note
    return row, "updated"


def upsert_term(*, session: Session, kind: str, key: str, zh: str, en: str | None = None,
                note: str | None = None) -> TermChange:
    """Set the workspace's rendering of one term (insert or replace); ``en`` defaults to the key as written."""
    term = _validated({"kind": kind, "key": key, "en": en or "", "zh": zh, "note": note})
    row, outcome = _write(session, term)
    session.flush()
    invalidate_cache()
    return TermChange(_entry(row), outcome)


def delete_term(*, session: Session, kind: str, key: str) -> GlossaryEntry | None:
    """Remove the workspace's own term; returns the shipped default now in effect (None when there is none)."""
    _check_kind(kind)
    norm = normalise_key(key)
    row = session.scalar(select(GlossaryTerm).where(GlossaryTerm.kind == kind, GlossaryTerm.key == norm))
    if row is None:
        raise NotFoundError(f"the workspace glossary has no {kind} {norm!r} (shipped defaults cannot be deleted, "
                            "only overridden)", details=[{"field": "key", "reason": "no workspace term"}])
    session.delete(row)
    session.flush()
    invalidate_cache()
    return default_lookup().get(kind, norm)


def import_terms(*, session: Session, rows: Iterable[Mapping[str, Any]], first_row: int = 1,
                 keep_existing: bool = False) -> ImportSummary:
    """Write many terms (kind, key, en, zh, note) at once. Every row is validated first: one bad row, or one
    term given twice with different renderings, raises ValidationFailed naming the rows and writes nothing.
    ``first_row`` is the number of the first row as the user sees it (2 for a CSV under its header);
    ``keep_existing`` leaves terms the workspace already has alone (the demo seeds this way)."""
    terms: dict[tuple[str, str], tuple[int, GlossaryTermCreate]] = {}
    problems: list[dict[str, Any]] = []
    count = 0
    for count, raw in enumerate(rows, start=1):
        row_no = first_row + count - 1
        try:
            term = _validated(raw, row_no=row_no)
        except ValidationFailed as exc:
            problems += exc.details
            continue
        seen = terms.get((term.kind, term.key))
        if seen is not None and (seen[1].en, seen[1].zh, seen[1].note) != (term.en, term.zh, term.note):
            problems.append({"row": row_no, "field": "key",
                             "reason": f"{term.kind} {term.key!r} is also on row {seen[0]} with another rendering"})
            continue
        terms[(term.kind, term.key)] = (row_no, term)
    if problems:
        rows_named = sorted({p["row"] for p in problems})
        raise ValidationFailed(f"{len(rows_named)} bad glossary row(s) ({', '.join(map(str, rows_named[:10]))}"
                               f"{', ...' if len(rows_named) > 10 else ''}); nothing was imported",
                               details=problems)
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for _, term in terms.values():
        counts[_write(session, term, keep_existing=keep_existing)[1]] += 1
    session.flush()
    invalidate_cache()
    return ImportSummary(rows=count, **counts)


def read_terms_file(path: Path) -> tuple[list[dict[str, Any]], int]:
    """(rows, number of the first row) from a CSV/TSV with a header (kind,key,en,zh[,note]), a JSON list of
    objects (or ``{"terms": [...]}``) or JSON Lines."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no such file: {path}", details=[{"field": "file", "reason": "not found"}])
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix in (".csv", ".tsv", ".txt"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        header = [normalise_key(h or "") for h in (reader.fieldnames or [])]
        missing = [c for c in ("kind", "zh") if c not in header]
        if missing or not {"key", "en"} & set(header):
            need = missing or ["key or en"]
            raise ValidationFailed(f"{path.name}: the header needs columns kind, key and/or en, zh "
                                   f"(missing: {', '.join(need)})",
                                   details=[{"row": 1, "field": c, "reason": "missing column"} for c in need])
        unknown = [h for h in header if h not in FILE_COLUMNS]
        if unknown:
            raise ValidationFailed(f"{path.name}: unknown column(s) {', '.join(unknown)}; columns: "
                                   f"{', '.join(FILE_COLUMNS)}",
                                   details=[{"row": 1, "field": h, "reason": "unknown column"} for h in unknown])
        rows = [{normalise_key(k or ""): (v.strip() if isinstance(v, str) else v) for k, v in r.items()}
                for r in reader]
        return rows, 2
    if suffix in (".json", ".jsonl"):
        try:
            if suffix == ".jsonl":
                data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"{path.name}: not valid JSON ({exc.msg}, line {exc.lineno})",
                                   details=[{"row": exc.lineno, "field": "file", "reason": exc.msg}]) from None
        data = data.get("terms") if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValidationFailed(f"{path.name}: expected a list of objects with kind, key, en, zh",
                                   details=[{"field": "file", "reason": "not a list of objects"}])
        return data, 1
    raise UnsupportedFormat(f"{path.name}: glossary files are .csv, .tsv, .json or .jsonl",
                            details=[{"field": "file", "reason": f"unsupported extension {suffix or '(none)'}"}])


def translate(*, session: Session, kind: str, text: str, language: str = "zh") -> str | None:
    """The workspace's rendering of ``text`` as a ``kind`` term in ``language`` ('zh', or 'en' for the English
    label of a key such as ``ip_rating``); None when the glossary does not know it."""
    _check_kind(kind)
    if language not in ("zh", "en"):
        raise ValidationFailed("language must be 'zh' or 'en'",
                               details=[{"field": "language", "reason": "unknown language"}])
    lookup = lookup_for(session=session)
    return lookup.zh(kind, text) if language == "zh" else lookup.en(kind, text)


_VARIANT_SPLIT = re.compile(r"\s*[、,，;；|/]\s*")


def synonym_groups(*, session: Session) -> dict[str, list[str]]:
    """The workspace's own search variants: each glossary term of kind ``term`` that the workspace wrote is one
    group of its key, English and Chinese words (several variants may be listed in one field, separated by
    ``、 , ; | /``). Knowledge-base search merges them with the built-in variant table, so
    ``term "free shipping" zh "包邮、免邮费"`` adds both words to the free-shipping group."""
    groups: dict[str, list[str]] = {}
    for entry in lookup_for(session=session).entries():
        if entry.source != "workspace" or entry.kind != "term":
            continue
        words = [entry.key, *_VARIANT_SPLIT.split(entry.en), *_VARIANT_SPLIT.split(entry.zh)]
        groups[entry.key] = [w for w in dict.fromkeys(w.strip() for w in words) if w]
    return groups


__all__ = ["GlossaryLookup", "ImportSummary", "TermChange", "default_lookup", "delete_term", "import_terms",
           "invalidate_cache", "list_terms", "lookup_for", "read_terms_file", "synonym_groups", "translate",
           "upsert_term"]
