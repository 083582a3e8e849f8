"""Attribute strings, the per-key value lexicon, and the copy checker on Chinese product copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizpilot.errors import ModelFileError, NotFittedError, ValidationFailed
from bizpilot.ml.text.attributes import (
    CopyChecker,
    ValueLexicon,
    check_copy,
    format_attributes,
    parse_attributes,
)

TRAIN = [
    "类型#裙*颜色#白色*裙长#连衣裙*图案#印花*图案#条纹",
    "类型#裙*颜色#红色*裙长#短裙*图案#格子",
    "类型#裙*颜色#黑色*裙长#长裙*图案#印花*图案#刺绣",
    "类型#上衣*颜色#浅蓝色*衣样式#衬衫*图案#条纹*图案#格子",
    "类型#裤*颜色#蓝色*裤长#九分裤*图案#撞色*图案#刺绣",
    "类型#裙*材质#雪纺*裙型#a字*裙长#半身裙",
]


@pytest.fixture
def lexicon() -> ValueLexicon:
    return ValueLexicon().fit(parse_attributes(t) for t in TRAIN)


def test_parse_keeps_order_strips_and_drops_duplicates() -> None:
    assert parse_attributes(" 类型#裙 * 颜色#红色*颜色#红色*图案#印花") == [("类型", "裙"), ("颜色", "红色"),
                                                                              ("图案", "印花")]
    assert parse_attributes("") == []
    assert parse_attributes("风格#潮#牌") == [("风格", "潮#牌")]  # only the first '#' separates


@pytest.mark.parametrize(("bad", "pair"), [("类型裙", 1), ("类型#裙*颜色#", 2), ("#红色", 1)])
def test_parse_names_the_bad_pair(bad: str, pair: int) -> None:
    with pytest.raises(ValidationFailed, match=f"attribute pair {pair} ") as info:
        parse_attributes(bad)
    assert info.value.details[0]["field"] == "attributes"


def test_format_round_trip() -> None:
    text = "类型#上衣*材质#牛仔布*颜色#白色*风格#简约"
    assert format_attributes(parse_attributes(text)) == text


def test_lexicon_values_and_exclusive_keys(lexicon: ValueLexicon) -> None:
    assert lexicon.values("图案") == sorted(["印花", "刺绣", "条纹", "格子"]) + ["撞色"]  # by count, then name
    assert set(lexicon.values("颜色")) == {"白色", "红色", "黑色", "浅蓝色", "蓝色"}
    assert lexicon.is_exclusive("颜色") and lexicon.is_exclusive("裙长")
    assert not lexicon.is_exclusive("图案")  # items combine patterns: another one is no contradiction
    assert not lexicon.is_exclusive("尺码")  # unknown key
    rivals = lexicon.rivals(parse_attributes("类型#裙*颜色#红色*图案#格子"))
    assert set(rivals) == {"颜色", "类型"}
    assert "红色" not in rivals["颜色"] and "白色" in rivals["颜色"]
    assert rivals["类型"] == ["上衣"]  # one-character values (裤) are too ambiguous to count


def test_lexicon_extend_and_round_trip(lexicon: ValueLexicon) -> None:
    lexicon.extend([parse_attributes("类型#裙*颜色#焦糖色")])
    assert "焦糖色" in lexicon.values("颜色")
    again = ValueLexicon.from_dict(lexicon.to_dict())
    assert again.to_dict() == lexicon.to_dict()
    with pytest.raises(ModelFileError, match="format_version 99"):
        ValueLexicon.from_dict({**lexicon.to_dict(), "format_version": 99})
    with pytest.raises(NotFittedError, match="not fitted"):
        ValueLexicon().values("颜色")


def test_lexicon_model_file_round_trip(lexicon: ValueLexicon, tmp_path: Path) -> None:
    loaded = ValueLexicon.load(lexicon.save(tmp_path / "lexicon"))
    assert loaded.to_dict() == lexicon.to_dict() and loaded.get_params() == lexicon.get_params()
    attrs = parse_attributes("类型#裙*颜色#红色*图案#格子")
    assert loaded.rivals(attrs) == lexicon.rivals(attrs)


def test_colour_contradiction_with_span(lexicon: ValueLexicon) -> None:
    text = "这款连衣裙以白色为底，清新淡雅。"
    result = check_copy(text, parse_attributes("类型#裙*颜色#红色*裙长#连衣裙"), lexicon)
    assert len(result.contradictions) == 1
    c = result.contradictions[0]
    assert (c.key, c.found, c.expected) == ("颜色", "白色", ("红色",))
    assert text[c.span[0]:c.span[1]] == "白色"
    assert not result.ok
    assert result.mentioned == [("类型", "裙"), ("裙长", "连衣裙")]
    assert result.missing == [("颜色", "红色")]
    assert result.coverage == pytest.approx(2 / 3)


def test_length_contradiction(lexicon: ValueLexicon) -> None:
    result = check_copy("飘逸的长裙，红色显白。", parse_attributes("类型#裙*颜色#红色*裙长#短裙"), lexicon)
    assert [(c.key, c.found) for c in result.contradictions] == [("裙长", "长裙")]
    ok = check_copy("俏皮的红色短裙，活力满满。", parse_attributes("类型#裙*颜色#红色*裙长#短裙"), lexicon)
    assert ok.ok and ok.coverage == 1.0


def test_own_longer_value_is_not_a_contradiction(lexicon: ValueLexicon) -> None:
    # 浅蓝色 contains 蓝色, a rival value of the same key: the mention is the input's own colour
    result = check_copy("浅蓝色的衬衫清爽干净。", parse_attributes("类型#上衣*颜色#浅蓝色*衣样式#衬衫"), lexicon)
    assert result.ok
    # ... but a separate 蓝色 elsewhere is one
    result = check_copy("浅蓝色衬衫配蓝色纽扣。", parse_attributes("类型#上衣*颜色#浅蓝色*衣样式#衬衫"), lexicon)
    assert [c.span for c in result.contradictions] == [(6, 8)]


def test_combinable_keys_do_not_contradict(lexicon: ValueLexicon) -> None:
    result = check_copy("格子与条纹交织。", parse_attributes("类型#裙*图案#格子*颜色#红色"), lexicon)
    assert result.ok  # 图案 is not exclusive


def test_unsupported_claims_and_case(lexicon: ValueLexicon) -> None:
    attrs = parse_attributes("类型#裙*裙型#a字*材质#雪纺")
    result = check_copy("A字版型的黑色雪纺裙。", attrs, lexicon)
    assert result.ok and result.coverage == 1.0  # "A字" mentions a字
    assert [(u.key, u.found, u.expected) for u in result.unsupported] == [("颜色", "黑色", ())]
    checker = CopyChecker(attrs, lexicon)
    assert not checker.clean("黑色的雪纺裙")
    assert checker.clean("雪纺的a字裙")
