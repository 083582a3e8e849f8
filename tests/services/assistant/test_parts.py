"""A message with several questions: each is split out, routed (knowledge base, the account's orders, hand-off)
and answered with its citations, and a part the assistant cannot answer is named and handed off alone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.conversation import HandoffTicket
from bizpilot.services.assistant import ask
from bizpilot.services.assistant.compose import HANDOFF_TEXT, PART_NOTE
from bizpilot.services.assistant.parts import question_clause, split_parts, wants_order_status


@pytest.mark.parametrize("message,parts", [
    ("我的订单什么时候发货？能开增值税专用发票吗", ["我的订单什么时候发货？", "能开增值税专用发票吗"]),
    ("我的订单什么时候发货能开增值税专用发票吗", ["我的订单什么时候发货", "能开增值税专用发票吗"]),  # no punctuation
    ("最低起订金额是多少，可以设置定期订单吗？", ["最低起订金额是多少", "可以设置定期订单吗？"]),
    ("帮我转人工，另外你们的付款条件是什么？", ["帮我转人工", "你们的付款条件是什么？"]),
    ("Do you ship to Norway and how long does express take?", ["Do you ship to Norway", "how long does express take?"]),
    ("Can we order by e-mail? Also, what payment methods do you accept?",
     ["Can we order by e-mail?", "what payment methods do you accept?"]),
    ("Your driver dumped the pallet in the rain, I'm furious. Also, what is your return window?",
     ["Your driver dumped the pallet in the rain, I'm furious.", "what is your return window?"]),
])
def test_a_message_splits_into_its_questions(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize("message", [
    "Do you take Visa or Mastercard?",  # one question with "or"
    "A box arrived crushed. How long do I have to report it?",  # a statement is context of its question
    "Do orders to the same address on the same day count together for free shipping?",
    "订单发货前还能修改吗？",
    "我的货什么时候能到",  # a question word before 能 does not start a second question
    "Hi, what are your payment terms?",
])
def test_a_single_question_stays_whole(message: str) -> None:
    assert split_parts(message) == [message]


@pytest.mark.parametrize("message,parts", [
    # a question after a dash is not folded into the statement before it, and "also" opens a part of its own
    ("Three of the pumps showed up dented - what should we do next, and could I also get the datasheets?",
     ["Three of the pumps showed up dented - what should we do next", "could I also get the datasheets?"]),
    ("The gloves came torn, and do you also stock nitrile ones?",
     ["The gloves came torn", "do you also stock nitrile ones?"]),
    ("收到的阀门有两个裂了，另外可以用银行转账付款吗", ["收到的阀门有两个裂了", "可以用银行转账付款吗"]),
])
def test_a_further_request_after_a_reported_problem_is_a_part(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize("message", [
    "The tape arrived crushed, and who should I tell?",  # no "also": the question is about the problem
    "We need it by Friday - can you ship it express?",
])
def test_a_question_about_the_statement_stays_with_it(message: str) -> None:
    assert split_parts(message) == [message]


def test_ordering_channels_minimums_and_standing_orders_are_not_order_lookups() -> None:
    for text in ("Can we send our purchase orders by EDI?", "What is the minimum order value?",
                 "How do I set up a standing order for items we buy every month?", "可以通过EDI下单吗？",
                 "Can we order by e-mail?", "Who won the 2018 World Cup?"):
        assert not wants_order_status(text), text
    for text in ("where is my order 1043?", "What is the status of my last order?", "我的订单SO-2025-002637到哪了？",
                 "我的订单什么时候发货？"):
        assert wants_order_status(text), text


def _cited(result: object, part: dict) -> set[str]:
    return {c["source"] for c in part["citations"]}


def test_every_part_is_answered_with_its_own_citations(kb_session: Session) -> None:
    r = ask(session=kb_session, question="How long does express delivery take, and what is the restocking fee?")
    assert not r.handoff and [p["route"] for p in r.parts] == ["kb", "kb"]
    assert [p["question"] for p in r.parts] == ["How long does express delivery take",
                                                "what is the restocking fee?"]
    assert r.parts[0]["citations"][0]["source"] == "shipping.html"  # (a close second source may follow)
    assert r.parts[1]["citations"][0]["source"] == "returns.md"
    assert "Express delivery takes 1-2 business days." in r.answer and "15%" in r.answer
    for part in r.parts:  # every citation number points at the source it names, in the one sources list
        assert part["handoff_reason"] is None and part["answer"]
        for c in part["citations"]:
            assert r.sources[c["n"] - 1]["source"] == c["source"] and f"[{c['n']}]" in part["answer"]
    assert sorted(int(n) for n in set(re.findall(r"\[(\d+)\]", r.answer))) == list(range(1, len(r.sources) + 1))
    zh = ask(session=kb_session, question="你们开增值税专用发票吗？付款条件是什么")
    assert not zh.handoff and len(zh.parts) == 2
    assert zh.parts[0]["citations"][0]["source"] == "faq.csv" and zh.parts[1]["citations"][0]["source"] == "付款.md"
    assert "月结30天" in zh.answer and "增值税专用发票" in zh.answer


def test_order_part_and_knowledge_part_in_one_message(kb_session: Session) -> None:
    r = ask(session=kb_session, question="Where is my order ORD-T2? And how long does express delivery take?",
            account="ACC-T1")
    assert not r.handoff and [p["route"] for p in r.parts] == ["orders", "kb"]
    assert "order:ORD-T2" in _cited(r, r.parts[0]) and all(c["kind"] == "order" for c in r.parts[0]["citations"])
    assert r.parts[1]["citations"][0]["source"] == "shipping.html"
    assert r.answer.startswith("Order ORD-T2 (placed 2024-06-01, 1 line(s), USD 243.60) is fulfilled")


def test_only_the_part_that_needs_a_person_is_handed_off(kb_session: Session) -> None:
    r = ask(session=kb_session, question="Refund the full amount of our last order to our bank account "
                                         "immediately. How long does express delivery take?", account="ACC-T1")
    assert r.handoff and r.handoff_reason == "refund_request" and r.ticket_id is not None
    assert [p["route"] for p in r.parts] == ["handoff", "kb"]
    assert [p["handoff_reason"] for p in r.parts] == ["refund_request", None]
    note = PART_NOTE["en"].format(parts=r.parts[0]["question"])
    handoff = HANDOFF_TEXT["en"]["refund_request"].format(ticket=r.ticket_id)
    assert r.answer.endswith(" " + note + handoff)
    assert "Express delivery takes 1-2 business days. [1]" in r.answer.removesuffix(" " + note + handoff)
    assert r.parts[0]["answer"] == handoff and r.parts[0]["ticket_id"] == r.ticket_id
    assert r.sources and r.sources[0]["source"] == "shipping.html"  # the answered part keeps its citations
    assert r.sources == [next(s for s in r.sources if s["source"] == c["source"]) for c in r.parts[1]["citations"]]
    ticket = kb_session.get(HandoffTicket, r.ticket_id)
    assert ticket.reason == "refund_request" and "For a person: \"Refund the full amount" in ticket.summary
    assert len(kb_session.scalars(select(HandoffTicket)).all()) == 1  # one ticket for the message


def test_hand_off_rules_whatever_else_the_message_asks(kb_session: Session) -> None:
    refund = ask(session=kb_session, question="Refund the full amount of our last order to our bank account "
                                              "immediately.", account="ACC-T1")
    assert refund.handoff and refund.handoff_reason == "refund_request" and len(refund.parts) == 1
    assert refund.answer == HANDOFF_TEXT["en"]["refund_request"].format(ticket=refund.ticket_id)
    zh = ask(session=kb_session, question="帮我转人工，另外你们的付款条件是什么？")
    assert zh.handoff_reason == "escalation" and [p["route"] for p in zh.parts] == ["handoff", "kb"]
    assert "月结30天" in zh.answer and zh.answer.endswith(HANDOFF_TEXT["zh"]["escalation"].format(ticket=zh.ticket_id))
    policy = ask(session=kb_session, question="退款多久到账？")  # a question about refunds is not a demand
    assert policy.handoff_reason != "refund_request"
    edi = ask(session=kb_session, question="Can we send our purchase orders by EDI?", account="ACC-T1")
    assert edi.parts[0]["route"] != "orders" and edi.handoff_reason not in ("order_not_found", "account_needed")
    assert not any(s["kind"] == "order" for s in edi.sources)


def test_a_single_question_keeps_the_old_shape(kb_session: Session) -> None:
    r = ask(session=kb_session, question="Do you accept credit cards?")
    assert len(r.parts) == 1 and r.parts[0]["answer"] == r.answer and r.parts[0]["route"] == "kb"
    assert r.parts[0]["question"] == "Do you accept credit cards?"
    assert {"answer", "sources", "retrieved", "handoff", "handoff_reason", "ticket_id", "parts"} <= set(r.to_dict())


@pytest.mark.parametrize("message,parts", [
    # a finished question (…吗) with a further question glued on, with or without a joiner
    ("这批货能先寄样品吗另外大货的交期怎么安排", ["这批货能先寄样品吗", "大货的交期怎么安排"]),
    ("这款多少钱还有货吗", ["这款多少钱", "还有货吗"]),  # 还有货 is "in stock", not a joiner to strip
    ("我想了解质保期限以及怎么申请维修", ["我想了解质保期限", "怎么申请维修"]),
    # "怎么 + verb" then a question of its own, no joiner at all
    ("收到的胶带有一卷破了怎么退换运费是谁出", ["收到的胶带有一卷破了怎么退换", "运费是谁出"]),
    # whole questions between commas, and an imperative request
    ("What are your payment terms, can we pay by card, and do you invoice in EUR?",
     ["What are your payment terms", "can we pay by card", "do you invoice in EUR?"]),
    ("Please send us the CE certificate, and what is the warranty on the panels?",
     ["Please send us the CE certificate", "what is the warranty on the panels?"]),
])
def test_run_on_and_listed_questions_are_split(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize("message", [
    "如何计算运费多少钱",  # the verb after 如何 takes what follows as its object
    "这个型号还有货吗",
    "When it arrives, how do I check it?",  # a clause, not a question, before the comma
    "Hi, what are your payment terms?",
])
def test_a_clause_before_a_question_is_not_split_off(message: str) -> None:
    assert split_parts(message) == [message]


def test_an_amount_is_not_an_order_number() -> None:
    assert not wants_order_status("What's the freight on a $350 order?")
    assert not wants_order_status("满300元的订单包邮吗")
    assert wants_order_status("where is order 10432?")


def test_a_label_and_permission_cues_do_not_hide_the_questions() -> None:
    assert split_parts("Two questions: is there a restocking fee, do returns need an RMA, and how long do refunds "
                       "take?") == ["Two questions: is there a restocking fee", "do returns need an RMA",
                                    "how long do refunds take?"]
    assert split_parts("没有发票能退货行不行，另外运费谁出") == ["没有发票能退货行不行", "运费谁出"]


def test_the_asking_clause_is_told_from_the_statements_before_it() -> None:
    assert split_parts("Our site moved last week - who pays the freight now? Also, do you take cards?") == [
        "Our site moved last week - who pays the freight now?", "do you take cards?"]
    assert question_clause("Our site moved last week - who pays the freight now?") == "who pays the freight now?"
    assert question_clause("我们第一次出口，关税谁付") == "关税谁付"
    assert question_clause("Who pays the freight?") == "Who pays the freight?"


@pytest.mark.parametrize("message,parts", [
    ("Please get me a supervisor - and meanwhile, what are your payment terms?",
     ["Please get me a supervisor", "what are your payment terms?"]),
    ("Send me a copy of the invoice, and remind me what your payment terms are.",
     ["Send me a copy of the invoice", "remind me what your payment terms are."]),
    ("交期多久再就是能开专票吗", ["交期多久", "能开专票吗"]),
    # a short question pointing back at a statement takes the statement as its context, not as a question
    ("Your restocking fee sounds outrageous - how much is it exactly, and do you take cards?",
     ["Your restocking fee sounds outrageous - how much is it exactly", "do you take cards?"]),
])
def test_requests_and_meanwhile_questions_are_parts(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize("message,parts", [
    # chat-style Chinese: yes/no endings without 吗, spaces between clauses, a greeting, 然后
    ("亲 扎带有黑色的没呀 然后月结要准备啥材料", ["扎带有黑色的没呀", "月结要准备啥材料"]),
    ("手套有L码的不，拆封了能退不", ["手套有L码的不", "拆封了能退不"]),
    ("能开专票嘛 运费咋算", ["能开专票嘛", "运费咋算"]),
    # phone-typed English: a question inside a run-on sentence, a numbered list, a conditional question
    ("box came in busted what do i do also whats the lead time on gloves",
     ["box came in busted - what do i do", "whats the lead time on gloves"]),
    ("Before we start: 1) what is the minimum order 2) do you take cards",
     ["Before we start - what is the minimum order", "do you take cards"]),
    ("Do you stock nitrile gloves, and if a box arrives torn how long do we have to tell you?",
     ["Do you stock nitrile gloves", "if a box arrives torn - how long do we have to tell you?"]),
])
def test_chat_style_and_phone_typed_messages_split(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize("message,parts", [
    ("请问：1. 有没有不锈钢的？2. 多久发货？", ["有没有不锈钢的？", "多久发货？"]),
    ("有没有防火认证（比如UL、CE）？另外交期多久", ["有没有防火认证（比如UL、CE）？", "交期多久"]),
    # a demand stays one part with the statement after it; the question after 另外 is its own
    ("这批手套破洞太多，我们要求全额退款，不要换货。另外有没有加厚款",
     ["这批手套破洞太多，我们要求全额退款，不要换货。", "有没有加厚款"]),
    ("Three things before we sign up: what the minimum order is, whether you ship abroad, and which cards you take.",
     ["Three things before we sign up: what the minimum order is", "whether you ship abroad", "which cards you take."]),
    ("Good afternoon. Do you stock ear plugs? And what is the restocking fee?",
     ["Do you stock ear plugs?", "what is the restocking fee?"]),
])
def test_lists_brackets_greetings_and_demands(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


def test_a_reason_clause_goes_with_the_question_after_it() -> None:
    assert split_parts("Can we set up a standing order, and since we are a small account, who handles our "
                       "questions?") == ["Can we set up a standing order",
                                         "since we are a small account, who handles our questions?"]
    assert split_parts("在吗 胶带有黑色的吗 对了胶带有保修没") == ["胶带有黑色的吗", "胶带有保修没"]
