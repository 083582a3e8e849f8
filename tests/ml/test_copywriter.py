"""Copywriters: deterministic generation, pickle-free save/load, no contradictions, the template fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bizpilot.ml.text.attributes import ValueLexicon, check_copy, parse_attributes
from bizpilot.ml.text.copywriter import (
    ExampleCopywriter,
    NearestCopywriter,
    TemplateCopywriter,
    finish,
    split_clauses,
)
from tests.conftest import shared_data

TRAIN = [
    ("类型#裙*颜色#白色*裙长#连衣裙*材质#雪纺",
     "这款白色连衣裙采用雪纺面料，轻盈飘逸，白色的裙身清新干净，穿着舒适透气，彰显温柔气质。"),
    ("类型#裙*颜色#黑色*裙长#半身裙*图案#格子",
     "这款黑色半身裙，经典的格子图案复古有型，黑色显瘦百搭，搭配衬衫就很好看。"),
    ("类型#裙*颜色#红色*裙长#连衣裙*风格#复古",
     "复古的红色连衣裙，红色热情又显白，修身的剪裁勾勒曲线，优雅迷人。"),
    ("类型#裙*颜色#白色*裙长#连衣裙*风格#清新",
     "清新的白色连衣裙，简约的圆领修饰脸型，裙摆随风摇曳，穿着舒适，尽显少女气息。"),
    ("类型#上衣*颜色#白色*衣样式#衬衫*材质#棉",
     "这款白色衬衫采用纯棉面料，柔软亲肤，简约的白色百搭又耐看，通勤休闲都适合。"),
    ("类型#上衣*颜色#黑色*衣样式#卫衣*风格#休闲",
     "休闲的黑色卫衣，宽松的版型穿着舒适，黑色耐脏又百搭，轻松穿出街头感。"),
    ("类型#裤*颜色#蓝色*裤型#直筒裤*材质#牛仔布",
     "这款蓝色直筒裤采用牛仔布面料，挺括有型，直筒的裤型修饰腿型，百搭又显瘦。"),
    ("类型#裤*颜色#黑色*裤型#阔腿裤*风格#简约",
     "简约的黑色阔腿裤，垂感十足，阔腿的设计遮肉显瘦，走路带风，气场全开。"),
]
QUERIES = ["类型#裙*颜色#蓝色*裙长#连衣裙*材质#雪纺", "类型#裙*颜色#红色*裙长#半身裙*图案#格子",
           "类型#上衣*颜色#红色*衣样式#衬衫*材质#棉", "类型#裤*颜色#白色*裤型#阔腿裤*风格#简约"]


@pytest.fixture(scope="module")
def model() -> ExampleCopywriter:
    return ExampleCopywriter().fit(TRAIN)


def test_clauses_and_finish() -> None:
    assert split_clauses("简约的外套，白色百搭。破洞设计") == ["简约的外套，", "白色百搭。", "破洞设计"]
    assert split_clauses("") == []
    assert finish("白色百搭，") == "白色百搭。" and finish("") == ""


def test_fit_returns_self_and_learns(model: ExampleCopywriter) -> None:
    assert isinstance(model, ExampleCopywriter)
    assert len(model.examples_) == len(TRAIN) and model.lexicon_.is_exclusive("颜色")
    assert model.similarities(parse_attributes(TRAIN[0][0])).argmax() == 0


def test_generation_is_deterministic(model: ExampleCopywriter) -> None:
    first = [model.generate(q) for q in QUERIES]
    again = [ExampleCopywriter().fit(TRAIN).generate(q) for q in QUERIES]
    assert first == again == [model.generate(q) for q in QUERIES]
    assert all(out.endswith("。") and len(out) > 10 for out in first)


def test_generated_copy_adapts_values_and_never_contradicts(model: ExampleCopywriter) -> None:
    lexicon = ValueLexicon().fit([parse_attributes(a) for a, _ in TRAIN] + [parse_attributes(q) for q in QUERIES])
    for q in QUERIES:
        out = model.generate(q)
        result = check_copy(out, parse_attributes(q), lexicon)
        assert result.ok, (q, out, result.contradictions)
        assert not result.unsupported, (q, out, result.unsupported)
    # the nearest dress is white: its copy is rewritten to the input's colour
    out = model.generate(QUERIES[0])
    assert "蓝色" in out and "白色" not in out and "雪纺" in out


def test_known_item_gets_its_own_copy(model: ExampleCopywriter) -> None:
    assert model.generate(TRAIN[2][0]) == TRAIN[2][1]
    assert ExampleCopywriter(reuse_exact=False).fit(TRAIN).generate(TRAIN[2][0]) != ""


def test_save_load_round_trip_is_json_and_equal(model: ExampleCopywriter, tmp_path: Path) -> None:
    path = tmp_path / "copywriter.json"
    model.save(path)
    data = json.loads(path.read_text("utf-8"))
    assert data["kind"] == "example_copywriter" and data["format_version"] == ExampleCopywriter.FORMAT_VERSION
    assert data["params"] == model.get_params()
    loaded = ExampleCopywriter.load(path)
    assert [loaded.generate(q) for q in QUERIES] == [model.generate(q) for q in QUERIES]
    data["format_version"] = 999
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="format_version"):
        ExampleCopywriter.load(path)
    TemplateCopywriter().save(path)
    with pytest.raises(ValueError, match="template_copywriter"):
        ExampleCopywriter.load(path)


def test_unfitted_save_refuses(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        ExampleCopywriter().save(tmp_path / "m.json")


def test_bad_training_pair_is_named() -> None:
    with pytest.raises(ValueError, match="training pair 2"):
        ExampleCopywriter().fit([TRAIN[0], ("颜色红色", "红色的裙子。")])


def test_template_fallback_without_training_data() -> None:
    template = TemplateCopywriter().fit()
    attrs = "类型#裙*颜色#红色*裙长#连衣裙*图案#印花*图案#格子*风格#复古*裙领型#v领"
    out = template.generate(attrs)
    assert out == template.generate(attrs) and out.endswith("。")
    assert out.startswith("这款复古风格的连衣裙")
    lexicon = ValueLexicon().fit([parse_attributes(a) for a, _ in TRAIN] + [parse_attributes(attrs)])
    result = check_copy(out, parse_attributes(attrs), lexicon)
    assert result.coverage == 1.0 and result.ok and not result.unsupported
    # an unfitted or empty example copywriter falls back to the template
    assert ExampleCopywriter().generate(attrs) == out
    assert ExampleCopywriter().fit([]).generate(attrs) == out
    # and so does one that knows nothing similar
    assert ExampleCopywriter().fit(TRAIN[:1]).generate("尺码#xl") == template.generate("尺码#xl")


def test_template_save_load(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    TemplateCopywriter(closing="品质之选").save(path)
    assert TemplateCopywriter.load(path).generate("类型#裤*颜色#黑色").endswith("品质之选。")


def test_nearest_copywriter_returns_the_nearest_copy() -> None:
    nearest = NearestCopywriter().fit(TRAIN)
    assert nearest.generate("类型#裤*颜色#蓝色*裤型#直筒裤") == TRAIN[6][1]


@pytest.mark.slow
def test_real_data_generation_has_no_contradictions() -> None:
    from bizpilot.cli.eval import read_advertisegen

    rows = read_advertisegen(shared_data("advertisegen", "dev.json"))
    train, test = rows[:400], rows[400:430]
    model = ExampleCopywriter().fit((r["attributes"], r["summary"]) for r in train)
    lexicon = ValueLexicon().fit(r["attributes"] for r in rows)
    outputs = [model.generate(r["attributes"]) for r in test]
    assert all(out for out in outputs)
    contradicting = [(r["content"], out) for r, out in zip(test, outputs, strict=True)
                     if not check_copy(out, r["attributes"], lexicon).ok]
    assert not contradicting
