"""Product names as a draft writes them: the whole name (or its Chinese name from the facts) or nothing.

A small model copies a product name badly in three ways the value check cannot see, because every number in the
mangled text is still one of the facts:

- half-translated: a Chinese word glued to the English words of the same name ("玻璃 cleaner 20 L lemon 6-pack" for
  "Glass Cleaner 20 L lemon 6-pack"), or in English a Chinese word of the name cut short and finished in English
  ("Letter复印 paper" for "Letter复印纸 75 gsm 10 reams");
- a code or size glued to a number ("六角螺栓M852天": M8 and 52天 run together), found by
  ``checker.glued_codes``;
- a shortened name that fits several products ("Thread Locker" when the catalogue sells two of them) or names a
  product the text is not about.

``name_problems`` returns (start, end, reason) for each; ``lint.check_product_names`` reports them as the
``product_names`` check. Whole names, the facts' other spellings (attribute values, the account's name) and
shortened names only one product has are never flagged.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from bizpilot.services.content.checker import glued_codes
from bizpilot.services.content.facts import FactBundle
from bizpilot.services.content.glossary import active_glossary

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9.\-/+]*(?<![.\-/])|[{_CJK}]+")
_WORD_RE = re.compile(r"[A-Za-z]{3,}")
_CJK_WORD_RE = re.compile(f"[{_CJK}]+")
MIN_PARTIAL_TOKENS = 2


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


def _cjk(token: str) -> bool:
    return bool(re.match(f"[{_CJK}]", token))


def _norm(token: str) -> str:
    return token.lower()


def product_names(bundle: FactBundle) -> list[str]:
    """The names of the products this text may speak of (name facts other than the account's)."""
    return list(dict.fromkeys(f.text for f in bundle.facts if f.kind == "name" and not f.id.startswith("account.")))


def _mask(text: str, spellings: Iterable[str]) -> str:
    """``text`` with every spelling blanked (same length); a catalogue of thousands of names costs one substring
    test each, a regex only for the few that occur."""
    lowered = text.lower()
    for s in sorted({s for s in spellings if len(s) >= 2 and s.lower() in lowered}, key=len, reverse=True):
        text = re.sub(re.escape(s), lambda m: " " * len(m.group()), text, flags=re.IGNORECASE)
    return text


def _fact_spellings(bundle: FactBundle) -> set[str]:
    return {s for f in bundle.facts for s in f.spellings}


def _zh_words(word: str) -> set[str]:
    """The glossary's Chinese for one English word of a name ('glass' -> 玻璃, 'lemon' -> 柠檬香 and 柠檬: a model
    drops the last character of a three-character rendering as often as not)."""
    terms = active_glossary()
    found = {terms.zh(kind, word) for kind in ("value", "category", "term", "unit", "attribute", "industry")}
    return {v for w in found if w for v in (w, w[:2] if len(w) >= 3 else w)}


def _chinese_start(text: str, a: int, word: str) -> int:
    """Where the Chinese glued before position ``a`` begins: at the glossary's word for the name's previous
    English word when it is there (订购的玻璃 cleaner -> 玻璃), else at most four characters back."""
    head = text[:a].rstrip()
    for w in sorted(_zh_words(word), key=len, reverse=True):
        if head.endswith(w):
            return len(head) - len(w)
    run = re.search(rf"[{_CJK}]{{1,4}}$", head)
    return len(head) - len(run.group()) if run else a


def _gap_ok(text: str, a: int, b: int) -> bool:
    """Tokens ``a..b`` apart are neighbours in a name: only spaces between them (or nothing)."""
    return text[a:b].strip() == ""


def _half_translated(text: str, masked: str, bundle: FactBundle) -> list[tuple[int, int, str]]:
    """Runs of a product's English words, not the whole name, glued to Chinese that stands for the rest."""
    out: list[tuple[int, int, str]] = []
    spellings = {_norm(s) for s in _fact_spellings(bundle)}
    tokens = _tokens(masked)
    for name in product_names(bundle):
        parts = [_norm(t) for _, _, t in _tokens(name)]
        if not any(_WORD_RE.fullmatch(p) for p in parts):
            continue
        i = 0
        while i < len(tokens):
            best = (0, 0)  # (run length, start index in the name)
            for j, part in enumerate(parts):
                if _cjk(part) or _norm(tokens[i][2]) != part:
                    continue
                k = 1
                while (i + k < len(tokens) and j + k < len(parts) and _norm(tokens[i + k][2]) == parts[j + k]
                       and _gap_ok(masked, tokens[i + k - 1][1], tokens[i + k][0])):
                    k += 1
                best = max(best, (k, -j))
            k, j = best[0], -best[1]
            if not k:
                i += 1
                continue
            a, b = tokens[i][0], tokens[i + k - 1][1]
            run = [_norm(t) for _, _, t in tokens[i:i + k]]
            before = masked[:a].rstrip()[-1:]
            after = masked[b:].lstrip()[:1]
            head = masked[:a].rstrip()
            missing_start = j > 0 and bool(before) and _cjk(before)
            rest = masked[b:].lstrip()
            # The name goes on in Chinese. After a run from the middle of the name, any Chinese; after its first
            # words, only the glossary's Chinese for the next word ("Glass 清洁剂" is not flagged unless 清洁剂 is
            # that word). A run without an English word ("6-pack") counts when the glossary's word for the name's
            # previous word is glued before it ("柠檬 6-pack").
            missing_end = j + k < len(parts) and bool(after) and _cjk(after) and (
                j > 0 or any(rest.startswith(w) for w in _zh_words(parts[j + k])))
            worded = any(_WORD_RE.fullmatch(t) for t in run) or (
                missing_start and any(head.endswith(w) for w in _zh_words(parts[j - 1])))
            if (missing_start or missing_end) and worded and _norm(text[a:b]) not in spellings:
                start = _chinese_start(masked, a, parts[j - 1]) if missing_start else a
                reason = f"half-translated product name: write {name!r} whole"
                if out and out[-1][2] == reason and not text[out[-1][1]:start].strip():
                    start = out.pop()[0]  # one mention in two pieces ("Glass Cleaner 20 L 柠檬 6-pack")
                out.append((start, b, reason))
            i += k
    return out


def _cut_chinese(masked: str, bundle: FactBundle) -> list[tuple[int, int, str]]:
    """English text: a Chinese word of a product's name cut short next to the name's other words, the rest put in
    English ("Letter复印 paper" for "Letter复印纸 75 gsm 10 reams"). Whole names are blanked in ``masked``; a
    Chinese word as the facts write it is the shortened-name check's to judge."""
    words = {w for s in [*_fact_spellings(bundle), *bundle.catalog_names] for w in _CJK_WORD_RE.findall(s)}
    out: list[tuple[int, int, str]] = []
    for m in _CJK_WORD_RE.finditer(masked):
        for name in product_names(bundle):
            if m.group() in words or not any(m.group() in w for w in _CJK_WORD_RE.findall(name)):
                continue
            latin = {_norm(t) for _, _, t in _tokens(name) if not _cjk(t)}
            before = re.search(r"([A-Za-z0-9][A-Za-z0-9.\-/+]*)[ \t]*$", masked[:m.start()])
            after = re.match(r"[ \t]*([A-Za-z][A-Za-z'-]*)", masked[m.end():])
            if before and _norm(before.group(1)) in latin:
                start = before.start(1)
            elif after and _norm(after.group(1)) in latin:
                start = m.start()
            else:
                continue
            out.append((start, m.end() + (after.end(1) if after else 0),
                        f"half-translated product name: write {name!r} whole"))
            break
    return out


@lru_cache(maxsize=8)
def _by_first(names: tuple[str, ...]) -> dict[str, list[tuple[str, list[str]]]]:
    """Names of three tokens or more by their first token, lower-cased (one generation lints its texts several
    times against the same catalogue)."""
    by_first: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for name in names:
        parts = [_norm(t) for _, _, t in _tokens(name)]
        if len(parts) > MIN_PARTIAL_TOKENS:
            by_first[parts[0]].append((name, parts))
    return dict(by_first)


def _partial_names(text: str, masked: str, bundle: FactBundle) -> list[tuple[int, int, str]]:
    """The first words of a product's name (two tokens or more, not the whole name) that fit several products or
    only products this text is not about."""
    own = set(product_names(bundle))
    by_first = _by_first(tuple(sorted({*own, *bundle.catalog_names})))
    cjk_firsts = [f for f in by_first if _cjk(f)]
    tokens = _tokens(masked)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        tok = _norm(tokens[i][2])
        firsts = [tok] if tok in by_first else [f for f in cjk_firsts if _cjk(tok) and tok.endswith(f)]
        best, fits, first_used, whole = 0, set(), tok, False
        for first in firsts:
            for name, parts in by_first[first]:
                k = 1
                while (i + k < len(tokens) and k < len(parts) and _norm(tokens[i + k][2]) == parts[k]
                       and _gap_ok(masked, tokens[i + k - 1][1], tokens[i + k][0])):
                    k += 1
                if k > best:
                    best, fits, first_used, whole = k, {name}, first, k == len(parts)
                elif k == best:
                    fits.add(name)
                    whole = whole or k == len(parts)
        if best < MIN_PARTIAL_TOKENS or whole:
            i += 1
            continue
        start = tokens[i][1] - len(first_used) if _cjk(tokens[i][2]) else tokens[i][0]
        end = tokens[i + best - 1][1]
        mine = fits & own
        if not mine:
            out.append((start, end, "part of the name of a product this text is not about"))
        elif len(fits) > 1:
            out.append((start, end, f"a shortened product name that fits {len(fits)} products: write "
                                    f"{sorted(mine)[0]!r} whole"))
        i += best
    return out


def _blank(text: str, spans: list[tuple[int, int, str]]) -> str:
    for a, b, _ in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def name_problems(text: str, bundle: FactBundle, language: str) -> list[tuple[int, int, str]]:
    """(start, end, reason) of every badly written product name, in text order (see the module docstring)."""
    out = [(a, b, f"a product code glued to a number: {spelling} + {text[a + len(spelling):b]}")
           for a, b, spelling in glued_codes(text, bundle)]
    # Whole names (the products', the catalogue's) and the facts that are words, not values (the account's name,
    # a category, an opportunity), are blanked first: they are what a correct text says. Attribute values and
    # numbers stay, so "Thread Locker 400 mL" still reads as the one product it fits.
    names = [*bundle.catalog_names, *(s for f in bundle.facts if f.kind == "name" for s in f.spellings)]
    words = [s for f in bundle.facts if f.kind == "text" for s in f.spellings if len(s) >= 4]
    masked = _blank(_mask(text, [*names, *words]), out)
    if language == "zh":
        half = [h for h in _half_translated(text, _mask(text, names), bundle)
                if not any(a < h[1] and h[0] < b for a, b, _ in out)]
    else:
        half = [h for h in _cut_chinese(masked, bundle) if not any(a < h[1] and h[0] < b for a, b, _ in out)]
    out += half
    masked = _blank(masked, half)
    out += [p for p in _partial_names(text, masked, bundle) if not any(a < p[1] and p[0] < b for a, b, _ in out)]
    return sorted(out)


__all__ = ["name_problems", "product_names"]
