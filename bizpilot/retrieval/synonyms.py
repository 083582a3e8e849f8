"""Query expansion with a bilingual variant table: customers ask in words the knowledge base does not use
("包邮" for an article that says "免运费", "short shipment" for "missing items"), so a question that uses one word
of a group is also searched with the others.

Only the query is expanded; indexed documents stay as written. The built-in table (``data/synonyms.json``) covers
common B2B commerce terms in both languages; a workspace adds groups of its own (its glossary terms of kind
``term``, see ``services/glossary.synonym_groups``), and groups that share a word are merged, so a workspace
variant of a built-in word joins that word's group.

Matching: a Chinese phrase matches as a substring of the text; an English phrase matches as a run of the
analyzer's tokens (lower case, stopwords dropped, stemmed), so "Is shipping free?" matches "shipping is free" and
"invoices" matches "invoice".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bizpilot.retrieval.analyzers import EnglishAnalyzer

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")


def _norm(phrase: str) -> str:
    return _SPACES.sub(" ", str(phrase)).strip().lower()


@dataclass(frozen=True)
class Expansion:
    """What a text matched: the groups (by name) and the variants it did not already contain."""

    groups: tuple[str, ...]
    terms: tuple[str, ...]

    def to_dict(self) -> dict[str, list[str]]:
        return {"groups": list(self.groups), "terms": list(self.terms)}


class QueryExpander:
    """``run(text)`` -> :class:`Expansion`; ``expand(query)`` -> the query with its variants appended.

    ``groups`` maps a group name to its phrases (any language). Groups sharing a phrase are merged (their name is
    the first one seen), so an added group that repeats one built-in word extends that word's group.
    """

    def __init__(self, groups: dict[str, Sequence[str]]) -> None:
        self._english = EnglishAnalyzer()
        merged: list[tuple[str, list[str]]] = []
        where: dict[str, int] = {}
        for name, phrases in groups.items():
            clean = list(dict.fromkeys(p for p in (_norm(x) for x in phrases) if p))
            hits = sorted({where[p] for p in clean if p in where})
            if hits:
                target = hits[0]
                for other in reversed(hits[1:]):  # a new group joining two existing ones merges them all
                    merged[target][1].extend(merged[other][1])
                    merged[other] = ("", [])
                merged[target] = (merged[target][0], list(dict.fromkeys([*merged[target][1], *clean])))
            else:
                merged.append((name, clean))
                target = len(merged) - 1
            for p in merged[target][1]:
                where[p] = target
        self.groups: dict[str, tuple[str, ...]] = {n: tuple(ps) for n, ps in merged if n and ps}
        # (group, phrase, english tokens or None for a Chinese substring phrase)
        self._patterns: list[tuple[str, str, tuple[str, ...] | None]] = []
        for name, phrases in self.groups.items():
            for p in phrases:
                if _CJK.search(p):
                    self._patterns.append((name, p, None))
                else:
                    toks = tuple(self._english.run(p))
                    if toks:
                        self._patterns.append((name, p, toks))

    def __len__(self) -> int:
        return len(self.groups)

    def _matches(self, text: str) -> dict[str, set[str]]:
        low = _norm(text or "")
        if not low:
            return {}
        toks = self._english.run(low)
        grams = {tuple(toks[i:i + n]) for n in range(1, 6) for i in range(len(toks) - n + 1)}
        matched: dict[str, set[str]] = {}
        spans: list[tuple[int, int, str, str]] = []  # Chinese occurrences: (start, end, group, phrase)
        for name, phrase, ptoks in self._patterns:
            if ptoks is None:
                start = low.find(phrase)
                while start >= 0:
                    spans.append((start, start + len(phrase), name, phrase))
                    start = low.find(phrase, start + 1)
            elif ptoks in grams:
                matched.setdefault(name, set()).add(phrase)
        # Chinese has no word breaks: "压坏了" holds 压坏 (transit damage) and 坏了 (a fault). Read left to right,
        # longest first, an occurrence that overlaps an earlier one of another group is not a word of the text.
        spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        taken: list[tuple[int, int, str]] = []
        for a, b, name, phrase in spans:
            if any(a < tb and ta < b and tname != name for ta, tb, tname in taken):
                continue
            taken.append((a, b, name))
            matched.setdefault(name, set()).add(phrase)
        return matched

    def found_in(self, texts: Iterable[str]) -> frozenset[str]:
        """The table's phrases that occur in ``texts`` (what a corpus already says in its own words)."""
        out: set[str] = set()
        for t in texts:
            for found in self._matches(t).values():
                out |= found
        return frozenset(out)

    def run(self, text: str, *, known: frozenset[str] | None = None) -> Expansion:
        """The groups ``text`` matches and their other words. With ``known`` (``found_in`` of the indexed texts) a
        group whose word in ``text`` the corpus already uses adds nothing: its variants would only repeat the
        question's own match and outweigh its other words ("overdue invoices" must still find payment terms)."""
        matched = self._matches(text)
        low = _norm(text or "")
        terms: list[str] = []
        for name, found in matched.items():
            if known is not None and found & known:
                continue
            terms.extend(p for p in self.groups[name] if p not in found and p not in low)
        return Expansion(tuple(matched), tuple(dict.fromkeys(terms)))

    def expand(self, query: str, *, known: frozenset[str] | None = None) -> str:
        """The query followed by the variants of every group it matched (the query unchanged when none)."""
        found = self.run(query, known=known)
        if not found.terms:
            return query
        # each word once: a group of ten English phrases must not outweigh the question's own words
        words = dict.fromkeys(w for t in found.terms for w in t.split())
        return f"{query}\n{' '.join(words)}"

    def with_groups(self, extra: dict[str, Sequence[str]]) -> QueryExpander:
        """This table plus ``extra`` groups (merged where they share a word)."""
        if not extra:
            return self
        return QueryExpander({**self.groups, **{f"custom:{k}": v for k, v in extra.items()}})


def load_table(text: str) -> dict[str, list[str]]:
    """Groups of a ``synonyms.json`` text: ``{"groups": {name: {"en": [...], "zh": [...]}}}`` (or plain lists)."""
    data = json.loads(text)
    out: dict[str, list[str]] = {}
    for name, value in data["groups"].items():
        phrases: Iterable[str] = ([p for lang in value.values() for p in lang] if isinstance(value, dict)
                                  else value)
        out[str(name)] = [str(p) for p in phrases]
    return out


@lru_cache(maxsize=1)
def builtin_expander() -> QueryExpander:
    """The shipped table (``bizpilot/retrieval/data/synonyms.json``), read once."""
    text = (resources.files("bizpilot.retrieval") / "data" / "synonyms.json").read_text(encoding="utf-8")
    return QueryExpander(load_table(text))


__all__ = ["Expansion", "QueryExpander", "builtin_expander", "load_table"]
