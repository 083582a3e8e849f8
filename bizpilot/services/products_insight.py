"""The model-backed and text-backed parts of a product's page: its demand forecast with intervals, its buyers'
segments, similar products (all read from what training stored; a model that is not ready raises
``ModelNotReady`` for the page to show), what customers say about it by aspect, and the product copy generated
for it with the result of its checks.

Interactions name their product when they were imported with a SKU (``product_id``); the others count only when
their subject or text mentions the product's SKU or full name (case-insensitive), and each mention says which way
it was found. Aspects come from a small bilingual keyword list; the sentiment of a mention is the message's own,
as the signals analysis stored it, else that of its rating (a review's stars), else it counts as not analysed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Product
from bizpilot.domain.ops import GeneratedContent
from bizpilot.errors import NotFoundError
from bizpilot.ml.segment import SEGMENT_BY_KEY
from bizpilot.services.content.facts import PRODUCT_KINDS
from bizpilot.services.insights.texts import message_text
from bizpilot.services.intelligence.forecasts import ProductForecast, product_forecasts
from bizpilot.services.intelligence.specs import SEGMENTS
from bizpilot.services.models.access import outputs
from bizpilot.services.products import Share, buyer_revenue, shares
from bizpilot.services.recommend.service import similar_products

MIN_NAME_CHARS = 4  # a shorter product name matches too much text to count as a mention
MAX_MENTIONS = 500  # the most recent mentions read per product
QUOTE_CANDIDATES = 4  # messages kept per aspect and quote shown, to quote other messages than another aspect's
SENTIMENTS = ("positive", "neutral", "negative")
# Aspect -> keywords (Chinese ones match as substrings; English ones as whole words with a plural/past ending, or as
# any word beginning with them when they end in "*").
ASPECTS: dict[str, tuple[str, ...]] = {
    "quality": ("quality", "defect*", "broken", "damaged", "durab*", "well made", "flimsy", "wore out", "failed",
                "stopped working", "faulty", "质量", "品质", "做工", "耐用", "瑕疵", "缺陷", "坏了", "损坏", "故障"),
    "delivery": ("deliver*", "shipping", "shipment", "shipped", "arrived", "late", "lead time", "tracking", "transit",
                 "dispatch", "物流", "发货", "送货", "到货", "交货", "快递", "配送", "延迟", "货期"),
    "price": ("price", "pricing", "cost", "expensive", "cheap", "discount", "value for money", "quote", "charged",
              "价格", "价钱", "贵", "便宜", "折扣", "性价比", "报价", "优惠"),
    "packaging": ("packag*", "packed", "box", "carton", "label*", "pallet", "包装", "纸箱", "标签", "托盘"),
    "service": ("service", "support", "reply", "replied", "respon*", "answer", "account manager", "communication",
                "客服", "服务", "回复", "态度", "售后", "沟通"),
    "billing": ("invoice*", "billed", "billing", "credit", "refund", "payment", "发票", "账单", "开票",
                "付款", "退款"),
    "setup": ("install*", "setup", "set up", "instruction*", "documentation", "manual", "fits", "specification*",
              "安装", "说明书", "文档", "规格", "适配"),
}


def _keyword(word: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", word):
        return re.escape(word)
    if word.endswith("*"):
        return r"\b" + re.escape(word[:-1])
    return r"\b" + re.escape(word) + r"(?:s|es|d|ed)?\b"


_PATTERNS = {aspect: re.compile("|".join(_keyword(w) for w in words), re.IGNORECASE)
             for aspect, words in ASPECTS.items()}


def product_forecast(*, session: Session, product_id: int) -> ProductForecast | None:
    """The stored demand forecast of the product with its intervals (None: the product had no sales to forecast)."""
    try:
        found = product_forecasts(session=session, product_id=product_id)
    except NotFoundError:
        return None
    return found[0] if found else None


def buyer_segments(*, session: Session, product_id: int, lang: str = "en") -> list[Share]:
    """Who buys the product, by the buyers' RFM segment from the segments model (net revenue, accounts, share)."""
    revenue = buyer_revenue(session=session, product_id=product_id)
    return shares(revenue, account_segments(session=session, account_ids=list(revenue), lang=lang))


def account_segments(*, session: Session, account_ids: list[int], lang: str = "en") -> dict[int, str]:
    """The segment name of each of ``account_ids`` (those with purchases) from the segments model."""
    rows = outputs(session=session, spec=SEGMENTS, subject="account", subject_ids=account_ids) if account_ids else []
    out = {}
    for r in rows:
        seg = SEGMENT_BY_KEY.get(r.payload.get("segment"))
        out[int(r.subject_id)] = (seg.name_zh if lang == "zh" else seg.name) if seg else str(r.payload.get("segment"))
    return out


def similar(*, session: Session, product_id: int, n: int = 8) -> dict[str, Any]:
    """Similar products from the stored recommender (bought by the same accounts, by description for new ones)."""
    return similar_products(session=session, product=product_id, n=n)


@dataclass
class AspectSentiment:
    aspect: str
    mentions: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unanalysed: int = 0
    quotes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> float:
        """(positive - negative) / analysed mentions, -1..1 (0 when none is analysed)."""
        analysed = self.positive + self.neutral + self.negative
        return round((self.positive - self.negative) / analysed, 3) if analysed else 0.0


@dataclass
class ProductVoice:
    """What customers say about a product: mentions in total and how they were found, sentiment per aspect."""

    mentions: int
    linked: int  # interactions imported with the product's SKU
    matched: int  # interactions that only mention its SKU or name in their text
    sentiment: dict[str, int]
    sources: dict[str, int]  # where each mention's sentiment came from: signals, rating, none
    aspects: list[AspectSentiment]


def _sentiment(ix: Interaction) -> tuple[str | None, str]:
    """The message's sentiment and where it came from: the stored signals, else its rating, else none."""
    if ix.sentiment in SENTIMENTS:
        return ix.sentiment, "signals"
    if ix.rating is not None:
        scale = 10.0 if ix.rating > 5 else 5.0
        value = ix.rating / scale
        return ("positive" if value >= 0.7 else "negative" if value <= 0.4 else "neutral"), "rating"
    return None, "none"


def aspects_of(text: str) -> list[str]:
    """The aspects a text talks about (keyword list above), in the list's order."""
    return [aspect for aspect, pattern in _PATTERNS.items() if pattern.search(text)]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def product_voice(*, session: Session, product_id: int, quotes: int = 2) -> ProductVoice:
    """Sentiment by aspect over the customer interactions about the product (see the module docstring)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFoundError(f"products {product_id} not found",
                            details=[{"field": "id", "reason": f"no products row with id {product_id}"}])
    terms = [product.sku] + ([product.name] if len((product.name or "").strip()) >= MIN_NAME_CHARS else [])
    mentions = [c.ilike(_like(term.strip()), escape="\\") for term in terms for c in (Interaction.text,
                                                                                       Interaction.subject)]
    rows = session.execute(
        select(Interaction, Account.name).outerjoin(Account, Account.id == Interaction.account_id)
        .where(Interaction.archived_at.is_(None), Interaction.direction != "outbound",
               Interaction.direction != "internal",
               or_(Interaction.product_id == product_id, and_(Interaction.product_id.is_(None), or_(*mentions))))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(MAX_MENTIONS)).all()
    found: dict[str, AspectSentiment] = {a: AspectSentiment(a) for a in ASPECTS}
    candidates: dict[str, list[dict[str, Any]]] = {a: [] for a in ASPECTS}
    overall: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    linked = 0
    for ix, account_name in rows:
        linked += ix.product_id == product_id
        label, source = _sentiment(ix)
        sources[source] += 1
        overall[label or "unanalysed"] += 1
        text = message_text(ix.subject, ix.text)
        for aspect in aspects_of(text):
            item = found[aspect]
            item.mentions += 1
            setattr(item, label or "unanalysed", getattr(item, label or "unanalysed") + 1)
            if len(candidates[aspect]) < QUOTE_CANDIDATES * quotes and ix.text:
                candidates[aspect].append({"interaction_id": ix.id, "account_id": ix.account_id,
                                           "account_name": account_name, "text": ix.text, "sentiment": label,
                                           "channel": ix.channel, "occurred_at": ix.occurred_at})
    aspects = sorted((a for a in found.values() if a.mentions), key=lambda a: (-a.mentions, a.aspect))
    _assign_quotes(aspects, candidates, quotes)
    return ProductVoice(mentions=len(rows), linked=linked, matched=len(rows) - linked,
                        sentiment={k: overall.get(k, 0) for k in (*SENTIMENTS, "unanalysed")},
                        sources={k: sources.get(k, 0) for k in ("signals", "rating", "none")}, aspects=aspects)


def _assign_quotes(aspects: list[AspectSentiment], candidates: dict[str, list[dict[str, Any]]], n: int) -> None:
    """Up to ``n`` quotes per aspect, a message quoted under one aspect only (one about quality and delivery is
    not shown twice): each aspect in turn (most mentioned first) takes its newest message not quoted yet, then
    the rest fill up the same way; an aspect whose every message is quoted elsewhere shows its newest anyway."""
    quoted: set[int] = set()
    for _round in range(n):
        for item in aspects:
            if len(item.quotes) > _round:
                continue
            fresh = next((q for q in candidates[item.aspect] if q["interaction_id"] not in quoted), None)
            if fresh is not None:
                item.quotes.append(fresh)
                quoted.add(fresh["interaction_id"])
    for item in aspects:
        if not item.quotes:
            item.quotes = candidates[item.aspect][:1]


def product_generations(*, session: Session, product_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Product copy generated for the product (newest first) with what its checks found: facts kept, repaired and
    dropped sentences, the quality checks that failed, and whether it fell back to the deterministic text."""
    rows = session.scalars(select(GeneratedContent).where(GeneratedContent.product_id == product_id,
                                                          GeneratedContent.kind.in_(PRODUCT_KINDS))
                           .order_by(GeneratedContent.id.desc()).limit(limit)).all()
    out = []
    for row in rows:
        check = row.check_result or {}
        lint = check.get("lint") or {}
        out.append({"id": row.id, "kind": row.kind, "language": row.language, "status": row.status,
                    "rating": row.rating, "model": row.model, "created_at": row.created_at,
                    "output": row.edited_output or row.output, "edited": bool(row.edited_output),
                    "clean": bool(check.get("clean")), "kept": int(check.get("kept") or 0),
                    "repaired": int(check.get("repaired") or 0), "dropped": int(check.get("dropped") or 0),
                    "failed_checks": list(lint.get("failed_checks") or []),
                    "fallback": bool(check.get("fallback")), "fallback_reason": check.get("fallback_reason")})
    return out


__all__ = ["ASPECTS", "AspectSentiment", "ProductVoice", "account_segments", "aspects_of", "buyer_segments",
           "product_forecast", "product_generations", "product_voice", "similar"]
