"""The general routing rules that keep colloquial questions on the knowledge base (bench/assistant/synonyms.md,
"Routing rules"): pinned with sentences of their own, not with any bench question."""

from __future__ import annotations

from bizpilot.retrieval import BM25Index, HybridRetriever, VectorIndex, get_embedder
from bizpilot.retrieval.synonyms import builtin_expander
from bizpilot.retrieval.types import Chunk
from bizpilot.services.assistant.compose import handoff_reason
from bizpilot.services.assistant.parts import needs_person, refers_back, split_parts, wants_order_status


def test_a_policy_question_that_mentions_an_order_is_not_an_order_lookup() -> None:
    for text in ("Is shipping free once our order is over a certain value?",
                 "What does it cost to cancel my order before it ships?",
                 "我的订单满多少免运费？"):
        assert not wants_order_status(text), text
    # asking where an order is keeps it a lookup, whatever policy word comes with it
    assert wants_order_status("When will my order arrive? It should have had free shipping.")
    assert wants_order_status("我的订单到哪了？运费已经付了")


def test_asking_how_to_get_a_fault_fixed_is_a_knowledge_base_question() -> None:
    assert handoff_reason("The compressor we bought is faulty, how do we get it repaired?", intent="complaint",
                          sentiment_score=-0.4, out_of_scope=False, asks=True) is None
    assert handoff_reason("阀门漏水了怎么处理", intent="complaint", sentiment_score=-0.5, out_of_scope=False,
                          asks=True) is None
    # a complaint word, a demand or a furious tone still goes to a person
    assert handoff_reason("It broke again, this is unacceptable, what do I do?", intent="complaint",
                          sentiment_score=-0.5, out_of_scope=False, asks=True) == "complaint"
    assert handoff_reason("How do I get my money back for this junk?", intent="complaint",
                          sentiment_score=-0.9, out_of_scope=False, asks=True) == "complaint"


def test_a_reported_problem_before_also_is_a_part_of_its_own() -> None:
    assert split_parts("Two cartons came in dented. Also, do you take wire transfers?") == [
        "Two cartons came in dented.", "do you take wire transfers?"]
    # without a new-topic word the statement stays the context of its question
    assert split_parts("Two cartons came in dented. Who should I tell?") == [
        "Two cartons came in dented. Who should I tell?"]


def test_a_short_question_that_points_back_is_searched_with_its_referent() -> None:
    assert refers_back("what is their phone number?") and refers_back("can we still change it?")
    assert not refers_back("how long does express delivery take?") and not refers_back("付款条件是什么")
    assert refers_back("能改吗") and refers_back("what sizes")  # too short to name their own subject
    assert split_parts("Who looks after our account, and how do we contact them?") == [
        "Who looks after our account, and how do we contact them?"]
    # after an order lookup the follow-up is a policy question of its own
    assert split_parts("Where is my order 5521, and can we still change it?") == [
        "Where is my order 5521", "can we still change it?"]


def test_dense_expansion_ranks_but_never_raises_the_cosine() -> None:
    chunks = [Chunk(text="Returns are accepted within 30 days of delivery.", source="returns.md"),
              Chunk(text="Pumps carry a 24-month warranty.", source="warranty.md")]
    emb = get_embedder("hash")
    plain = HybridRetriever(bm25=BM25Index(), vector=VectorIndex(embedder=emb)).fit(chunks)
    expanded = HybridRetriever(bm25=BM25Index(), vector=VectorIndex(embedder=emb), expander=builtin_expander(),
                               expand_dense=True).fit(chunks)
    query = "can I swap a pump for another size?"
    own = {h.chunk.source: h.cosine for h in plain.run(query, k=2)}
    hits = expanded.run(query, k=2)
    assert hits[0].chunk.source == "returns.md"  # "swap" is searched as a return
    assert {h.chunk.source: h.cosine for h in hits} == own  # confidence is judged on the question's own words


def test_asking_whether_a_fault_is_covered_is_not_a_complaint() -> None:
    # the fault makes the sentiment negative; asking about cover is a knowledge-base question
    assert handoff_reason("Our grinder stopped working after 13 months, is it still covered by the warranty?",
                          intent="complaint", sentiment_score=-0.6, out_of_scope=False, asks=True) is None
    assert handoff_reason("这台电钻用了一年多坏了还在保修期内吗", intent="complaint", sentiment_score=-0.6,
                          out_of_scope=False, asks=True) is None
    assert handoff_reason("It broke after a week, is this rubbish even under warranty? Unacceptable.",
                          intent="complaint", sentiment_score=-0.6, out_of_scope=False, asks=True) == "complaint"


def test_a_customer_about_to_leave_or_demanding_the_money_back_goes_to_a_person() -> None:
    assert handoff_reason("We have had enough late shipments, we are switching suppliers next month.",
                          intent="shipping", sentiment_score=-0.5, out_of_scope=False) == "complaint"
    assert handoff_reason("再这样下去我们就换供应商了", intent="shipping", sentiment_score=-0.5,
                          out_of_scope=False) == "complaint"
    assert handoff_reason("货款必须全部退给我们", intent="returns_refunds", sentiment_score=-0.5,
                          out_of_scope=False) == "refund_request"


def test_what_if_and_may_we_questions_are_not_complaints() -> None:
    for text in ("What if a pallet arrives damaged, who pays for it?", "如果货物在路上丢了怎么赔",
                 "Can we send the goods back without the RMA label?"):
        assert handoff_reason(text, intent="complaint", sentiment_score=-0.6, out_of_scope=False,
                              asks=True) is None, text
    # a reproach phrased as a question is still a complaint
    assert handoff_reason("Why do you keep sending the wrong items?", intent="complaint", sentiment_score=-0.6,
                          out_of_scope=False, asks=True) == "complaint"


def test_legal_threats_hand_off_and_idioms_or_opinions_on_a_rule_do_not() -> None:
    assert handoff_reason("If this is not credited by Friday our solicitor will contact you.", intent="invoice_payment",
                          sentiment_score=-0.4, out_of_scope=False) == "escalation"
    assert handoff_reason("再不处理我们就找律师了", intent="other", sentiment_score=-0.5,
                          out_of_scope=False) == "escalation"
    assert handoff_reason("Worst case, if the truck is late, who pays for the waiting time?", intent="other",
                          sentiment_score=-0.4, out_of_scope=False, asks=True) is None
    assert handoff_reason("Your minimum order sounds ridiculous - what is it exactly?", intent="pricing_quote",
                          sentiment_score=-0.6, out_of_scope=False, asks=True) is None
    assert not needs_person("Your minimum order sounds ridiculous")
    assert handoff_reason("This is ridiculous, where is my delivery?", intent="order_status", sentiment_score=-0.6,
                          out_of_scope=False, asks=True) == "complaint"


def test_text_speak_is_read_for_the_rules() -> None:
    assert needs_person("ur driver backed into our gate this morning")
    assert handoff_reason("get ur boss to ring me asap", intent="other", sentiment_score=-0.3,
                          out_of_scope=False) == "escalation"
    assert split_parts("ur driver backed into our gate. also u do 20v drills?") == [
        "ur driver backed into our gate.", "u do 20v drills?"]


def test_reproach_self_blame_and_plain_questions() -> None:
    def reason(text: str, intent: str = "complaint", sentiment: float = -0.6, asks: bool = True) -> str | None:
        return handoff_reason(text, intent=intent, sentiment_score=sentiment, out_of_scope=False, asks=asks)

    assert reason("Why do you keep losing our orders?") == "complaint"  # a reproach in a question's form
    assert reason("怎么又发错了？", intent="other") == "complaint"
    assert reason("I am furious with myself, I ordered the wrong size - can I still change it?") is None
    assert reason("气死了，我们自己下错单了，能退吗") is None
    assert reason("Not a complaint, just asking: what should our receiving team check before signing?") is None
    assert reason("坏掉的货要我们寄回去不", sentiment=-0.8) is None  # a question, however negative
    assert reason("We want the money returned to our account.", intent="returns_refunds", asks=False) == \
        "refund_request"


def test_denied_requests_for_a_person_and_harm_to_premises() -> None:
    assert handoff_reason("我不是要找人工，就想问下客户经理怎么分配？", intent="other", sentiment_score=0.1,
                          out_of_scope=False, asks=True) is None
    assert handoff_reason("麻烦安排个人工跟我对接一下", intent="other", sentiment_score=0.0,
                          out_of_scope=False) == "escalation"
    assert needs_person("Your courier's hand truck scuffed the new floor in our lobby.")
    assert handoff_reason("Your support has been dreadful, five days to answer an e-mail.", intent="other",
                          sentiment_score=-0.6, out_of_scope=False) == "complaint"


def test_a_what_if_with_strong_words_and_chat_style_requests() -> None:
    assert handoff_reason("Worst case: a valve just dies and is useless. What does the warranty cover?",
                          intent="complaint", sentiment_score=-0.7, out_of_scope=False, asks=True) is None
    assert not needs_person("Worst case: a valve just dies and is useless.")
    assert split_parts("Worst case: a valve just dies and is useless. What does the warranty cover?") == [
        "Worst case: a valve just dies and is useless. What does the warranty cover?"]
    assert handoff_reason("pls connect me w a human, not the chatbot", intent="other", sentiment_score=0.0,
                          out_of_scope=False) == "escalation"
    assert handoff_reason("这批胶带的货款要求全部退给我们", intent="returns_refunds", sentiment_score=-0.2,
                          out_of_scope=False) == "refund_request"


def test_hyphenated_what_ifs_denied_complaints_and_done_with_you() -> None:
    assert handoff_reason("Worst-case planning: if a crate arrives wrecked, how long do we have to report it?",
                          intent="complaint", sentiment_score=-0.6, out_of_scope=False, asks=True) is None
    assert handoff_reason("不是要投诉，只是想知道发票有错要多少天内提出", intent="complaint", sentiment_score=-0.4,
                          out_of_scope=False, asks=True) is None
    assert needs_person("late again, we r done with you.")


def test_sentences_are_quoted_in_the_question_language_when_close() -> None:
    from bizpilot.retrieval.types import Hit
    from bizpilot.services.assistant.routing import in_language_first

    def hit(source: str, language: str, score: float) -> Hit:
        return Hit(chunk=Chunk(text="x", source=source, language=language), position=0, score=score, rank=1)

    zh, en, far = hit("pay-zh", "zh", 1.0), hit("pay-en", "en", 0.9), hit("ship-en", "en", 0.3)
    assert [h.chunk.source for h in in_language_first([zh, en, far], "en")] == ["pay-en", "pay-zh", "ship-en"]
    assert [h.chunk.source for h in in_language_first([zh, far], "en")] == ["pay-zh", "ship-en"]  # too far behind
    assert in_language_first([en, zh], "en") == [en, zh]
