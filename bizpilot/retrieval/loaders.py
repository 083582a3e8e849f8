"""Knowledge-base loaders: Markdown, HTML, plain text, FAQ CSV (question,answer) and the KnowledgeArticle table.

Each returns chunks ready to index. Bad input names the file (and the CSV line/column) that is wrong.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from bizpilot.errors import ValidationFailed
from bizpilot.retrieval.analyzers import detect_language
from bizpilot.retrieval.chunking import Chunker, html_to_markdown
from bizpilot.retrieval.types import Chunk

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "text",
            ".csv": "faq"}
_Q_COLS = ("question", "q", "问题", "title")
_A_COLS = ("answer", "a", "答案", "回答", "body")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path}: not UTF-8 text", details=[{"row": 0, "field": "file",
                                                                    "reason": "not UTF-8"}]) from None


def load_faq_csv(path: Path, *, text: str | None = None) -> list[Chunk]:
    """One chunk per row; the question is the chunk's heading (what users ask), the answer its text."""
    raw = text if text is not None else _read(path)
    reader = csv.DictReader(io.StringIO(raw))
    cols = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
    q_col = next((cols[c] for c in _Q_COLS if c in cols), None)
    a_col = next((cols[c] for c in _A_COLS if c in cols), None)
    if not q_col or not a_col:
        raise ValidationFailed(f"{path}: an FAQ CSV needs 'question' and 'answer' columns, found "
                               f"{reader.fieldnames}", details=[{"row": 1, "field": "question/answer",
                                                                 "reason": "missing column"}])
    chunks = []
    for line_no, row in enumerate(reader, start=2):
        q, a = (row.get(q_col) or "").strip(), (row.get(a_col) or "").strip()
        if not q and not a:
            continue
        if not q or not a:
            missing = "question" if not q else "answer"
            raise ValidationFailed(f"{path}: line {line_no}: empty {missing}",
                                   details=[{"row": line_no, "field": missing, "reason": "empty"}])
        chunks.append(Chunk(text=a, source=path.name, title=None, heading_path=q,
                            language=detect_language(q + a), position=len(chunks)))
    return chunks


def load_file(path: Path | str, *, chunker: Chunker | None = None) -> list[Chunk]:
    """Chunks of one document, chosen by suffix (.md/.markdown, .html/.htm, .txt, .csv FAQ)."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValidationFailed(f"{path}: unsupported file type {path.suffix!r}; use one of {sorted(SUFFIXES)}")
    if kind == "faq":
        return load_faq_csv(path)
    chunker = chunker or Chunker()
    text = _read(path)
    title = None
    if kind == "html":
        text, title = html_to_markdown(text)
    if not title:  # a Markdown document's first H1 is its title
        m = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
        title = m.group(1) if m else None
    return chunker.run(text, source=path.name, title=title or path.stem.replace("_", " ").replace("-", " "))


def load_path(path: Path | str, *, chunker: Chunker | None = None) -> list[Chunk]:
    """A file, or every supported file under a folder (sorted, so ingestion is reproducible)."""
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(f"{path}: no such file or folder")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
    out: list[Chunk] = []
    for f in files:
        for c in load_file(f, chunker=chunker):
            if path.is_dir():
                c.source = str(f.relative_to(path))
            out.append(c)
    return out


def article_chunks(articles: Iterable, *, chunker: Chunker | None = None) -> list[Chunk]:
    """Chunks of KnowledgeArticle rows (anything with id, external_id, title, body, language)."""
    chunker = chunker or Chunker()
    out: list[Chunk] = []
    for a in articles:
        out.extend(chunker.run(a.body, source=f"kb:{a.external_id}", title=a.title, language=a.language,
                               article_id=a.id))
    return out
