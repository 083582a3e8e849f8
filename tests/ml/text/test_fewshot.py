"""Few-shot pieces: the contrastive adapter over frozen vectors, intent names as words, and the few-shot intent
model on the bundled sentence models (a handful of texts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import InvalidParameter
from bizpilot.ml.text.fewshot import apply_adapter, fit_contrastive_adapter, label_phrase, normalise
from bizpilot.ml.text.intent import OUT_OF_SCOPE, IntentClassifier


def _mean_cosines(Z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    S = Z @ Z.T
    same = (y[:, None] == y[None, :]) & ~np.eye(y.size, dtype=bool)
    different = y[:, None] != y[None, :]
    return float(S[same].mean()), float(S[different].mean())


def test_adapter_pulls_labels_apart() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    X = normalise(np.repeat(centres, 6, axis=0) * 0.4 + rng.normal(size=(18, 16)))
    y = np.repeat(np.array(["a", "b", "c"]), 6)
    same_before, different_before = _mean_cosines(X, y)
    Z = apply_adapter(X, fit_contrastive_adapter(X, y, steps=60))
    same_after, different_after = _mean_cosines(Z, y)
    assert same_after - different_after > same_before - different_before + 0.2
    assert np.allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)


def test_adapter_without_pairs_is_the_identity() -> None:
    X = normalise(np.eye(3, 4, dtype=np.float32) + 0.1)
    W = fit_contrastive_adapter(X, ["a", "b", "c"])  # one example per label: no positive pair
    assert not W.any()
    assert np.allclose(apply_adapter(X, W), X)


def test_label_phrase_reads_ids_as_words() -> None:
    assert label_phrase("card_arrival") == "card arrival"
    assert label_phrase("TopUpLimits") == "top up limits"
    assert label_phrase("order-status") == "order status"


TRAIN = [
    ("where is my parcel", "delivery"), ("my package has not arrived", "delivery"),
    ("track my delivery please", "delivery"), ("I want my money back", "refund"),
    ("please refund the payment", "refund"), ("how do I get a refund", "refund"),
    ("change my password", "login"), ("I cannot log in", "login"), ("reset the password", "login"),
    ("what is the capital of france", OUT_OF_SCOPE), ("tell me a joke", OUT_OF_SCOPE),
]


def test_auto_takes_the_few_shot_method_for_a_small_english_set(tmp_path: Path) -> None:
    texts, labels = map(list, zip(*TRAIN, strict=True))
    model = IntentClassifier().fit(texts, labels, label_names={"login": "sign in trouble"})
    assert model.method_ == "fewshot" and model.embedder_ == "minilm+e5"
    assert model.label_names_ == ["delivery", "sign in trouble", "refund"]
    assert model.adapter_.shape == (768, 768)
    assert model.predict(["has my parcel shipped yet", "refund this order", "I forgot my password"]) == [
        "delivery", "refund", "login"]
    off_topic = model.analyse(["write me a poem about the sea"])[0]
    assert off_topic["out_of_scope"] and off_topic["intent"] == "other"
    model.save(tmp_path / "intent.npz")
    loaded = IntentClassifier.load(tmp_path / "intent.npz")
    assert loaded.method_ == "fewshot"
    assert np.allclose(loaded.predict_proba(["refund this order"]), model.predict_proba(["refund this order"]),
                       atol=1e-5)


def test_method_choice() -> None:
    texts, labels = map(list, zip(*TRAIN, strict=True))
    assert IntentClassifier(embedder="none").fit(texts, labels).method_ == "svm"
    assert IntentClassifier(method="svm", embedder="none").fit(texts, labels).method_ == "svm"
    with pytest.raises(InvalidParameter):
        IntentClassifier(method="fewshot", embedder="none").fit(texts, labels)
    with pytest.raises(InvalidParameter):
        IntentClassifier(method="magic").fit(texts, labels)
    many = [(f"where is parcel number {i}", "delivery") for i in range(30)] + \
        [(f"refund order number {i}", "refund") for i in range(30)]
    texts, labels = map(list, zip(*many, strict=True))
    assert IntentClassifier().fit(texts, labels).method_ == "svm"  # 30 per intent: no longer few-shot
    chinese = [("我的包裹在哪里", "delivery"), ("快递还没到", "delivery"), ("我要退款", "refund"), ("请退钱", "refund")]
    texts, labels = map(list, zip(*chinese, strict=True))
    small_chinese = IntentClassifier().fit(texts, labels)  # few-shot too, on e5 alone (MiniLM reads no Chinese)
    assert small_chinese.method_ == "fewshot" and small_chinese.embedder_ == "e5"
    assert small_chinese.predict(["包裹到哪了", "把钱退给我"]) == ["delivery", "refund"]
