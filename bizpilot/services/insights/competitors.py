"""Competitor mentions in interactions: the workspace's competitor list (names and aliases), who is mentioned where,
share of voice and the sentiment of the mentioning interactions by month, and brand-like names nobody listed yet.

The list lives in the workspace as ``competitors.json`` (``{"competitors": [{"name": ..., "aliases": [...]}]}``),
next to the database and the models: it is a small hand-kept setting like the glossary's overrides, read whole and
written whole (atomically). Matching is case-insensitive; a Latin alias must stand as a word (``Acme`` is not in
``Acmelite``), a Chinese alias matches anywhere (Chinese has no spaces between words).

Unknown brand-like names (:func:`brand_candidates`): Latin-script words (``Würth``), mixed case (``iPhone``),
capitals with digits (``3M``) and Latin words inside Chinese text, counted only where the capital is evidence of a
name: not opening a sentence, a line, a "Re:" subject or a Headline Style Line (``Great. Lead times...`` says
nothing). A word is refused when listed, a word of the team's own product, customer or contact names, a stop word
or calendar word, written in lower case in half as many texts as capitalised (``pricing``), or seen in fewer than
``min_interactions`` messages or ``min_accounts`` accounts; a common English word (BERT's vocabulary) needs more
evidence. Suggestions only, never added by themselves.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.config import get_settings
from bizpilot.domain import Account, Contact, Interaction, Product
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.services.insights.texts import message_text

FILE_NAME = "competitors.json"
MAX_NAME = 100
# Latin-script words (Würth, Citroën too), and tokens that start with a digit and hold a capital (3M, 7UP)
_L = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_WORD = re.compile(rf"(?<![{_L}0-9&+'-])(?:[{_L}][{_L}0-9&+'-]{{1,29}}|\d{{1,2}}[A-Z][A-Z0-9]{{0,4}})"
                         rf"(?![{_L}0-9])")
# capitals with digits that name a brand (3M, 7UP), not a size or unit (M8, 20KG) or a number (SO-2024-0012)
_DIGIT_BRAND = re.compile(r"\d{1,2}(?!(?:KG|G|L|ML|MM|CM|KM|W|KW|V|A|MA|K|PCS|PC|X|H|S|D|T|MB|GB|TB)$)[A-Z][A-Z0-9]*")
_POSSESSIVE = re.compile(r"(?:'s|')$")
_BOUNDARY = ".!?:;。！？：；\n"
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
             "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
             "mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
             "sept", "oct", "nov", "dec", "christmas", "easter", "mr", "mrs", "ms", "dr", "re", "fw", "fwd"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_COMMON = {"ok", "app", "pdf", "vip", "diy", "led", "usb", "wifi", "cpu", "gpu", "tv", "pc", "ps", "id", "faq",
           "api", "crm", "sku", "pos", "b2b", "b2c", "qq", "email", "sms", "gps", "hd", "rma", "eta", "moq", "fob",
           "cif", "pcs", "kg", "cm", "mm", "usd", "rmb", "cny", "eur", "dear", "hi", "hello", "thanks", "thank",
           "please", "regards", "best", "order", "invoice", "delivery", "price", "quote", "product", "team",
           # trade documents and units written with capitals (a safety data sheet, 500 mL)
           "sds", "msds", "coa", "coc", "po", "hs", "oem", "odm", "ml", "kw", "kwh", "mah", "mhz", "ghz", "ip"}


@dataclass(frozen=True)
class Competitor:
    name: str
    aliases: tuple[str, ...] = ()

    def terms(self) -> list[str]:
        return list(dict.fromkeys([self.name, *self.aliases]))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases)}


def competitors_path() -> Path:
    return get_settings().resolved_home / FILE_NAME


def load_competitors(path: Path | None = None) -> list[Competitor]:
    """The workspace's list (empty when none was set); a damaged file is an error naming it."""
    path = path or competitors_path()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse_competitors(data.get("competitors", []) if isinstance(data, dict) else data)
    except (json.JSONDecodeError, AttributeError) as exc:
        raise ValidationFailed(f"{path} is not a competitor list ({exc})") from None


def parse_competitors(items: Iterable[Any]) -> list[Competitor]:
    """Validated competitors from JSON-like items (``{"name", "aliases"}`` or a bare name); names and aliases are
    trimmed, duplicates (case-insensitive) refused."""
    out: list[Competitor] = []
    seen: dict[str, str] = {}
    for n, item in enumerate(items, start=1):
        raw = {"name": item} if isinstance(item, str) else item
        if not isinstance(raw, dict) or not str(raw.get("name") or "").strip():
            raise ValidationFailed(f"competitor {n}: a name is required", details=[{"row": n, "field": "name"}])
        name = str(raw["name"]).strip()
        aliases = tuple(dict.fromkeys(a.strip() for a in raw.get("aliases") or [] if str(a).strip()))
        for term in (name, *aliases):
            if len(term) > MAX_NAME:
                raise ValidationFailed(f"competitor {n}: {term[:20]!r}... is longer than {MAX_NAME} characters",
                                       details=[{"row": n, "field": "name"}])
            if term.lower() in seen and seen[term.lower()] != name:
                raise ValidationFailed(f"competitor {n}: {term!r} already names {seen[term.lower()]!r}",
                                       details=[{"row": n, "field": "aliases", "value": term}])
            seen[term.lower()] = name
        out.append(Competitor(name, tuple(a for a in aliases if a.lower() != name.lower())))
    return out


def save_competitors(competitors: Sequence[Competitor], path: Path | None = None) -> Path:
    """Write the whole list (atomically: the old file or the new one, never half)."""
    path = path or competitors_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"competitors": [c.to_dict() for c in competitors]}, ensure_ascii=False, indent=2),
                   encoding="utf-8")
    os.replace(tmp, path)
    return path


def set_competitor(name: str, aliases: Sequence[str] = (), path: Path | None = None) -> Competitor:
    """Add a competitor or replace its aliases."""
    current = [c for c in load_competitors(path) if c.name.lower() != name.strip().lower()]
    updated = parse_competitors([*(c.to_dict() for c in current), {"name": name, "aliases": list(aliases)}])
    save_competitors(updated, path)
    return updated[-1]


def remove_competitor(name: str, path: Path | None = None) -> None:
    current = load_competitors(path)
    kept = [c for c in current if c.name.lower() != name.strip().lower()]
    if len(kept) == len(current):
        raise NotFoundError(f"no competitor {name!r}")
    save_competitors(kept, path)


class MentionFinder:
    """Which listed competitors a text mentions (one compiled pattern per competitor)."""

    def __init__(self, competitors: Sequence[Competitor]) -> None:
        self.patterns = [(c.name, _pattern(c.terms())) for c in competitors]

    def find(self, text: str | None) -> list[str]:
        return [name for name, pattern in self.patterns if text and pattern.search(text)]


def _pattern(terms: Sequence[str]) -> re.Pattern[str]:
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        escaped = re.escape(term)
        parts.append(escaped if _CJK.search(term) else rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])")
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class MentionRow:
    interaction_id: int
    account_id: int | None
    occurred_at: datetime
    sentiment: str | None
    competitors: tuple[str, ...]


def interaction_texts(*, session: Session, start: datetime | None = None,
                      end: datetime | None = None) -> list[tuple[int, int | None, datetime, str | None, str]]:
    """(id, account id, time, sentiment, subject + text) of inbound, not archived interactions with text."""
    stmt = (select(Interaction.id, Interaction.account_id, Interaction.occurred_at, Interaction.sentiment,
                   Interaction.subject, Interaction.text)
            .where(Interaction.archived_at.is_(None), Interaction.text.is_not(None),
                   Interaction.direction == "inbound").order_by(Interaction.occurred_at, Interaction.id))
    if start is not None:
        stmt = stmt.where(Interaction.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(Interaction.occurred_at < end)
    return [(int(i), a, t, s, message_text(subj, text))
            for i, a, t, s, subj, text in session.execute(stmt).all()]


def competitor_mentions(*, session: Session, start: datetime | None = None, end: datetime | None = None,
                        competitors: Sequence[Competitor] | None = None) -> dict[str, Any]:
    """Share of voice and sentiment per competitor, overall and by month, over the inbound interactions in
    [start, end): ``{"competitors": [...], "months": [...], "mentions": n, "interactions": n}``. Share of voice is a
    competitor's mentioning interactions over all mentioning interactions; sentiment is the share of its mentioning
    interactions analysed as negative / positive (unanalysed ones are counted apart)."""
    competitors = load_competitors() if competitors is None else competitors
    finder = MentionFinder(competitors)
    rows = interaction_texts(session=session, start=start, end=end)
    per: dict[str, Counter[str]] = defaultdict(Counter)
    monthly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    mentioning = 0
    for iid, account_id, occurred, sentiment, text in rows:
        names = finder.find(text)
        if not names:
            continue
        mentioning += 1
        month = occurred.strftime("%Y-%m")
        for name in names:
            per[name]["mentions"] += 1
            per[name][sentiment or "unanalysed"] += 1
            monthly[month][name] += 1
            if len(examples[name]) < 3:
                examples[name].append({"interaction_id": iid, "account_id": account_id,
                                       "occurred_at": occurred.date().isoformat(), "text": text[:200]})
    total = sum(c["mentions"] for c in per.values())
    table = []
    for c in competitors:
        counts = per.get(c.name, Counter())
        n = counts["mentions"]
        analysed = n - counts["unanalysed"]
        table.append({"name": c.name, "aliases": list(c.aliases), "mentions": n,
                      "share_of_voice": round(n / total, 4) if total else 0.0,
                      "negative_share": round(counts["negative"] / analysed, 4) if analysed else None,
                      "positive_share": round(counts["positive"] / analysed, 4) if analysed else None,
                      "examples": examples.get(c.name, [])})
    table.sort(key=lambda r: (-r["mentions"], r["name"]))
    months = [{"month": m, "counts": dict(monthly[m]),
               "share_of_voice": {k: round(v / sum(monthly[m].values()), 4) for k, v in monthly[m].items()}}
              for m in sorted(monthly)]
    return {"competitors": table, "months": months, "mentions": total, "mentioning_interactions": mentioning,
            "interactions": len(rows)}


def brand_suggestions(*, session: Session, min_interactions: int = 3, min_accounts: int = 2, limit: int = 20,
                      start: datetime | None = None, end: datetime | None = None,
                      competitors: Sequence[Competitor] | None = None) -> list[dict[str, Any]]:
    """Brand-like names not on the list, seen in at least ``min_interactions`` interactions of at least
    ``min_accounts`` accounts, most seen first."""
    competitors = load_competitors() if competitors is None else competitors
    known = {t.lower() for c in competitors for t in c.terms()}
    # The team's own catalogue ("Hex Nut M8", "Hi-Vis Vest"), its customers' company names and its contacts' names
    # are capitalised in messages because they are names, but not someone else's brand.
    for table, column in ((Product, Product.name), (Account, Account.name), (Contact, Contact.name)):
        for (name,) in session.execute(select(column).select_from(table)):
            known.update(word.lower() for word in _LATIN_WORD.findall(name or ""))
    rows = interaction_texts(session=session, start=start, end=end)
    return brand_candidates([r[4] for r in rows], accounts=[r[1] for r in rows], known=known,
                            min_interactions=min_interactions, min_accounts=min_accounts, limit=limit)


@lru_cache(maxsize=1)
def frequent_english() -> frozenset[str]:
    """Common English words: scikit-learn's and bm25s's stop words, the whole words of BERT's 30k WordPiece
    vocabulary (the most frequent words of English Wikipedia and books, shipped for the MiniLM embedder) and the
    calendar. Famous brands are in that vocabulary too ("sony", "bosch"), so such a word is not refused, it only
    needs more evidence (see :func:`brand_candidates`)."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    import bizpilot.retrieval

    vocab = Path(bizpilot.retrieval.__file__).with_name("data") / "minilm-vocab.txt"
    words = {w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.isascii() and len(w) > 1}
    return frozenset(words | set(ENGLISH_STOP_WORDS) | set(STOPWORDS_EN_PLUS))


def _sentence_start(text: str, start: int) -> bool:
    """Whether a word at ``start`` opens a sentence, a line or a subject after "Re:" (capitalised by grammar)."""
    before = text[:start].rstrip(" \t\"'“‘(«[*-•")
    return not before or before[-1] in _BOUNDARY


def _title_case(line: str) -> bool:
    """A line Written Like A Headline: its capitals say nothing about names."""
    words = [w for w in _LATIN_WORD.findall(line) if w.isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def brand_candidates(texts: Sequence[str], *, accounts: Sequence[Any] | None = None,
                     known: set[str] = frozenset(),  # type: ignore[assignment]
                     min_interactions: int = 3, min_accounts: int = 1, limit: int = 20) -> list[dict[str, Any]]:
    """The brand-like names of ``texts`` with the number of texts naming each. Evidence that a word is a name:
    it is capitalised where grammar does not ask for it (not opening a sentence, a line or a headline-style line),
    has capitals inside (``iPhone``) or digits with capitals (``3M``), or stands as a Latin word inside Chinese
    text. A word is refused when it is listed, one of the team's own (``known``), a stop word or calendar word,
    written in lower case in half as many texts as capitalised or more, or seen in fewer than ``min_interactions``
    texts or ``min_accounts`` accounts (``accounts``: the account of each text, None unknown). A common English
    word (:func:`frequent_english`: "Great", "Lead", but also "Bosch") needs evidence in at least two texts and
    in half of those naming it, and no more lower-case texts than that."""
    common = frequent_english()
    seen: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    lowercase: Counter[str] = Counter()  # texts writing the word in lower case: a word, not a name ("pricing")
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    who: dict[str, set[Any]] = defaultdict(set)
    for n, text in enumerate(texts):
        text = text or ""
        chinese = bool(_CJK.search(text))
        found, proof, lower = set(), set(), set()
        for line in text.splitlines():
            headline = not chinese and _title_case(line)
            for match in _LATIN_WORD.finditer(line):
                word = _POSSESSIVE.sub("", match.group(0))
                key = word.lower()
                if key in known or key in _COMMON or key in _CALENDAR or not any(ch.isalpha() for ch in word):
                    continue
                if word == key and not chinese:
                    lower.add(key)
                    continue
                digits = any(ch.isdigit() for ch in word)
                if digits and not _DIGIT_BRAND.fullmatch(word):
                    continue  # order numbers, SKUs and sizes (SO-2024-0012, M8), not names
                if not chinese and word.isupper() and len(word) <= 3 and not digits:
                    continue  # short acronyms in English text (SLA, ETA) are rarely brands
                if (line[max(match.start() - 1, 0):match.start()] or "x") in "(（" and (
                        line[match.end():match.end() + 1] or "x") in ")）":
                    continue  # an abbreviation given for the words before it: 安全技术说明书（SDS）
                mixed = any(ch.isupper() for ch in word[1:]) and any(ch.islower() for ch in word)
                found.add(key)
                spelling[key][word] += 1
                if chinese or mixed or digits or not (headline or _sentence_start(line, match.start())):
                    proof.add(key)
        seen.update(found)
        evidence.update(proof)
        lowercase.update(lower)
        for key in found:
            who[key].add(accounts[n] if accounts is not None and accounts[n] is not None else ("text", n))
    out = []
    for key, n in seen.items():
        e, low = evidence[key], lowercase[key]
        if not e or 2 * low >= n or n < min_interactions or len(who[key]) < min_accounts:
            continue
        if key in common and (e < 2 or 2 * e < n or low > e - 1):
            continue
        out.append({"name": spelling[key].most_common(1)[0][0], "interactions": n})
    out.sort(key=lambda r: (-r["interactions"], r["name"].lower()))
    return out[:limit]


__all__ = ["Competitor", "MentionFinder", "brand_candidates", "brand_suggestions", "competitor_mentions",
           "competitors_path", "frequent_english", "interaction_texts", "load_competitors", "parse_competitors",
           "remove_competitor", "save_competitors", "set_competitor"]
