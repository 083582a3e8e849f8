"""Product attributes as "key#value*key#value" strings (the AdvertiseGen format), a per-key value lexicon, and a
checker that reads a piece of copy against the attributes it was written for.

The checker is what keeps generated copy honest: it says which attribute values the copy mentions, which it leaves
out, and where it states a value that contradicts the input (input 颜色#红色 but the copy says 白色; 裙长#短裙 but
the copy says 长裙). Which keys can contradict is learned: a key whose items almost always carry a single value
(colour, length, collar, waist...) is *exclusive*, and another known value of an exclusive key is a contradiction;
keys that items routinely combine (图案, 风格, 款式) are not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bizpilot.errors import ModelFileError, ValidationFailed
from bizpilot.ml.base import Estimator

Attribute = tuple[str, str]

PAIR_SEP = "*"
KEY_SEP = "#"


def parse_attributes(text: str) -> list[Attribute]:
    """"类型#裙*颜色#红色" -> [("类型", "裙"), ("颜色", "红色")], in order, duplicates dropped; raises
    ``ValidationFailed`` naming the bad pair (no '#', empty key or value)."""
    pairs: list[Attribute] = []
    seen: set[Attribute] = set()
    if not isinstance(text, str):
        raise ValidationFailed(f"attributes must be a string, got {type(text).__name__}")
    for i, chunk in enumerate(text.split(PAIR_SEP), start=1):
        chunk = chunk.strip()
        if not chunk:
            continue
        key, sep, value = chunk.partition(KEY_SEP)
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValidationFailed(f"attribute pair {i} {chunk!r} is not 'key{KEY_SEP}value'",
                                   details=[{"field": "attributes", "reason": f"pair {i} is not 'key{KEY_SEP}value'",
                                             "value": chunk}])
        pair = (key, value)
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return pairs


def format_attributes(pairs: Iterable[Attribute]) -> str:
    """The inverse of `parse_attributes`."""
    return PAIR_SEP.join(f"{k}{KEY_SEP}{v}" for k, v in pairs)


def find_all(text: str, needle: str) -> list[int]:
    """Start offsets of every (possibly overlapping) occurrence of ``needle`` in ``text``."""
    out: list[int] = []
    if not needle:
        return out
    start = text.find(needle)
    while start >= 0:
        out.append(start)
        start = text.find(needle, start + 1)
    return out


class ValueLexicon(Estimator):
    """Known values per attribute key, learned from attribute lists (training inputs and the inputs at hand).

    ``exclusive_threshold``: a key is exclusive when at most this share of the items that carry it carry more than
    one value for it. ``min_value_len``: shorter values (one character: 裙, 裤) are too ambiguous in running text to
    count as a contradiction.
    """

    FORMAT_VERSION = 1

    def __init__(self, exclusive_threshold: float = 0.2, min_value_len: int = 2) -> None:
        self.exclusive_threshold = exclusive_threshold
        self.min_value_len = min_value_len

    def fit(self, attribute_lists: Iterable[Sequence[Attribute]]) -> ValueLexicon:
        values: dict[str, Counter[str]] = defaultdict(Counter)
        items: Counter[str] = Counter()
        multi: Counter[str] = Counter()
        for attrs in attribute_lists:
            per_key: dict[str, set[str]] = defaultdict(set)
            for key, value in attrs:
                per_key[key].add(value)
            for key, vals in per_key.items():
                items[key] += 1
                multi[key] += len(vals) > 1
                for v in vals:
                    values[key][v] += 1
        self.values_ = {k: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for k, c in sorted(values.items())}
        self.key_items_ = dict(sorted(items.items()))
        self.key_multi_ = dict(sorted(multi.items()))
        return self

    def extend(self, attribute_lists: Iterable[Sequence[Attribute]]) -> ValueLexicon:
        """Add the values of more attribute lists (e.g. the inputs being checked) in place; returns self."""
        self.check_fitted()
        for attrs in attribute_lists:
            per_key: dict[str, set[str]] = defaultdict(set)
            for key, value in attrs:
                per_key[key].add(value)
            for key, vals in per_key.items():
                self.key_items_[key] = self.key_items_.get(key, 0) + 1
                self.key_multi_[key] = self.key_multi_.get(key, 0) + (len(vals) > 1)
                bucket = self.values_.setdefault(key, {})
                for v in vals:
                    bucket[v] = bucket.get(v, 0) + 1
        return self

    def keys(self) -> list[str]:
        self.check_fitted()
        return list(self.values_)

    def values(self, key: str) -> list[str]:
        """Known values of ``key``, most frequent first."""
        self.check_fitted()
        return list(self.values_.get(key, {}))

    def is_exclusive(self, key: str) -> bool:
        """Whether an item normally carries a single value for ``key`` (so a second value is a contradiction)."""
        self.check_fitted()
        n = self.key_items_.get(key, 0)
        return n > 0 and self.key_multi_.get(key, 0) / n <= self.exclusive_threshold

    def rivals(self, attributes: Sequence[Attribute]) -> dict[str, list[str]]:
        """For each exclusive key of ``attributes``: the known values that would contradict the input's value(s)."""
        self.check_fitted()
        own = {v.lower() for _, v in attributes}
        by_key: dict[str, set[str]] = defaultdict(set)
        for k, v in attributes:
            by_key[k].add(v)
        out: dict[str, list[str]] = {}
        for key in by_key:
            if not self.is_exclusive(key):
                continue
            rivals = [v for v in self.values(key) if len(v) >= self.min_value_len and v.lower() not in own]
            if rivals:
                out[key] = rivals
        return out

    def to_dict(self) -> dict[str, Any]:
        """The lexicon as plain JSON values, to embed in another document (a model file uses ``save``)."""
        self.check_fitted()
        return {"format_version": self.FORMAT_VERSION, "exclusive_threshold": self.exclusive_threshold,
                "min_value_len": self.min_value_len, "values": self.values_, "key_items": self.key_items_,
                "key_multi": self.key_multi_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueLexicon:
        """The inverse of ``to_dict``; ``ModelFileError`` for another format version."""
        if data.get("format_version") != cls.FORMAT_VERSION:
            raise ModelFileError(f"unsupported ValueLexicon format_version {data.get('format_version')!r} "
                                 f"(this bizpilot reads {cls.FORMAT_VERSION})")
        lex = cls(exclusive_threshold=data["exclusive_threshold"], min_value_len=data["min_value_len"])
        lex.values_ = {k: dict(v) for k, v in data["values"].items()}
        lex.key_items_ = dict(data["key_items"])
        lex.key_multi_ = dict(data["key_multi"])
        return lex


@dataclass(frozen=True)
class Contradiction:
    """The copy states ``found`` for ``key`` where the input says ``expected`` (empty: the input says nothing about
    ``key``, so the claim is unsupported); ``span`` is [start, end) in the copy."""

    key: str
    found: str
    expected: tuple[str, ...]
    span: tuple[int, int]


@dataclass
class CheckResult:
    mentioned: list[Attribute] = field(default_factory=list)
    missing: list[Attribute] = field(default_factory=list)
    contradictions: list[Contradiction] = field(default_factory=list)
    unsupported: list[Contradiction] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        """Share of the input's attribute values the copy mentions (1.0 when there were none to mention)."""
        total = len(self.mentioned) + len(self.missing)
        return len(self.mentioned) / total if total else 1.0

    @property
    def ok(self) -> bool:
        """No contradiction (unsupported claims are reported, not failed: the input may simply be incomplete)."""
        return not self.contradictions


def mentions(text: str, value: str) -> bool:
    """Whether the copy mentions ``value`` (case-insensitive: values are lower-cased in the data, copy says "A字")."""
    return value.lower() in text.lower()


class CopyChecker:
    """`check_copy` for one set of attributes, prepared once to check many texts (generators check every clause).

    A rival value is a contradiction unless its occurrence lies inside a mention of one of the input's own values
    (浅蓝色 contains 蓝色; 衬衫式 contains 衬衫). *Unsupported* claims are values of exclusive keys the input does
    not have at all (a colour when none was given).
    """

    def __init__(self, attributes: Sequence[Attribute], lexicon: ValueLexicon) -> None:
        self.attributes = list(attributes)
        self.own = sorted({v.lower() for _, v in self.attributes}, key=lambda v: (-len(v), v))
        by_key: dict[str, list[str]] = defaultdict(list)
        for k, v in self.attributes:
            by_key[k].append(v)
        self.expected = {k: tuple(vs) for k, vs in by_key.items()}
        own = set(self.own)
        self.rivals = [(key, v.lower()) for key, vs in lexicon.rivals(self.attributes).items() for v in vs]
        self.unknown = [(key, v.lower()) for key in lexicon.keys()
                        if key not in by_key and lexicon.is_exclusive(key)
                        for v in lexicon.values(key) if len(v) >= lexicon.min_value_len and v.lower() not in own]

    def _covered(self, lowered: str) -> list[bool]:
        covered = [False] * len(lowered)
        for v in self.own:
            for start in find_all(lowered, v):
                covered[start:start + len(v)] = [True] * len(v)
        return covered

    def _find(self, text: str, lowered: str, covered: list[bool], needles: list[tuple[str, str]],
              expected: bool) -> list[Contradiction]:
        out: list[Contradiction] = []
        seen: set[tuple[str, int]] = set()
        for key, needle in needles:
            for start in find_all(lowered, needle):
                end = start + len(needle)
                if all(covered[start:end]) or (needle, start) in seen:
                    continue
                seen.add((needle, start))
                out.append(Contradiction(key=key, found=text[start:end],
                                         expected=self.expected.get(key, ()) if expected else (), span=(start, end)))
        out.sort(key=lambda c: (c.span, c.key))
        return out

    def check(self, text: str) -> CheckResult:
        lowered = text.lower()
        result = CheckResult()
        for key, value in self.attributes:
            (result.mentioned if value.lower() in lowered else result.missing).append((key, value))
        covered = self._covered(lowered)
        result.contradictions = self._find(text, lowered, covered, self.rivals, expected=True)
        result.unsupported = self._find(text, lowered, covered, self.unknown, expected=False)
        return result

    def clean(self, text: str) -> bool:
        """True when ``text`` states neither a contradiction nor an unsupported value (the generator's filter)."""
        lowered = text.lower()
        needles = [n for _, n in self.rivals + self.unknown if n in lowered]
        if not needles:
            return True
        covered = self._covered(lowered)
        return all(all(covered[s:s + len(n)]) for n in needles for s in find_all(lowered, n))


def check_copy(text: str, attributes: Sequence[Attribute], lexicon: ValueLexicon) -> CheckResult:
    """Read ``text`` against ``attributes``: mentioned and missing values, contradictions (another value of an
    exclusive key the input has) and unsupported claims (a value of an exclusive key the input lacks), with spans."""
    return CopyChecker(attributes, lexicon).check(text)
