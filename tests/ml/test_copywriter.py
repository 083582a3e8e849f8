"""Copywriters: deterministic generation, pickle-free save/load, no contradictions, the template fallback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import ModelFileError, NotFittedError, ValidationFailed
from bizpilot.ml.base import FORMAT_VERSION, Estimator
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


# Generated with the copywriter as it was before it moved onto `Estimator` (same training data, same queries): the
# move must not change a byte of the output.
PINNED = {
    "default": [
        "这款蓝色连衣裙采用雪纺面料，轻盈飘逸，修身的剪裁勾勒曲线，穿着舒适透气，彰显温柔气质。",
        "这款红色半身裙，红色热情又显白，修身的剪裁勾勒曲线，红色显瘦百搭，优雅迷人。",
        "这款红色衬衫采用纯棉面料，柔软亲肤，修身的剪裁勾勒曲线，红色耐脏又百搭。",
        "简约的白色阔腿裤，垂感十足，阔腿的设计遮肉显瘦，走路带风，气场全开。",
    ],
    "tuned": [
        "这款蓝色连衣裙采用雪纺面料，轻盈飘逸，修身的剪裁勾勒曲线，穿着舒适透气，彰显温柔气质。",
        "这款红色半身裙，红色热情又显白，红色显瘦百搭，修身的剪裁勾勒曲线。",
        "这款红色衬衫采用纯棉面料，柔软亲肤，修身的剪裁勾勒曲线，红色耐脏又百搭。",
        "简约的白色阔腿裤，垂感十足，阔腿的设计遮肉显瘦，走路带风，气场全开。",
    ],
    "plain": [
        "轻盈飘逸，简约的圆领修饰脸型，修身的剪裁勾勒曲线，穿着舒适透气，彰显温柔气质。",
        "经典的格子图案复古有型，红色热情又显白，修身的剪裁勾勒曲线，搭配衬衫就很好看。",
        "复古的红色连衣裙，柔软亲肤，修身的剪裁勾勒曲线，通勤休闲都适合。优雅迷人。",
        "这款白色连衣裙采用雪纺面料，垂感十足，阔腿的设计遮肉显瘦，简约的白色百搭又耐看，走路带风，气场全开。",
    ],
    "nearest": [TRAIN[0][1], TRAIN[1][1], TRAIN[4][1], TRAIN[7][1]],
    "template": [
        "这款连衣裙，蓝色的配色干净耐看，选用雪纺面料，质感舒适，彰显时尚品味。",
        "这款半身裙，红色的配色干净耐看，格子的元素增添看点，彰显时尚品味。",
        "这款衬衫，红色的配色干净耐看，选用棉面料，质感舒适，彰显时尚品味。",
        "这款简约风格的阔腿裤，白色的配色干净耐看，彰显时尚品味。",
    ],
}


def _pinned_models() -> dict[str, ExampleCopywriter | TemplateCopywriter]:
    return {
        "default": ExampleCopywriter().fit(TRAIN),
        "tuned": ExampleCopywriter(rouge_weight=0.0, n_neighbors=3, n_pseudo_refs=4, similarity_power=2.0).fit(TRAIN),
        "plain": ExampleCopywriter(adapt_values=False, avoid_unsupported=False, max_rounds=0).fit(TRAIN),
        "nearest": NearestCopywriter().fit(TRAIN),
        "template": TemplateCopywriter().fit(),
    }


@pytest.mark.parametrize("name", list(PINNED))
def test_generation_is_pinned(name: str) -> None:
    assert [_pinned_models()[name].generate(q) for q in QUERIES] == PINNED[name]


@pytest.mark.parametrize("name", list(PINNED))
def test_save_load_round_trip_generates_the_same_text(name: str, tmp_path: Path) -> None:
    model = _pinned_models()[name]
    path = model.save(tmp_path / name)
    assert path.suffix == ".npz"
    loaded = type(model).load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    assert [loaded.generate(q) for q in QUERIES] == PINNED[name]
    assert type(Estimator.load(path)) is type(model)  # the file names its class


def test_model_file_is_version_stamped_and_pickle_free(model: ExampleCopywriter, tmp_path: Path) -> None:
    path = model.save(tmp_path / "copywriter.npz")
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["__meta__"].tobytes().decode("utf-8"))
    assert meta["format"] == FORMAT_VERSION and meta["class"] == "bizpilot.ml.text.copywriter:ExampleCopywriter"
    assert meta["params"] == model.get_params()
    # only the examples are stored; the lexicon, IDF and index are rebuilt from them
    assert list(meta["state"]) == ["examples_"] and len(meta["state"]["examples_"]) == len(TRAIN)
    loaded = ExampleCopywriter.load(path)
    assert loaded.examples_ == model.examples_ and loaded.idf_ == model.idf_
    assert loaded.lexicon_.to_dict() == model.lexicon_.to_dict()


def test_values_with_separators_survive_the_model_file(tmp_path: Path) -> None:
    train = [([("类型", "裙"), ("风格", "潮*牌#款")], "潮*牌#款的裙子，很好看。")]
    model = ExampleCopywriter().fit(train)
    loaded = ExampleCopywriter.load(model.save(tmp_path / "m"))
    assert loaded.examples_ == model.examples_ == [([("类型", "裙"), ("风格", "潮*牌#款")], "潮*牌#款的裙子，很好看。")]


def test_model_file_errors(model: ExampleCopywriter, tmp_path: Path) -> None:
    path = TemplateCopywriter().save(tmp_path / "template")
    with pytest.raises(ModelFileError, match="holds a TemplateCopywriter, not a ExampleCopywriter"):
        ExampleCopywriter.load(path)
    nearest = NearestCopywriter().fit(TRAIN).save(tmp_path / "nearest")
    with pytest.raises(ModelFileError, match="holds a NearestCopywriter"):
        ExampleCopywriter.load(nearest)
    old_json = tmp_path / "old.json"
    old_json.write_text(json.dumps({"kind": "example_copywriter", "format_version": 1}), "utf-8")
    with pytest.raises(ModelFileError, match="not a bizpilot model file"):
        ExampleCopywriter.load(old_json)
    with np.load(model.save(tmp_path / "m"), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["format"] = FORMAT_VERSION + 1
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "newer.npz", **arrays)
    with pytest.raises(ModelFileError, match=f"model format {FORMAT_VERSION + 1}.*upgrade"):
        ExampleCopywriter.load(tmp_path / "newer.npz")


def test_unfitted_save_refuses(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match="ExampleCopywriter is not fitted"):
        ExampleCopywriter().save(tmp_path / "m")


def test_bad_training_pair_is_named() -> None:
    with pytest.raises(ValidationFailed, match="training pair 2: attribute pair 1 '颜色红色'") as info:
        ExampleCopywriter().fit([TRAIN[0], ("颜色红色", "红色的裙子。")])
    assert info.value.details == [{"row": 2, "field": "attributes",
                                   "reason": "attribute pair 1 '颜色红色' is not 'key#value'"}]
    with pytest.raises(ValidationFailed, match="training pair 3: copy must be a string, got int") as info:
        ExampleCopywriter().fit([TRAIN[0], TRAIN[1], (TRAIN[2][0], 7)])
    assert info.value.details[0]["row"] == 3 and info.value.details[0]["field"] == "copy"
    with pytest.raises(ValidationFailed, match="training pair 1: attributes must be"):
        ExampleCopywriter().fit([([("类型", "裙", "多余")], "裙子。")])


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
    path = TemplateCopywriter(closing="品质之选").save(tmp_path / "t")  # nothing to learn: no fit needed
    assert TemplateCopywriter.load(path).generate("类型#裤*颜色#黑色") == "这款裤子，黑色的配色干净耐看，品质之选。"


def test_nearest_copywriter_returns_the_nearest_copy() -> None:
    nearest = NearestCopywriter().fit(TRAIN)
    assert nearest.generate("类型#裤*颜色#蓝色*裤型#直筒裤") == TRAIN[6][1]


REAL_DATA_SHA256 = "d06f96b54780f86c6c618204e5b9407e40daafdcb2a4bb2366407e95af8b4518"


@pytest.mark.slow
def test_real_data_generation_has_no_contradictions(tmp_path: Path) -> None:
    from bizpilot.services.evaluation.generate import read_advertisegen

    rows = read_advertisegen(shared_data("advertisegen", "dev.json"))
    train, test = rows[:400], rows[400:430]
    model = ExampleCopywriter().fit((r["attributes"], r["summary"]) for r in train)
    lexicon = ValueLexicon().fit(r["attributes"] for r in rows)
    outputs = [model.generate(r["attributes"]) for r in test]
    assert all(out for out in outputs)
    contradicting = [(r["content"], out) for r, out in zip(test, outputs, strict=True)
                     if not check_copy(out, r["attributes"], lexicon).ok]
    assert not contradicting
    # the same bytes as before the copywriter moved onto `Estimator`, and after a save/load round trip
    assert hashlib.sha256("\n".join(outputs).encode()).hexdigest() == REAL_DATA_SHA256
    loaded = ExampleCopywriter.load(model.save(tmp_path / "copywriter"))
    assert [loaded.generate(r["attributes"]) for r in test[:5]] == outputs[:5]
