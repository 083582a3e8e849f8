"""Query expansion with the variant table: Chinese substrings and English token runs match, groups sharing a word
merge, a word the corpus already uses adds nothing, and keyword search finds an article written in other words
(without touching the indexed text)."""

from __future__ import annotations

from bizpilot.retrieval import BM25Index, Chunk, HybridRetriever
from bizpilot.retrieval.synonyms import QueryExpander, builtin_expander

KB = [Chunk(text="订单金额满USD 500即可享受标准配送免运费。", source="kb:ship-zh"),
      Chunk(text="如有破损或缺件，请在48小时内提交工单。", source="kb:missing"),
      Chunk(text="Report missing items within 48 hours with the order number.", source="kb:missing"),
      Chunk(text="Invoices are e-mailed as a PDF when the order is dispatched.", source="kb:invoice-en"),
      Chunk(text="Overdue invoices accrue interest of 1.5% per month under Net 30 payment terms.",
            source="kb:terms-en")]


def test_matching_in_both_languages() -> None:
    table = builtin_expander()
    zh = table.run("订单满多少可以包邮？")
    assert zh.groups == ("free_shipping",) and "免运费" in zh.terms and "free shipping" in zh.terms
    en = table.run("Is the shipping free on big orders?")   # stopwords dropped, stems compared: "shipping is free"
    assert "free_shipping" in en.groups and "包邮" in en.terms
    short = table.run("We received a short shipment again")
    assert short.groups == ("missing_items",) and "缺件" in short.terms and "short shipment" not in short.terms
    assert table.run("能开专票吗").groups == ("invoice",) and "增值税专用发票" in table.run("能开专票吗").terms
    assert table.run("Hello there").terms == ()


def test_groups_sharing_a_word_merge() -> None:
    table = QueryExpander({"a": ["pallet jack", "hand pallet truck"], "b": ["地牛", "pallet jack"],
                           "c": ["forklift"]})
    assert table.groups == {"a": ("pallet jack", "hand pallet truck", "地牛"), "c": ("forklift",)}
    assert table.run("地牛多少钱").terms == ("pallet jack", "hand pallet truck")
    extended = builtin_expander().with_groups({"free shipping": ["free shipping", "运费我们出"]})
    assert "运费我们出" in extended.run("包邮吗").terms and len(extended) == len(builtin_expander())


def test_a_word_the_corpus_uses_adds_nothing() -> None:
    table = builtin_expander()
    known = table.found_in(c.text for c in KB)
    assert {"免运费", "缺件", "missing items", "invoice"} <= known and "包邮" not in known
    assert table.expand("What interest do you charge on overdue invoices?", known=known) == \
        "What interest do you charge on overdue invoices?"
    assert "免运费" in table.expand("包邮吗", known=known)


def test_keyword_search_finds_the_article_written_in_other_words() -> None:
    plain = HybridRetriever(bm25=BM25Index()).fit(KB)
    expanded = HybridRetriever(bm25=BM25Index(), expander=builtin_expander()).fit(KB)
    for query, source in [("能包邮吗？", "kb:ship-zh"), ("收到的货少了两箱怎么办？", "kb:missing"),
                          ("We got a short shipment", "kb:missing")]:   # the missing-items article is bilingual
        assert source not in {h.chunk.source for h in plain.run(query, k=1)}
        assert expanded.run(query, k=1)[0].chunk.source == source
    assert expanded.run("What interest do you charge on overdue invoices?", k=1)[0].chunk.source == "kb:terms-en"
    assert KB[0].text == "订单金额满USD 500即可享受标准配送免运费。"   # documents are never rewritten
