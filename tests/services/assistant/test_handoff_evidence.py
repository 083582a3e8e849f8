"""Round 3 rules (bench/assistant/synonyms.md): grievances without complaint words go to a person, a plain question
the intent model misreads as a complaint is answered, retrieval evidence can overrule the off-topic flag, and
Chinese variant matches do not overlap. Sentences of their own, not from any bench set."""

from __future__ import annotations

from bizpilot.retrieval.synonyms import builtin_expander
from bizpilot.retrieval.types import Chunk, Hit
from bizpilot.services.assistant.compose import handoff_reason
from bizpilot.services.assistant.parts import split_parts
from bizpilot.services.assistant.routing import anchored
from bizpilot.services.assistant.sections import prefer_matching_article


def test_a_grievance_without_complaint_words_is_handed_off() -> None:
    for text in ("We rang twice last week about the pallet and no one has got back to us.",
                 "Your forklift driver knocked over our racking on Monday.",
                 "上个月提的换货申请一直没人处理",
                 "发了三封邮件都没人回复"):
        assert handoff_reason(text, intent="shipping", sentiment_score=0.1, out_of_scope=False,
                              asks=False) == "complaint", text
    # stated before a question, it is a part of its own (handed off), the question is still answered
    assert split_parts("Your van hit our shutter and nobody has phoned since. Also, do you deliver on Saturdays?") == [
        "Your van hit our shutter and nobody has phoned since.", "do you deliver on Saturdays?"]


def test_a_plain_question_the_intent_model_calls_a_complaint_is_answered() -> None:
    assert handoff_reason("Do larger accounts get a named contact person?", intent="complaint",
                          sentiment_score=0.05, out_of_scope=False, asks=True) is None
    assert handoff_reason("你们有没有对接的销售代表", intent="complaint", sentiment_score=-0.1,
                          out_of_scope=False, asks=True) is None
    # a negative tone, a statement or a grievance keeps the hand-off
    assert handoff_reason("Why does nobody ever answer the phone at your depot?", intent="complaint",
                          sentiment_score=0.0, out_of_scope=False, asks=True) == "complaint"
    assert handoff_reason("Do you even read our e-mails?", intent="complaint", sentiment_score=-0.6,
                          out_of_scope=False, asks=True) == "complaint"


def test_chinese_variant_matches_do_not_overlap() -> None:
    ex = builtin_expander()
    assert ex.run("两箱货摔坏了").groups == ("transit_damage",)
    assert ex.run("电机坏了还能修吗").groups == ("defect",)


def _hit(source: str, text: str, rank: int) -> Hit:
    return Hit(chunk=Chunk(text=text, source=source, title=source), position=rank, score=1.0 / rank, rank=rank)


def test_retrieval_anchors_a_question_when_the_top_article_states_its_concept() -> None:
    ex = builtin_expander()
    groups = list(ex.run("A carton got squashed on the way").groups)
    damage = [_hit("kb:transit", "Report damaged goods within two days.", 1),
              _hit("kb:transit", "Replacements ship free of charge.", 2), _hit("kb:tools", "Spanners.", 3)]
    assert anchored(groups, damage, ex)
    # the top hits disagree on the article, or the best one does not state the concept: not anchored
    scattered = [damage[0], _hit("kb:tools", "Spanners.", 2), _hit("kb:paper", "Paper.", 3)]
    assert not anchored(groups, scattered, ex)
    assert not anchored(groups, [_hit("kb:tools", "Spanners and pliers.", 1), _hit("kb:tools", "Torque.", 2)], ex)
    assert not anchored([], damage, ex)


def test_a_shared_section_is_read_as_the_article_that_matches_the_question() -> None:
    def guide(src: str, item: str) -> list[Chunk]:
        return [Chunk(text=f"We stock {item} in three sizes.", source=src, title=src, heading_path="Overview",
                      language="en"),
                Chunk(text="Certificates are available on request.", source=src, title=src,
                      heading_path="Certificates", language="en")]
    chunks = [*guide("kb:ladders", "step ladders"), *guide("kb:boots", "steel-toe boots"),
              *guide("kb:tape", "duct tape")]
    hits = [Hit(chunk=c, position=i, score=1.0 / i, rank=i, cosine=0.85) for i, c in
            enumerate([chunks[5], chunks[1]], start=1)]
    ranked = prefer_matching_article("certificates for the steel-toe boots", hits, chunks, builtin_expander())
    assert [h.chunk.source for h in ranked] == ["kb:boots", "kb:tape"]
    assert ranked[0].chunk.heading_path == "Certificates" and ranked[0].cosine == 0.85
    # a question that names no article keeps the retriever's order
    assert prefer_matching_article("certificates please", hits, chunks, builtin_expander()) == hits


def test_a_demand_to_have_money_refunded_is_a_refund_request() -> None:
    assert handoff_reason("We expect the extra freight refunded this week.", intent="shipping",
                          sentiment_score=-0.2, out_of_scope=False, asks=False) == "refund_request"
    assert handoff_reason("We need to know when returns are refunded.", intent="returns_refunds",
                          sentiment_score=0.0, out_of_scope=False, asks=False) is None
