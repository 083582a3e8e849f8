"""The facts bundle every generation starts from: typed facts read from the database, each with a stable id
(``product.price``, ``product.attr.material``, ``account.name``, ``order.last.date``), so a checked draft can say
which fact backs which sentence, and a stored generation keeps exactly what it was grounded in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bizpilot.domain.account import Account
from bizpilot.domain.opportunity import Opportunity
from bizpilot.domain.order import Order, OrderLine
from bizpilot.domain.product import Product
from bizpilot.errors import NotFoundError, ValidationFailed
from bizpilot.llm.injection import looks_like_instruction
from bizpilot.services.content.glossary import category_zh, term_zh, unit_zh, use_workspace_glossary, value_zh
from bizpilot.services.references import resolve_account, resolve_product

PRODUCT_KINDS = ("product_description", "ad", "headline", "announcement", "inquiry_reply")
ACCOUNT_KINDS = ("sales_email", "follow_up", "case_study", "call_script")
KINDS: tuple[str, ...] = PRODUCT_KINDS + ACCOUNT_KINDS
LANGUAGES = ("en", "zh")
TOP_PRODUCTS = 3
OPEN_OPPORTUNITIES = 3
_NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> list[float]:
    """Every number written in ``text`` ('-50 to 200 °C' -> [50, 200]; '17,600' -> [17600])."""
    out = []
    for m in _NUM_RE.finditer(text):
        raw = m.group()
        raw = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw) else raw.replace(",", ".")
        try:
            out.append(float(raw))
        except ValueError:
            continue
    return out


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return ""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Fact:
    """One fact. ``kind``: name, sku, text, attribute, price, amount, quantity, count, date. ``text`` is how the
    fact reads in English copy, ``text_zh`` in Chinese copy; ``aliases`` are other acceptable spellings."""

    id: str
    kind: str
    value: Any
    text: str
    text_zh: str = ""
    unit: str | None = None
    currency: str | None = None
    aliases: tuple[str, ...] = ()

    def render(self, language: str) -> str:
        return (self.text_zh or self.text) if language == "zh" else self.text

    @property
    def spellings(self) -> list[str]:
        """Every way the fact may appear in copy, longest first (span matching prefers the longest)."""
        found = {s for s in (self.text, self.text_zh, *self.aliases) if s}
        return sorted(found, key=len, reverse=True)

    @property
    def numbers(self) -> list[float]:
        if self.kind in ("price", "amount", "quantity", "count") and isinstance(self.value, int | float):
            return [float(self.value)]
        return list(dict.fromkeys(numbers_in(" ".join(self.spellings))))


@dataclass
class FactBundle:
    """The facts of one generation plus the catalog context the checker needs to recognise a wrong value:
    ``lexicon`` (every known value per attribute key, both languages) and ``catalog_names`` (other products)."""

    kind: str
    facts: list[Fact]
    product_id: int | None = None
    account_id: int | None = None
    lexicon: dict[str, list[str]] = field(default_factory=dict)
    catalog_names: list[str] = field(default_factory=list)

    def get(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)

    def ids(self, prefix: str = "") -> list[str]:
        return [f.id for f in self.facts if f.id.startswith(prefix)]

    def has(self, fact_id: str) -> bool:
        return self.get(fact_id) is not None

    def signature(self) -> str:
        """A short text of the facts that matter for similarity (category, attribute values, name, industry)."""
        keep = [f for f in self.facts if f.kind in ("attribute", "name", "text") and not f.id.startswith("order.")]
        return " ".join(f"{f.id.rsplit('.', 1)[-1]}={f.text}" for f in keep)

    def to_dict(self, *, catalog: bool = False) -> dict[str, Any]:
        """JSON for storage; the catalog's other product names are left out unless asked for (they are context,
        not facts, and would make every stored generation large)."""
        out = {"kind": self.kind, "product_id": self.product_id, "account_id": self.account_id,
               "facts": [asdict(f) for f in self.facts], "lexicon": self.lexicon}
        if catalog:
            out["catalog_names"] = self.catalog_names
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FactBundle:
        facts = [Fact(**{**f, "aliases": tuple(f.get("aliases") or ())}) for f in data.get("facts", [])]
        return cls(kind=data.get("kind", ""), facts=facts, product_id=data.get("product_id"),
                   account_id=data.get("account_id"), lexicon=dict(data.get("lexicon") or {}),
                   catalog_names=list(data.get("catalog_names") or []))


def find_product(*, session: Session, ref: int | str) -> Product:
    """A product by SKU or id (the shared rule of ``bizpilot.services.references``), reported against the
    ``product_id`` field that content requests name it by."""
    try:
        return resolve_product(session=session, ref=ref)
    except NotFoundError as exc:
        raise NotFoundError(exc.message, details=[{**d, "field": "product_id"} for d in exc.details]) from None


def find_account(*, session: Session, ref: int | str) -> Account:
    """An account by external id or id (the shared rule), reported against the ``account_id`` field."""
    try:
        return resolve_account(session=session, ref=ref)
    except NotFoundError as exc:
        raise NotFoundError(exc.message, details=[{**d, "field": "account_id"} for d in exc.details]) from None


def _product_facts(p: Product) -> list[Fact]:
    facts = [Fact("product.name", "name", p.name, p.name), Fact("product.sku", "sku", p.sku, p.sku)]
    if p.category:
        facts.append(Fact("product.category", "text", p.category, p.category, category_zh(p.category)))
    for key, raw in sorted((p.attributes or {}).items()):
        if raw is None or str(raw).strip() == "" or looks_like_instruction(str(raw)):
            continue  # an imported value that addresses the assistant is not a fact about the product
        value = str(raw).strip()
        facts.append(Fact(f"product.attr.{key}", "attribute", value, value, value_zh(value),
                          aliases=(value.lower(),)))
    if p.price is not None:
        cur = (p.currency or "").upper() or None
        facts.append(Fact("product.price", "price", float(p.price), f"{cur + ' ' if cur else ''}{p.price:.2f}",
                          f"{p.price:.2f}{' ' + cur if cur else ''}", currency=cur, unit=p.unit))
    if p.unit:
        facts.append(Fact("product.unit", "text", p.unit, p.unit, unit_zh(p.unit)))
    if p.stock_qty is not None:
        facts.append(Fact("product.stock", "quantity", float(p.stock_qty), fmt_number(p.stock_qty), unit=p.unit))
    return facts


def _account_facts(session: Session, a: Account) -> list[Fact]:
    facts = [Fact("account.name", "name", a.name, a.name)]
    for key in ("industry", "country", "region", "tier", "size_band"):
        value = getattr(a, key)
        if value:
            facts.append(Fact(f"account.{key}", "text", value, value, term_zh(value)))
    sale = (Order.account_id == a.id) & (Order.kind == "sale")
    count, first, last = session.execute(select(func.count(Order.id), func.min(Order.ordered_at),
                                                func.max(Order.ordered_at)).where(sale)).one()
    if count:
        facts.append(Fact("order.count", "count", int(count), str(int(count))))
        facts.append(Fact("order.first.date", "date", _day(first), _day(first)))
        facts.append(Fact("order.last.date", "date", _day(last), _day(last)))
        top = session.execute(
            select(Product.id, Product.name, func.sum(OrderLine.quantity).label("qty"))
            .join(OrderLine, OrderLine.product_id == Product.id).join(Order, Order.id == OrderLine.order_id)
            .where(sale, OrderLine.line_type == "sale").group_by(Product.id, Product.name)
            .order_by(func.sum(OrderLine.quantity).desc(), Product.id).limit(TOP_PRODUCTS)).all()
        for i, row in enumerate(top, start=1):
            facts.append(Fact(f"order.top.{i}.name", "name", row.name, row.name))
            facts.append(Fact(f"order.top.{i}.qty", "quantity", float(row.qty), fmt_number(row.qty)))
    opps = session.scalars(select(Opportunity).where(Opportunity.account_id == a.id,
                                                     or_(Opportunity.outcome == "open",
                                                         Opportunity.closed_at.is_(None)))
                           .order_by(Opportunity.created_at.desc()).limit(OPEN_OPPORTUNITIES)).all()
    opps = [o for o in opps if not looks_like_instruction(o.name)]
    for i, o in enumerate(opps, start=1):
        facts.append(Fact(f"opportunity.{i}.name", "text", o.name, o.name))
        facts.append(Fact(f"opportunity.{i}.stage", "text", o.stage, o.stage, term_zh(o.stage)))
        if o.amount is not None:
            cur = (o.currency or "").upper() or None
            facts.append(Fact(f"opportunity.{i}.amount", "amount", float(o.amount),
                              f"{cur + ' ' if cur else ''}{fmt_number(o.amount)}",
                              f"{fmt_number(o.amount)}{' ' + cur if cur else ''}", currency=cur))
    return facts


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _lexicon(session: Session, keys: set[str]) -> dict[str, list[str]]:
    """Every value the catalog uses for the given attribute keys, in English and Chinese."""
    lexicon: dict[str, set[str]] = {k: set() for k in keys}
    if not keys:
        return {}
    for attrs in session.scalars(select(Product.attributes)):
        for key, value in (attrs or {}).items():
            if key in lexicon and value is not None and str(value).strip():
                v = str(value).strip()
                lexicon[key].update({v, value_zh(v)})
    return {k: sorted(v) for k, v in lexicon.items()}


def load_facts(*, session: Session, kind: str, product_id: int | str | None = None,
               account_id: int | str | None = None) -> FactBundle:
    """The facts bundle for one generation; unknown ids raise NotFoundError, a missing required one
    ValidationFailed (a product description needs a product, a sales email an account)."""
    if kind not in KINDS:
        raise ValidationFailed(f"unknown content kind {kind!r}; choose one of {', '.join(KINDS)}",
                               details=[{"field": "kind", "reason": "unknown kind"}])
    use_workspace_glossary(session=session)  # what this generation's Chinese renderings read (content/glossary.py)
    product = find_product(session=session, ref=product_id) if product_id not in (None, "") else None
    account = find_account(session=session, ref=account_id) if account_id not in (None, "") else None
    if kind in PRODUCT_KINDS and product is None:
        raise ValidationFailed(f"{kind} needs a product (--product SKU or product_id)",
                               details=[{"field": "product_id", "reason": f"required for {kind}"}])
    if kind in ACCOUNT_KINDS and account is None:
        raise ValidationFailed(f"{kind} needs an account (--account EXTERNAL_ID or account_id)",
                               details=[{"field": "account_id", "reason": f"required for {kind}"}])
    facts: list[Fact] = []
    if product is not None:
        facts += _product_facts(product)
    if account is not None:
        facts += _account_facts(session, account)
    keys = set((product.attributes or {}).keys()) if product is not None else set()
    names = [n for n in session.scalars(select(Product.name).limit(5000))
             if n not in {f.text for f in facts if f.kind == "name"}]
    return FactBundle(kind=kind, facts=facts, product_id=product.id if product else None,
                      account_id=account.id if account else None, lexicon=_lexicon(session, keys),
                      catalog_names=names)


__all__ = ["ACCOUNT_KINDS", "Fact", "FactBundle", "KINDS", "LANGUAGES", "PRODUCT_KINDS", "find_account",
           "find_product", "fmt_number", "load_facts", "numbers_in"]
