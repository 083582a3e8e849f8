"""The demo company's world: customer names, places, people and the product catalogue it sells, and the code
that turns them into accounts, products and contacts with the hidden traits (activity window, churn, mood,
staples) that ``demo.py`` turns into orders, messages and deals.

Every name here is invented; e-mail domains use the reserved ``.example`` TLD and US phone numbers the fictional
555 exchange.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np

from bizpilot.domain.glossary import default_zh


def _frozen(value: Any) -> Any:
    """JSON arrays as tuples, all the way down, so the loaded tables are as immutable as literals would be."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


# The world's vocabulary and catalogue live in data/demo_world.json (names, places, texts, categories), read once
# here; the code below only instantiates it. Industries' keys are industries the product knows: their Chinese names
# come from the product's glossary (industry_zh), so the demo and the product never name an industry differently.
_WORLD: dict[str, Any] = _frozen(json.loads(
    (resources.files("bizpilot.ingest") / "data" / "demo_world.json").read_text(encoding="utf-8")))

# industry -> weight, English / Chinese name words, what the company does (does_en, does_zh), preferred categories
INDUSTRIES: dict[str, dict[str, Any]] = _WORLD["industries"]
# (country, ((region, city), ...), weight, company suffixes, phone prefix)
EN_COUNTRIES: tuple[tuple[Any, ...], ...] = _WORLD["en_countries"]
ZH_CITIES: tuple[tuple[str, str, str], ...] = _WORLD["zh_cities"]  # (city, pinyin, province)
ZH_BRANDS: tuple[tuple[str, str], ...] = _WORLD["zh_brands"]  # (brand, pinyin)
EN_PREFIXES: tuple[str, ...] = _WORLD["en_prefixes"]
EN_FIRST: tuple[str, ...] = _WORLD["en_first"]
EN_LAST: tuple[str, ...] = _WORLD["en_last"]
ZH_SURNAMES: tuple[tuple[str, str], ...] = _WORLD["zh_surnames"]  # (surname, pinyin)
ZH_GIVEN: tuple[tuple[str, str], ...] = _WORLD["zh_given"]  # (given name, pinyin)
TITLES: dict[str, tuple[str, ...]] = _WORLD["titles"]  # language -> job titles
SIZE_BANDS: tuple[str, ...] = _WORLD["size_bands"]
SIZE_WORDS: dict[str, tuple[str, ...]] = _WORLD["size_words"]  # language -> a word per size band
PURCHASING_EN: tuple[str, ...] = _WORLD["purchasing_en"]  # templates with {cat1} and {cat2}
PURCHASING_ZH: tuple[str, ...] = _WORLD["purchasing_zh"]
SALES_REPS: dict[str, tuple[str, ...]] = _WORLD["sales_reps"]  # language -> reps
REP_SKILL: dict[str, float] = _WORLD["rep_skill"]  # rep -> effect on the odds of winning
# lead source -> effect on the odds of winning (referrals and existing customers close far more often)
OPP_SOURCES: dict[str, float] = _WORLD["opp_sources"]
OPP_KINDS: dict[str, tuple[str, ...]] = _WORLD["opp_kinds"]  # language -> kinds of deal
ORDER_CHANNELS: tuple[str, ...] = _WORLD["order_channels"]


@dataclass(frozen=True)
class Category:
    """A catalogue category: product types, attribute options and how it is sold and ordered."""

    code: str
    name: str
    name_zh: str
    types: tuple[tuple[str, str], ...]
    attributes: dict[str, tuple[str, ...]]
    name_attrs: tuple[str, ...]
    unit: str
    price: tuple[float, float]
    base_qty: float
    cycle_days: tuple[int, ...]
    uses: tuple[str, str]
    warranty: str


CATEGORIES: tuple[Category, ...] = tuple(Category(**fields) for fields in _WORLD["categories"])
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}
ATTR_LABELS_ZH: dict[str, str] = _WORLD["attr_labels_zh"]  # attribute key -> Chinese label
VALUES_ZH: dict[str, str] = _WORLD["values_zh"]  # attribute value -> Chinese
UNITS_ZH: dict[str, str] = _WORLD["units_zh"]
UNIT_PHRASE: dict[str, str] = _WORLD["unit_phrase"]  # unit -> how the English copy says it is sold
ATTR_LABELS_EN: dict[str, str] = _WORLD["attr_labels_en"]  # attribute keys whose English label is not the key


def attr_text(key: str, value: str, language: str) -> str:
    """How an attribute value reads inside a product name ('6' pack size -> '6-pack' / '6装')."""
    if key in ("pack_size", "pieces") and value.isdigit():
        if language == "zh":
            return f"{value}{'装' if key == 'pack_size' else '件套'}"
        return f"{value}-{'pack' if key == 'pack_size' else 'piece'}"
    return VALUES_ZH.get(value, value) if language == "zh" else value


def industry_zh(industry: str) -> str:
    """The product's Chinese name of an industry; an industry the product does not know is a bug in this file."""
    name = default_zh("industry", industry)
    if name is None:
        raise KeyError(f"demo industry {industry!r} is not in the product glossary (bizpilot/domain/data)")
    return name


def glossary_rows() -> list[dict[str, str]]:
    """The catalogue's own vocabulary as glossary terms (kind, key, en, zh, note), which the demo writes into the
    workspace glossary so content generation renders this catalogue's words; industries, units and common
    words come from the product's defaults."""
    note = "demo catalogue"
    rows = [{"kind": "category", "key": c.name, "en": c.name, "zh": c.name_zh, "note": note} for c in CATEGORIES]
    rows += [{"kind": "attribute", "key": key, "en": ATTR_LABELS_EN.get(key, key.replace("_", " ")), "zh": zh,
              "note": note} for key, zh in ATTR_LABELS_ZH.items()]
    rows += [{"kind": "value", "key": value, "en": value, "zh": zh, "note": note} for value, zh in VALUES_ZH.items()]
    rows += [{"kind": "unit", "key": unit, "en": unit, "zh": zh, "note": note} for unit, zh in UNITS_ZH.items()]
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Instantiating the world: accounts, products and contacts with the hidden traits the activity generator uses.
# ---------------------------------------------------------------------------------------------------------------

SIZE_QTY = (1.0, 2.0, 4.0, 8.0, 15.0)  # order-quantity multiplier by size band
SIZE_P = (0.20, 0.33, 0.26, 0.14, 0.07)
N_ACCOUNTS, N_PRODUCTS = 300, 500
CATEGORY_P = np.array([0.06, 0.08, 0.10, 0.10, 0.10, 0.09, 0.08, 0.08, 0.07, 0.07, 0.05, 0.06, 0.06])


def pick(rng: np.random.Generator, items: tuple | list, p: np.ndarray | None = None) -> Any:
    """One element as its own Python type (``rng.choice`` would turn strings into numpy scalars); ``p`` is
    normalised here so callers can pass plain weights."""
    if p is None:
        return items[int(rng.integers(len(items)))]
    return items[int(rng.choice(len(items), p=np.asarray(p, dtype=float) / np.sum(p)))]


@dataclass
class DemoProduct:
    """A catalogue item plus what only the generator knows: how popular it is and when it was discontinued."""

    index: int
    sku: str
    category: Category
    type_en: str
    type_zh: str
    name_en: str
    name_zh: str
    attributes: dict[str, str]
    price: float
    currency: str
    language: str
    stock_qty: float
    active: bool
    created_at: datetime
    popularity: float
    last_day: float = math.inf  # discontinued products stop selling here

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en

    def row(self) -> dict[str, Any]:
        return {"sku": self.sku, "name": self.name(self.language), "category": self.category.name,
                "attributes": dict(self.attributes), "price": self.price, "currency": self.currency,
                "unit": self.category.unit, "stock_qty": self.stock_qty, "description": self.describe(),
                "language": self.language, "active": self.active, "created_at": self.created_at}

    def describe(self) -> str:
        """Catalogue copy in the product's language, built from its attributes so text and data agree."""
        cat, zh = self.category, self.language == "zh"
        specs = [(ATTR_LABELS_ZH[k] if zh else ATTR_LABELS_EN.get(k, k.replace("_", " ")),
                  VALUES_ZH.get(v, v) if zh else v)
                 for k, v in self.attributes.items() if k != "certification"]
        cert = self.attributes.get("certification")
        if zh:
            return (f"{self.type_zh}，适用于{cat.uses[1]}。规格参数：" + "，".join(f"{k}{v}" for k, v in specs) + "。"
                    + (f"符合{cert}认证。" if cert else "") + f"按{UNITS_ZH[cat.unit]}销售。")
        return (f"{self.type_en} for {cat.uses[0]}. Specifications: " + ", ".join(f"{k} {v}" for k, v in specs)
                + "." + (f" Certified to {cert}." if cert else "") + f" {UNIT_PHRASE[cat.unit]}")


def make_products(rng: np.random.Generator, begin: datetime, span: int) -> list[DemoProduct]:
    """The catalogue: named from type + key attributes, priced by where those attributes sit in their range."""
    products: list[DemoProduct] = []
    seen: set[str] = set()
    per_category: dict[str, int] = {}
    for index in range(N_PRODUCTS):
        cat = pick(rng, CATEGORIES, CATEGORY_P)
        for _ in range(6):
            t_idx = int(rng.integers(len(cat.types)))
            choice = {k: int(rng.integers(len(v))) for k, v in cat.attributes.items()}
            attrs = {k: cat.attributes[k][i] for k, i in choice.items() if cat.attributes[k][i] != "none"}
            name_en = " ".join([cat.types[t_idx][0], *(attr_text(a, attrs[a], "en") for a in cat.name_attrs
                                                        if a in attrs)])
            if name_en not in seen:
                break
        name_en = name_en if name_en not in seen else f"{name_en} ({index})"
        seen.add(name_en)
        name_zh = " ".join([cat.types[t_idx][1], *(attr_text(a, attrs[a], "zh") for a in cat.name_attrs
                                                    if a in attrs)])
        lead = cat.name_attrs[0]
        rank = choice[lead] / max(len(cat.attributes[lead]) - 1, 1)
        lo, hi = cat.price
        price = lo * (hi / lo) ** (0.55 * rank + 0.45 * rng.random())
        local = rng.random() < 0.04  # a few locally sourced items priced in CNY for mainland customers
        per_category[cat.code] = per_category.get(cat.code, 0) + 1
        stock = 0.0 if rng.random() < 0.06 else float(int(rng.lognormal(5.0, 1.0)))
        product = DemoProduct(
            index, f"{cat.code}-{1000 + per_category[cat.code]:04d}", cat, *cat.types[t_idx], name_en, name_zh, attrs,
            round(price * 7.2 if local else price, 2), "CNY" if local else "USD",
            "zh" if local or rng.random() < 0.3 else "en", stock, bool(rng.random() > 0.04),
            begin - timedelta(days=int(rng.integers(60, 2000))), float(rng.lognormal(0.0, 1.0)))
        if not product.active:
            product.last_day = float(rng.uniform(0.3, 0.7) * span)
        products.append(product)
    return products


@dataclass
class DemoAccount:
    """A customer plus its hidden traits (activity window, churn, mood, growth, staples) that drive its activity."""

    index: int
    external_id: str
    name: str
    short_name: str
    language: str
    industry: str
    size: int
    tier: str
    country: str
    region: str
    city: str
    domain: str
    phone_prefix: str
    created_at: datetime
    first_day: float
    last_day: float
    churns: bool
    satisfaction: float
    growth: float
    channel: str
    description: str = ""
    categories: tuple[str, ...] = ()
    candidates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    candidate_p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    staples: list[int] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)  # (external_id, name)

    def row(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "name": self.name, "industry": self.industry,
                "size_band": SIZE_BANDS[self.size], "country": self.country, "region": self.region,
                "tier": self.tier, "description": self.description, "language": self.language,
                "created_at": self.created_at}


def _identity(rng: np.random.Generator, language: str, industry: dict[str, Any], size: int) -> tuple[str, ...]:
    """(name, short name, country, region, city, e-mail domain, phone prefix) for one company."""
    if language == "zh":
        city, city_py, province = pick(rng, ZH_CITIES)
        brand, brand_py = pick(rng, ZH_BRANDS)
        suffix = "集团有限公司" if size == 4 else ("股份有限公司" if size == 3 else "有限公司")
        return (f"{city}{brand}{pick(rng, industry['zh_words'])}{suffix}", f"{city}{brand}", "China", province,
                city, f"{brand_py}-{city_py}.example", "+86")
    weights = np.array([c[2] for c in EN_COUNTRIES])
    country, places, _, suffixes, phone = pick(rng, EN_COUNTRIES, weights)
    region, city = pick(rng, places)
    prefix, word = pick(rng, EN_PREFIXES), pick(rng, industry["en_words"])
    slug = "".join(ch for ch in f"{prefix}{word}".lower() if ch.isalnum())
    return f"{prefix} {word} {pick(rng, suffixes)}", f"{prefix} {word}", country, region, city, f"{slug}.example", phone


def _describe(rng: np.random.Generator, acct: DemoAccount, industry: dict[str, Any]) -> str:
    cat1, cat2 = (CATEGORY_BY_CODE[c] for c in acct.categories[:2])
    if acct.language == "zh":
        founded = acct.created_at.year - int(rng.integers(2, 20))
        return (f"{acct.name}成立于{founded}年，总部位于{acct.city}，是一家{SIZE_WORDS['zh'][acct.size]}"
                f"{industry_zh(acct.industry)}企业。{pick(rng, industry['does_zh'])}"
                + pick(rng, PURCHASING_ZH).format(cat1=cat1.name_zh, cat2=cat2.name_zh))
    return (f"{acct.name} is a {SIZE_WORDS['en'][acct.size]} {acct.industry} business based in {acct.city}, "
            f"{acct.country}. {pick(rng, industry['does_en'])} "
            + pick(rng, PURCHASING_EN).format(cat1=cat1.name.lower(), cat2=cat2.name.lower()))


def make_accounts(rng: np.random.Generator, begin: datetime, span: int,
                  products: list[DemoProduct]) -> list[DemoAccount]:
    """~300 customers; ~12% join during the period and ~15% churn part-way through it."""
    names = list(INDUSTRIES)
    weights = np.array([INDUSTRIES[n]["weight"] for n in names], dtype=float)
    popularity = np.array([p.popularity for p in products])
    accounts: list[DemoAccount] = []
    seen_names: set[str] = set()
    seen_domains: set[str] = set()
    for index in range(N_ACCOUNTS):
        language = "zh" if rng.random() < 0.35 else "en"
        industry_name = pick(rng, names, weights)
        industry = INDUSTRIES[industry_name]
        size = int(rng.choice(5, p=SIZE_P))
        score = size + rng.normal(0.0, 0.8)
        tier = "strategic" if score >= 3.6 else "key" if score >= 2.5 else "standard" if score >= 1.2 else "small"
        ident = _identity(rng, language, industry, size)
        while ident[0] in seen_names:
            ident = _identity(rng, language, industry, size)
        name, short, country, region, city, domain, phone = ident
        domain = domain if domain not in seen_domains else domain.replace(".example", f"{index}.example")
        seen_names.add(name)
        seen_domains.add(domain)
        joins_late = rng.random() < 0.12
        if joins_late:
            created_day = float(rng.uniform(60, span - 150))
            first_day = created_day + float(rng.uniform(3, 30))
        else:
            created_day, first_day = -float(rng.uniform(30, 8 * 365)), float(rng.uniform(0, 25))
        churns = not joins_late and rng.random() < 0.17
        last_day = float(rng.uniform(0.3, 0.82) * span) if churns else float(span)
        acct = DemoAccount(
            index, f"ACC-{index + 1:05d}", name, short, language, industry_name, size, tier, country, region, city,
            domain, phone, begin + timedelta(days=int(created_day), hours=int(rng.integers(9, 17))), first_day,
            last_day, churns, float(rng.normal(-0.25, 0.5) if churns else rng.normal(0.35, 0.55)),
            float(rng.normal(0.08, 0.1)),
            pick(rng, ORDER_CHANNELS, np.array([0.45, 0.25, 0.02 + 0.05 * size, 0.12, 0.08])))
        cats = list(industry["categories"])
        order = rng.permutation(len(cats))
        acct.categories = tuple(cats[i] for i in order)
        acct.description = _describe(rng, acct, industry)
        affinity = np.array([3.0 if p.category.code in acct.categories[:3] else
                             1.0 if p.category.code in acct.categories else 0.05 for p in products])
        allowed = np.array([p.currency == "USD" or country == "China" for p in products])
        p = popularity * affinity * allowed
        acct.candidates, acct.candidate_p = np.arange(len(products)), p / p.sum()
        n_staples = min(2 + size + int(rng.integers(0, 2)), 7)
        acct.staples = [int(i) for i in rng.choice(len(products), size=n_staples, replace=False, p=acct.candidate_p)]
        accounts.append(acct)
    return accounts


def make_contacts(rng: np.random.Generator, accounts: list[DemoAccount], begin: datetime) -> list[dict[str, Any]]:
    """1-3 buyers per account, named for the account's language, at the account's ``.example`` domain."""
    rows: list[dict[str, Any]] = []
    seen_emails: set[str] = set()
    for acct in accounts:
        for _ in range(min(3, 1 + int(rng.binomial(2, (0.2, 0.35, 0.5, 0.65, 0.8)[acct.size])))):
            if acct.language == "zh":
                (surname, s_py), (given, g_py) = pick(rng, ZH_SURNAMES), pick(rng, ZH_GIVEN)
                name, local = f"{surname}{given}", f"{g_py}.{s_py}"
                phone = f"+86 1{rng.integers(30, 90)} {rng.integers(1000, 10000)} {rng.integers(1000, 10000)}"
            else:
                first, last = pick(rng, EN_FIRST), pick(rng, EN_LAST)
                name, local = f"{first} {last}", f"{first}.{last}".lower().replace(" ", "")
                phone = (f"+1 555-{rng.integers(100, 1000)}-{rng.integers(1000, 10000)}" if acct.phone_prefix == "+1"
                         else f"{acct.phone_prefix} {rng.integers(10, 100)} {rng.integers(1000, 10000)} "
                              f"{rng.integers(1000, 10000)}")
            email = f"{local}@{acct.domain}"
            n = 2
            while email in seen_emails:
                email, n = f"{local}{n}@{acct.domain}", n + 1
            seen_emails.add(email)
            external_id = f"CON-{len(rows) + 1:05d}"
            acct.contacts.append((external_id, name))
            first_order = begin + timedelta(days=int(acct.first_day))  # buyers exist before they first buy
            created = min(acct.created_at + timedelta(days=int(rng.integers(0, 200))), first_order)
            rows.append({"external_id": external_id, "account_external_id": acct.external_id, "name": name,
                         "email": email, "phone": phone, "title": pick(rng, TITLES[acct.language]),
                         "language": acct.language, "created_at": created})
    return rows
