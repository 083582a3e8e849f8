"""The assistant's knowledge-base search uses the built-in variant table plus the workspace's own glossary terms
of kind ``term`` (several variants in one field), applied at once without re-indexing."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain.kb import KbChunk
from bizpilot.retrieval.types import Chunk
from bizpilot.services.assistant.knowledge import get_retriever, kb_expander, store_chunks
from bizpilot.services.glossary import synonym_groups, upsert_term


def test_workspace_terms_extend_the_search_without_reindexing(engine: Engine) -> None:
    with Session(engine) as session:
        store_chunks(session=session, embedder=None, chunks=[
            Chunk(text="Pallet jacks can be borrowed for unloading at no charge.", source="kb:equipment"),
            Chunk(text="标准配送免运费，订单满USD 500即可。", source="kb:shipping")])
        assert get_retriever(session=session, embedder=None).run("能包邮吗", k=1)[0].chunk.source == "kb:shipping"
        assert get_retriever(session=session, embedder=None).run("能借地牛吗", k=1) == []
        upsert_term(session=session, kind="term", key="pallet jack", zh="地牛、手动搬运车")
        upsert_term(session=session, kind="category", key="pumps", zh="水泵")   # not a term: no variants
        assert synonym_groups(session=session) == {"pallet jack": ["pallet jack", "地牛", "手动搬运车"]}
        assert "pallet jack" in kb_expander(session=session).run("能借地牛吗").terms
        hits = get_retriever(session=session, embedder=None).run("能借地牛吗", k=1)
        assert [h.chunk.source for h in hits] == ["kb:equipment"]
        shown = get_retriever(session=session, embedder=None).expansion("能借地牛吗")
        assert shown.groups == ("custom:pallet jack",) and shown.terms == ("pallet jack", "手动搬运车")
        assert session.scalars(select(KbChunk.text).order_by(KbChunk.id)).all() == [   # never rewritten
            "Pallet jacks can be borrowed for unloading at no charge.", "标准配送免运费，订单满USD 500即可。"]


def test_coverage_counts_a_word_said_in_another_variant() -> None:
    from bizpilot.retrieval.synonyms import builtin_expander
    from bizpilot.services.assistant.compose import coverage

    sentence = "订单金额满USD 500即可享受标准配送免运费。"
    assert coverage("包邮", sentence) == 0.0
    assert coverage("包邮", sentence, builtin_expander()) == 1.0


def test_water_damage_is_transit_damage() -> None:
    from bizpilot.retrieval.synonyms import builtin_expander

    expander = builtin_expander()
    for text in ("the boxes were soaked through", "两箱货受潮了", "纸箱被雨淋湿"):
        assert "damaged" in expander.expand(text)
    # "wet" alone names a rating or a place ("rated for wet areas"), not damage
    assert "damaged" not in expander.expand("LED high bays rated for wet areas")
    assert "damaged" in expander.expand("two cartons got wet on the lorry")


def test_payment_reference_and_late_payment_variants() -> None:
    from bizpilot.retrieval.synonyms import builtin_expander

    expander = builtin_expander()
    assert "payment_reference" in expander.run("打款的时候备注栏写什么").groups
    assert "付款备注" in expander.run("打款的时候备注栏写什么").terms
    assert "late_payment" in expander.run("will you stop shipping if we fall behind on paying?").groups


def test_customer_level_is_the_account_tier() -> None:
    from bizpilot.retrieval.synonyms import builtin_expander

    expander = builtin_expander()
    assert "account_tier" in expander.run("does that bump us into a higher customer level?").groups
    assert "account_tier" in expander.run("我们能升到大客户吗").groups
