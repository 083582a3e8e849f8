"""Chunking that keeps headings: every chunk knows the section path it sits under.

An answer cited as "Returns > Damaged goods" is checkable; a bare paragraph is not. Markdown is split at headings,
then sections are packed into chunks of at most ``max_chars`` along paragraph and sentence boundaries (Chinese
sentence marks included), with a short overlap only when a single paragraph must be cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from bizpilot.retrieval.analyzers import detect_language
from bizpilot.retrieval.types import Chunk

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SENTENCE = re.compile(r"(?<=[.!?。！？；;])\s*")


@dataclass
class Section:
    path: list[str]
    paragraphs: list[str]


def markdown_sections(text: str) -> list[Section]:
    """Split Markdown into sections by heading, each with its full heading path (``["Shipping", "Costs"]``)."""
    sections: list[Section] = [Section([], [])]
    stack: list[tuple[int, str]] = []
    para: list[str] = []
    in_code = False

    def flush() -> None:
        if para:
            sections[-1].paragraphs.append("\n".join(para).strip())
            para.clear()

    for line in (text or "").splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m:
            flush()
            level, title = len(m.group(1)), m.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            sections.append(Section([t for _, t in stack], []))
        elif not line.strip() and not in_code:
            flush()
        else:
            para.append(line.rstrip())
    flush()
    return [s for s in sections if any(p for p in s.paragraphs)]


def _split_long(paragraph: str, max_chars: int, overlap: int) -> list[str]:
    sentences = [s for s in _SENTENCE.split(paragraph) if s]
    out: list[str] = []
    cur = ""
    for s in sentences:
        while len(s) > max_chars:  # one huge "sentence": hard cut with overlap
            out.append((cur + s[: max_chars - len(cur)]).strip())
            s = s[max_chars - len(cur) - overlap:]
            cur = ""
        if len(cur) + len(s) + 1 > max_chars and cur:
            out.append(cur.strip())
            cur = cur[-overlap:] if overlap else ""
        cur = f"{cur} {s}" if cur and not _is_cjk_join(cur, s) else cur + s
    if cur.strip():
        out.append(cur.strip())
    return out


def _is_cjk_join(a: str, b: str) -> bool:
    return bool(a) and bool(b) and ord(a[-1]) > 0x2E80 and ord(b[0]) > 0x2E80


class Chunker:
    """``run(text, source=..., title=...)`` -> chunks of Markdown (plain text is Markdown without headings)."""

    def __init__(self, *, max_chars: int = 800, overlap: int = 80) -> None:
        self.max_chars = max_chars
        self.overlap = overlap

    def run(self, text: str, *, source: str, title: str | None = None, language: str | None = None,
            article_id: int | None = None) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in markdown_sections(text):
            path = list(section.path)
            if title and path and path[0].strip().lower() == title.strip().lower():
                path = path[1:]  # the document's own H1 repeats its title
            pieces: list[str] = []
            cur = ""
            for p in section.paragraphs:
                if len(p) > self.max_chars:
                    if cur:
                        pieces.append(cur)
                        cur = ""
                    pieces.extend(_split_long(p, self.max_chars, self.overlap))
                elif len(cur) + len(p) + 2 > self.max_chars and cur:
                    pieces.append(cur)
                    cur = p
                else:
                    cur = f"{cur}\n\n{p}" if cur else p
            if cur:
                pieces.append(cur)
            for piece in pieces:
                chunks.append(Chunk(text=piece, source=source, title=title, heading_path=" > ".join(path) or None,
                                    language=language or detect_language(piece), position=len(chunks),
                                    article_id=article_id))
        return chunks


class _HtmlToMarkdown(HTMLParser):
    _BLOCK = {"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote", "pre", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002
        if tag in ("script", "style", "nav", "footer"):
            self.skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in self._BLOCK:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self.skip = max(0, self.skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in self._BLOCK:
            self.out.append("\n\n")
        elif tag in ("td", "th"):
            self.out.append(" | ")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_markdown(html: str) -> tuple[str, str | None]:
    """Headings become Markdown headings so :class:`Chunker` keeps them; returns (markdown, <title>)."""
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [ln.strip() for ln in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), parser.title
