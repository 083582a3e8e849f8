"""Analyzers, chunking and loaders: the pieces that decide what keyword search can find."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizpilot.errors import ValidationFailed
from bizpilot.retrieval import ChineseAnalyzer, Chunker, EnglishAnalyzer, MixedAnalyzer, detect_language
from bizpilot.retrieval.chunking import html_to_markdown, markdown_sections
from bizpilot.retrieval.loaders import load_faq_csv, load_path
from tests.retrieval.kb_sample import RETURNS_MD, SHIPPING_HTML, write_kb


def test_english_analyzer_stems_and_drops_stopwords_but_keeps_negation() -> None:
    toks = EnglishAnalyzer().run("The pumps are NOT returnable; returning a pump-200 isn't allowed")
    assert "pump" in toks and "return" in toks and "not" in toks and "the" not in toks
    assert "pump-200" in toks  # model numbers survive as one token


def test_chinese_analyzer_uses_search_segmentation_and_bigrams() -> None:
    toks = ChineseAnalyzer().run("中华人民共和国的增值税发票")
    assert "中华" in toks and "人民" in toks and "中华人民共和国" in toks  # cut_for_search: words and sub-words
    assert "增值税" in toks and "#发票" in toks  # character bigrams are marked so they never collide with words
    assert "的" not in toks


def test_mixed_analyzer_splits_scripts() -> None:
    toks = MixedAnalyzer().run("SKU A-100 的保修期 warranty")
    assert "a-100" in toks and "warranti" in toks and "保修期" in toks
    assert detect_language("你们的付款条件是什么") == "zh" and detect_language("where is my order?") == "en"


def test_markdown_sections_keep_heading_paths_and_skip_code() -> None:
    sections = markdown_sections(RETURNS_MD + "\n```\n# not a heading\n```\n")
    paths = [s.path for s in sections]
    assert ["Returns and refunds", "Return window"] in paths and ["Returns and refunds", "Refunds"] in paths
    assert any("# not a heading" in p for s in sections for p in s.paragraphs)


def test_chunker_cites_heading_and_splits_long_sections() -> None:
    chunks = Chunker(max_chars=200, overlap=20).run(RETURNS_MD + "\n\n" + "Long sentence here. " * 40,
                                                    source="returns.md", title="Returns and refunds")
    assert all(len(c.text) <= 200 for c in chunks)
    refund = next(c for c in chunks if "original payment method" in c.text)
    assert refund.heading_path == "Refunds" and refund.citation == "returns.md § Returns and refunds > Refunds"
    assert [c.position for c in chunks] == list(range(len(chunks)))
    zh = Chunker(max_chars=30, overlap=0).run("## 退货\n\n" + "收到货后七天内可以退货。" * 6, source="t.md")
    assert len(zh) > 1 and all(c.language == "zh" and c.heading_path == "退货" for c in zh)


def test_html_becomes_markdown_without_scripts() -> None:
    md, title = html_to_markdown(SHIPPING_HTML)
    assert title == "Shipping" and "## Delivery times" in md and "tracking" not in md and "color" not in md


def test_load_path_reads_every_supported_format(tmp_path: Path) -> None:
    chunks = load_path(write_kb(tmp_path / "kb"))
    sources = {c.source for c in chunks}
    assert sources == {"returns.md", "shipping.html", "faq.csv", "付款.md"}
    faq = [c for c in chunks if c.source == "faq.csv"]
    assert len(faq) == 3 and faq[2].heading_path == "你们开增值税专用发票吗？" and faq[2].language == "zh"
    html = [c for c in chunks if c.source == "shipping.html"]
    assert any(c.heading_path == "Delivery times" and "Express" in c.text for c in html)


def test_loaders_name_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "faq.csv"
    bad.write_text("question,answer\nok?,fine\nmissing answer?,\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="line 3: empty answer"):
        load_faq_csv(bad)
    other = tmp_path / "faq2.csv"
    other.write_text("q1,q2\na,b\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="'question' and 'answer'"):
        load_faq_csv(other)
    with pytest.raises(ValidationFailed, match="unsupported file type"):
        load_path(_touch(tmp_path / "x.pdf"))


def _touch(p: Path) -> Path:
    p.write_bytes(b"%PDF")
    return p
