"""Intent classifier: trainable (few-shot too), saved without pickle, shipped default in zh and en, out of scope."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.intent import DEFAULT_INTENTS, IntentClassifier, default_intent_model, load_seeds

TRAIN = [
    ("where is my parcel", "delivery"), ("my package has not arrived", "delivery"),
    ("when will the parcel come", "delivery"), ("track my delivery please", "delivery"),
    ("I want my money back", "refund"), ("please refund the payment", "refund"),
    ("how do I get a refund", "refund"), ("refund my order", "refund"),
    ("change my password", "login"), ("I cannot log in", "login"), ("reset the password", "login"),
    ("my login does not work", "login"),
]


def _fit(**params: object) -> IntentClassifier:
    texts, labels = zip(*TRAIN, strict=True)
    return IntentClassifier(embedder="none", **params).fit(list(texts), list(labels))


def test_fit_predict_and_probabilities() -> None:
    model = _fit()
    assert model.classes_ == ["delivery", "login", "refund"]
    assert model.predict(["has my parcel arrived", "refund please", "forgot my password"]) == [
        "delivery", "refund", "login"]
    proba = model.predict_proba(["refund please"])
    assert proba.shape == (1, 3)
    assert proba.sum() == pytest.approx(1.0)
    assert model.classes_[int(proba.argmax())] == "refund"


def test_few_shot_one_example_per_intent() -> None:
    model = IntentClassifier(embedder="none").fit(["where is my parcel", "refund my money", "reset my password"],
                                                  ["delivery", "refund", "login"])
    assert model.predict(["parcel status", "money refund", "password reset"]) == ["delivery", "refund", "login"]


def test_out_of_scope_by_confidence_threshold() -> None:
    strict = _fit(oos_threshold=0.99)
    lenient = _fit(oos_threshold=0.0)
    text = ["the weather is nice today"]
    assert strict.analyse(text)[0]["out_of_scope"] is True
    assert lenient.analyse(text)[0]["out_of_scope"] is False


def test_save_load_round_trip_without_pickle(tmp_path: Path) -> None:
    model = _fit()
    path = model.save(tmp_path / "intent")
    loaded = Estimator.load(path)
    assert isinstance(loaded, IntentClassifier)
    texts = ["parcel?", "refund", "password", "something else"]
    assert loaded.predict(texts) == model.predict(texts)
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), rtol=1e-5)


def test_bad_training_input() -> None:
    with pytest.raises(ValidationFailed, match="two intents"):
        IntentClassifier(embedder="none").fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValidationFailed, match="labels"):
        IntentClassifier(embedder="none").fit(["a", "b"], ["x"])
    with pytest.raises(ValidationFailed, match="embedder"):
        IntentClassifier(embedder="bert").fit(["a", "b"], ["x", "y"])


def test_seeds_cover_the_default_intents_in_both_languages() -> None:
    texts, labels = load_seeds()
    for intent in DEFAULT_INTENTS:
        mine = [t for t, y in zip(texts, labels, strict=True) if y == intent]
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in mine), intent
        assert any(t.isascii() for t in mine), intent


@pytest.mark.parametrize(("text", "intent"), [
    ("where is my order 1043?", "order_status"),
    ("我的订单到哪了，还没收到货", "order_status"),
    ("你们的付款条件是什么", "invoice_payment"),
    ("can you send me the VAT invoice for last month", "invoice_payment"),
    ("the pump leaks, I want a refund", "returns_refunds"),
    ("how much for 2000 units?", "pricing_quote"),
    ("这款水泵的最大扬程是多少", "product_specs"),
    ("do you deliver to Spain and how long does it take", "shipping"),
    ("你们的服务太差了，我要投诉", "complaint"),
    ("I forgot my password and cannot log in", "account"),
])
def test_default_model_ships_working(text: str, intent: str) -> None:
    result = default_intent_model().analyse([text])[0]
    assert result["intent"] == intent, result
    assert result["out_of_scope"] is False


def test_default_model_flags_off_topic_questions() -> None:
    results = default_intent_model().analyse(["write me a poem about the moon", "推荐一部好看的电视剧"])
    assert all(r["out_of_scope"] for r in results), results
    assert all(r["intent"] == "other" for r in results)
