"""The pairs a workspace embedding model learns from: a team's file, or the workspace's own knowledge base.

Files (``bizpilot train embedder --pairs FILE``):

* ATEC-style TSV, no header: ``id<TAB>q1<TAB>q2<TAB>label`` (label 1: same question, 0: not; the 0 pairs become
  hard negatives);
* CSV (header) or JSON Lines with ``query,positive[,negative]`` or ``q1,q2,label`` (aliases: question/anchor,
  answer/passage/article, text1/text2, sentence1/sentence2).

From the workspace: each knowledge-base article's title paired with each of its chunks (what a customer asks, the
text that answers it). Hand-off tickets carry no link to an article an agent used, so they give no pairs (yet).

Held-out parts are split by connected groups of paraphrases (texts joined by matching pairs land on one side, and
non-matching pairs touching a held-out text are not trained on), so a measured gain is on questions never seen in
training.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.errors import RowError, ValidationFailed
from bizpilot.services.evaluation.files import raise_row_errors, read_json_records, read_text_file

ANCHOR = ("query", "q1", "question", "anchor", "text1", "sentence1", "title")
POSITIVE = ("positive", "q2", "answer", "passage", "article", "text2", "sentence2", "chunk")
NEGATIVE = ("negative", "hard_negative")
LABEL = ("label", "match", "is_duplicate")


@dataclass
class PairSet:
    """Distinct texts and index pairs over them: ``pairs`` match, ``negatives`` do not."""

    texts: list[str] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    negatives: list[tuple[int, int]] = field(default_factory=list)
    source: str = ""
    _where: dict[str, int] = field(default_factory=dict, repr=False)

    def _id(self, text: str) -> int:
        if text not in self._where:
            self._where[text] = len(self.texts)
            self.texts.append(text)
        return self._where[text]

    def add(self, a: str, b: str, match: bool) -> None:
        a, b = a.strip(), b.strip()
        if a and b and a != b:
            (self.pairs if match else self.negatives).append((self._id(a), self._id(b)))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.array(self.pairs, dtype=np.int64).reshape(-1, 2),
                np.array(self.negatives, dtype=np.int64).reshape(-1, 2))


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    lower = {h.strip().lower(): h for h in header}
    return next((lower[n] for n in names if n in lower), None)


def _label(value: Any, path: Path, line: int, errors: list[RowError]) -> bool | None:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "1.0"):
        return True
    if text in ("0", "false", "no", "0.0"):
        return False
    errors.append(RowError(row=line, field="label", reason=f"expected 0 or 1, got {value!r}"))
    return None


def _records(path: Path, rows: list[tuple[int, dict[str, Any]]], header: list[str]) -> PairSet:
    anchor, positive = _column(header, ANCHOR), _column(header, POSITIVE)
    negative, label = _column(header, NEGATIVE), _column(header, LABEL)
    if anchor is None or positive is None:
        raise ValidationFailed(f"{path}: needs columns query,positive[,negative] or q1,q2,label; found "
                               f"{', '.join(header) or 'none'}",
                               details=[RowError(row=1, field="(header)", reason="no query/positive columns")
                                        .to_dict()])
    out = PairSet(source=str(path))
    errors: list[RowError] = []
    for line, row in rows:
        a, b = str(row.get(anchor) or ""), str(row.get(positive) or "")
        if not a.strip() or not b.strip():
            errors.append(RowError(row=line, field=anchor if not a.strip() else positive, reason="empty text"))
            continue
        match = True if label is None else _label(row.get(label), path, line, errors)
        if match is None:
            continue
        out.add(a, b, match)
        if negative is not None and str(row.get(negative) or "").strip():
            out.add(a, str(row[negative]), False)
    raise_row_errors(path, errors)
    return out


def _looks_atec(first: str) -> bool:
    cells = first.rstrip("\r\n").split("\t")
    return len(cells) == 4 and cells[3].strip() in ("0", "1")


def read_pairs(path: Path) -> PairSet:
    """The pairs of a file (see the module docstring); bad rows raise one error naming each line and field."""
    text = read_text_file(path)
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = []
        for line, rec in read_json_records(path):
            if not isinstance(rec, dict):
                raise ValidationFailed(f"{path}: line {line}: expected an object with query and positive",
                                       details=[RowError(row=line, field="(line)", reason="not an object")
                                                .to_dict()])
            rows.append((line, rec))
        header = list(dict.fromkeys(k for _, r in rows for k in r))
        return _records(path, rows, header)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if _looks_atec(first) or (path.suffix.lower() == ".tsv" and first.count("\t") == 3
                              and _column(first.split("\t"), ANCHOR) is None):
        out = PairSet(source=str(path))
        errors: list[RowError] = []
        for line, row in enumerate(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 4:
                errors.append(RowError(row=line, field="(line)", reason=f"expected 4 tab-separated columns "
                                       f"(id, q1, q2, label), got {len(row)}"))
                continue
            match = _label(row[3], path, line, errors) if line > 1 or _looks_atec("\t".join(row)) else None
            if match is not None:
                out.add(row[1], row[2], match)
        raise_row_errors(path, errors)
        return out
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = [(i, r) for i, r in enumerate(reader, start=2)]
    return _records(path, rows, list(reader.fieldnames or []))


def workspace_pairs(*, session: Session) -> PairSet:
    """Knowledge-base article titles paired with their chunks (the workspace's own question -> answer links)."""
    from bizpilot.domain.kb import KbChunk
    from bizpilot.domain.knowledge import KnowledgeArticle

    out = PairSet(source="workspace: knowledge-base article titles -> their chunks")
    rows = session.execute(select(KnowledgeArticle.title, KbChunk.text)
                           .join(KbChunk, KbChunk.article_id == KnowledgeArticle.id)
                           .order_by(KnowledgeArticle.id, KbChunk.position)).all()
    for title, chunk in rows:
        out.add(title or "", chunk or "", True)
    if not rows:  # articles not chunked yet: the title and the opening of the body
        for title, body in session.execute(select(KnowledgeArticle.title, KnowledgeArticle.body)
                                           .order_by(KnowledgeArticle.id)).all():
            out.add(title or "", (body or "")[:1000], True)
    return out


def group_split(pair_set: PairSet, *, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (held-out pairs, negatives touching a held-out text): a seeded ``share`` of the groups of
    paraphrases (texts joined by matching pairs) is held out whole, and non-matching pairs that touch a held-out
    text are left out of training too, so no held-out text is ever trained on."""
    from bizpilot.ml.text.adapter import pair_groups

    pairs, negatives = pair_set.arrays()
    groups = pair_groups(len(pair_set.texts), pairs)
    ids = np.unique(groups[pairs[:, 0]]) if len(pairs) else np.zeros(0, np.int64)
    n_held = int(round(share * len(ids)))
    held = np.random.default_rng(seed).choice(ids, size=n_held, replace=False) if n_held else ids[:0]
    held_text = np.isin(groups, held)
    held_neg = held_text[negatives[:, 0]] | held_text[negatives[:, 1]] if len(negatives) else np.zeros(0, bool)
    return held_text[pairs[:, 0]] if len(pairs) else np.zeros(0, bool), held_neg


__all__ = ["PairSet", "group_split", "read_pairs", "workspace_pairs"]
