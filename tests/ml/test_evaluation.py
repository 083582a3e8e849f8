"""Text-generation metrics: hand-checked values, edge cases, and agreement with the ChatGLM-6B P-Tuning example's
``compute_metrics`` re-implemented here line by line."""

from __future__ import annotations

import math

import jieba
import numpy as np
import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

from bizpilot.errors import ValidationFailed
from bizpilot.ml.evaluation import bleu4_char, copy_check_metrics, corpus_text_metrics, rouge_zh
from bizpilot.ml.text.attributes import ValueLexicon, parse_attributes

REF = "简约而不简单的牛仔外套，白色的衣身十分百搭。衣身多处有做旧破洞设计，打破单调乏味，增加一丝造型看点。"


def chatglm_compute_metrics(decoded_preds: list[str], decoded_labels: list[str]) -> dict[str, float]:
    """ChatGLM-6B ptuning/main.py ``compute_metrics`` after decoding, verbatim in substance."""
    score_dict: dict[str, list[float]] = {"rouge-1": [], "rouge-2": [], "rouge-l": [], "bleu-4": []}
    for pred, label in zip(decoded_preds, decoded_labels, strict=True):
        hypothesis = list(jieba.cut(pred))
        reference = list(jieba.cut(label))
        rouge = Rouge()
        hypothesis = " ".join(hypothesis)
        if not hypothesis:
            hypothesis = "-"
        scores = rouge.get_scores(hypothesis, " ".join(reference))
        result = scores[0]
        for k, v in result.items():
            score_dict[k].append(round(v["f"] * 100, 4))
        bleu_score = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)
        score_dict["bleu-4"].append(round(bleu_score * 100, 4))
    return {k: float(np.mean(v)) for k, v in score_dict.items()}


def test_bleu_identical_is_100_and_disjoint_is_0() -> None:
    assert bleu4_char(REF, REF) == 100.0
    assert bleu4_char("红黄蓝绿", "黑白灰紫") == 0.0
    assert bleu4_char("", REF) == 0.0


def test_bleu_hand_checked_brevity_penalty() -> None:
    # every n-gram of the hypothesis matches; 7 characters against 9: BP = exp(1 - 9/7)
    assert bleu4_char("我爱北京天安门", "我爱北京天安门广场") == pytest.approx(round(math.exp(-2 / 7) * 100, 4))


def test_bleu_hand_checked_method3_smoothing() -> None:
    # 红色长裙 vs 红色短裙: p1 = 3/4, p2 = 1/3, p3 = 0 -> 1/(2*2), p4 = 0 -> 1/(4*1); BP = 1
    expected = (3 / 4 * 1 / 3 * 1 / 4 * 1 / 4) ** 0.25 * 100
    assert bleu4_char("红色长裙", "红色短裙") == pytest.approx(round(expected, 4))


def test_rouge_identical_disjoint_and_hand_checked() -> None:
    assert rouge_zh(REF, REF) == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}
    assert rouge_zh("红黄蓝绿", "黑白灰紫") == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    # jieba keeps ASCII words whole: [the, cat, sat] vs [the, cat, ran]
    scores = rouge_zh("the cat sat", "the cat ran")
    assert scores["rouge1"] == pytest.approx(66.6667, abs=1e-3)
    assert scores["rouge2"] == pytest.approx(50.0, abs=1e-3)
    assert scores["rougeL"] == pytest.approx(66.6667, abs=1e-3)


def test_empty_hypothesis_is_scored_not_raised() -> None:
    assert rouge_zh("", REF) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge_zh("   ", REF)["rougeL"] == 0.0
    assert corpus_text_metrics([""], [REF])["bleu4"] == 0.0


def test_corpus_metrics_agree_with_chatglm_compute_metrics() -> None:
    preds = ["这款牛仔外套简约百搭，白色衣身清爽干净。", "", "破洞设计打破单调，增加造型看点。", REF,
             "宽松的版型穿着舒适，显瘦又时尚。"]
    labels = [REF, REF, REF, REF, "这件衬衫的款式非常的宽松，利落的线条可以很好的隐藏身材上的小缺点，显瘦效果很好。"]
    ours = corpus_text_metrics(preds, labels)
    theirs = chatglm_compute_metrics(preds, labels)
    assert ours["bleu4"] == pytest.approx(theirs["bleu-4"], abs=1e-9)
    assert ours["rouge1"] == pytest.approx(theirs["rouge-1"], abs=1e-9)
    assert ours["rouge2"] == pytest.approx(theirs["rouge-2"], abs=1e-9)
    assert ours["rougeL"] == pytest.approx(theirs["rouge-l"], abs=1e-9)
    assert ours["n"] == 5


def test_corpus_metrics_reject_misaligned_inputs() -> None:
    with pytest.raises(ValidationFailed, match="2 hypotheses but 1 references"):
        corpus_text_metrics(["a", "b"], ["a"])


def test_copy_check_metrics() -> None:
    attrs = [parse_attributes("类型#裙*颜色#红色*裙长#短裙"), parse_attributes("类型#裙*颜色#白色*裙长#长裙")]
    lexicon = ValueLexicon().fit(attrs)
    outputs = ["红色短裙，活泼俏皮。", "这条长裙是红色的。"]  # the second calls a white dress red
    m = copy_check_metrics(outputs, attrs, lexicon)
    assert m["contradiction_rate"] == 0.5
    assert m["attribute_coverage"] == pytest.approx((1 + 2 / 3) / 2)  # 裙 is mentioned by both; 白色 is not
    assert m["unsupported_rate"] == 0.0
