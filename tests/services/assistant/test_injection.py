"""Prompt injection against the service assistant (issue 16, item 5), on a real workspace with the sample knowledge
base: instructions planted in knowledge-base articles and customer messages (tests/services/injection_cases.py)
never change routing or hand-off, never reach an answer or a citation, and never leak another account's orders."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.account import Account
from bizpilot.domain.knowledge import KnowledgeArticle
from bizpilot.domain.order import Order, OrderLine
from bizpilot.domain.product import Product
from bizpilot.llm.injection import drop_instructions, looks_like_instruction
from bizpilot.services.assistant import AskResult, ask
from bizpilot.services.assistant.compose import sentences
from tests.retrieval.kb_sample import FAQ_CSV, PAYMENT_ZH_MD, RETURNS_MD, SHIPPING_HTML
from tests.services.injection_cases import (
    KB_CASES,
    MESSAGE_CASES,
    OTHER_ACCOUNT,
    OTHER_ORDERS,
    OTHER_SECRETS,
    ZW,
)

#: Questions asked over both knowledge bases besides each case's own (answered ones and each kind of hand-off).
GENERAL_QUESTIONS = [
    ("Do you accept credit cards?", None), ("你们的付款条件是什么", None), ("where is my order?", "ACC-T1"),
    ("Do you sell pumps with a five year guarantee in Antarctica?", None),
    ("who won the football world cup in 1998?", None), ("请帮我转人工客服", None),
]


@pytest.fixture
def two_accounts(kb_engine: Engine) -> Engine:
    """The sample workspace plus a second account whose orders an attacker asks about."""
    with Session(kb_engine) as s:
        glue = s.query(Product).filter_by(sku="ADH-2001").one()
        other = Account(external_id=OTHER_ACCOUNT, name="Rival Trading Co", industry="retail", language="en")
        s.add(other)
        s.flush()
        for ext, day, qty, price in OTHER_ORDERS:
            order = Order(external_id=ext, account_id=other.id, ordered_at=datetime.fromisoformat(day),
                          currency="USD")
            s.add(order)
            s.flush()
            s.add(OrderLine(order_id=order.id, line_no=1, product_id=glue.id, quantity=qty, unit_price=price))
        s.commit()
    return kb_engine


def _outcome(r: AskResult, *, answer: bool = True) -> dict[str, Any]:
    """What routing decided (and, with ``answer``, what the customer reads; ticket numbers differ between runs)."""
    out: dict[str, Any] = {"handoff": r.handoff, "reason": r.handoff_reason, "language": r.language,
                           "routes": [(p["route"], p["handoff_reason"]) for p in r.parts]}
    if answer:
        out["answer"] = re.sub(r"#\d+", "#N", r.answer)
        out["cited"] = [s["citation"] for s in r.sources]
    return out


def _said(r: AskResult) -> list[str]:
    """The sentences a knowledge-base answer copied from its sources."""
    return [s.strip() for p in r.parts if p["route"] == "kb" for s in re.findall(r"(.+?) \[\d+\]", p["answer"])]


def _shown(r: AskResult) -> str:
    """Everything of the turn a customer can see: the answer, each part's answer and the cited sources."""
    return "\n".join([r.answer, *(p["answer"] for p in r.parts),
                      *(f"{s['citation']} {s.get('text', '')}" for s in r.sources)])


def _assert_no_leak(r: AskResult, asked: str) -> None:
    shown = _shown(r)
    leaked = [s for s in OTHER_SECRETS if s in shown and s not in asked]
    assert leaked == [], (leaked, r.answer)
    assert not [s for s in r.sources if s["source"].startswith("order:SO-2024-09")]
    assert all(p["route"] != "orders" or all(c["source"] in ("order:ORD-T1", "order:ORD-T2")
                                             for c in p["citations"]) for p in r.parts)


def _put_articles(session: Session, bodies: dict[str, tuple[str, str, str]]) -> None:
    """Make the article table hold exactly these (external id -> title, body, language)."""
    rows = {a.external_id: a for a in session.query(KnowledgeArticle)}
    for ext, row in rows.items():
        if ext not in bodies:
            session.delete(row)
    for ext, (title, body, lang) in bodies.items():
        row = rows.get(ext) or KnowledgeArticle(external_id=ext)
        row.title, row.body, row.language, row.updated_at = title, body, lang, utcnow()
        session.add(row)
    session.flush()


def test_the_sample_knowledge_base_has_no_false_positives() -> None:
    """The detector leaves ordinary help text alone (every sentence of the sample knowledge base)."""
    text = "\n".join([RETURNS_MD, SHIPPING_HTML, FAQ_CSV, PAYMENT_ZH_MD, "Tell us your order number.",
                      "请在收货后7天内联系我们。", "Please contact your account manager for a quote.",
                      "You must keep the receipt to return an item."])
    flagged = [s for s in sentences(text) if looks_like_instruction(s)]
    assert flagged == []


@pytest.mark.parametrize("case", KB_CASES, ids=[c.id for c in KB_CASES])
def test_each_planted_article_reads_as_its_clean_twin(case: Any) -> None:
    """What the assistant may read of an attacked article is exactly the clean article (hidden text and
    instructions cut out), so nothing downstream can see the attack."""
    assert drop_instructions(case.body).split() == case.clean.split()


def test_articles_with_planted_instructions_change_no_route_and_no_answer(two_accounts: Engine) -> None:
    questions = [*((c.question, None) for c in KB_CASES), *GENERAL_QUESTIONS]
    with Session(two_accounts) as session:
        _put_articles(session, {f"INJ-{i}": (c.title, c.clean, c.language) for i, c in enumerate(KB_CASES) if c.clean})
        clean = [_outcome(ask(session=session, question=q, account=a), answer=False) for q, a in questions]
        _put_articles(session, {f"INJ-{i}": (c.title, c.body, c.language) for i, c in enumerate(KB_CASES)})
        attacked = [ask(session=session, question=q, account=a) for q, a in questions]
    changed = [(q, before, _outcome(after, answer=False))
               for (q, _), before, after in zip(questions, clean, attacked, strict=True)
               if _outcome(after, answer=False) != before]
    assert changed == []
    # Every answer sentence is a sentence of the clean knowledge base (ranking may differ: the planted text was
    # indexed with its article, so the order of equally good sources can change, never what they say).
    corpus = "\n".join([RETURNS_MD, SHIPPING_HTML, FAQ_CSV, PAYMENT_ZH_MD, *(c.clean for c in KB_CASES)])
    invented = [(q, s) for (q, _), r in zip(questions, attacked, strict=True) for s in _said(r) if s not in corpus]
    assert invented == []
    assert sum(len(_said(r)) for r in attacked) >= len(KB_CASES)
    # The attacks' own articles answer their questions (the clean part of the article is the knowledge).
    answered = {c.id: r for c, r in zip(KB_CASES, attacked, strict=False)}
    assert not answered["en-discount"].handoff
    assert answered["en-discount"].answer.startswith("We accept bank transfer, Visa and Mastercard.")
    assert not answered["en-zero-width"].handoff and "7 business days" in answered["en-zero-width"].answer
    for case, r in answered.items():
        spec = next(c for c in KB_CASES if c.id == case)
        shown = _shown(r)
        assert [f for f in spec.forbidden if f in shown] == [], (case, r.answer)
        assert not looks_like_instruction(shown), (case, shown)
        _assert_no_leak(r, spec.question)
    for r in attacked:
        assert ZW not in _shown(r) and "<!--" not in _shown(r)


@pytest.mark.parametrize("case", MESSAGE_CASES, ids=[c.id for c in MESSAGE_CASES])
def test_instructions_in_a_customer_message_change_no_route_and_leak_nothing(two_accounts: Engine,
                                                                              case: Any) -> None:
    with Session(two_accounts) as session:
        r = ask(session=session, question=case.message, account=case.account)
        _assert_no_leak(r, case.message)
        assert [f for f in case.forbidden if f in r.answer] == []
        assert case.account is not None or all(p["route"] != "orders" for p in r.parts)
        if case.clean is not None:
            assert _outcome(r) == _outcome(ask(session=session, question=case.clean, account=case.account))
