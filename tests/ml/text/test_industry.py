"""Industry classifier: trained and zero-shot, probabilities with alternatives, pickle-free save/load, the review
order of active learning, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import InsufficientData, InvalidParameter, NotFittedError, ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.industry import IndustryClassifier, predictions, review_order, tokens, top_k_accuracy

TRAIN = [
    ("The bank takes deposits and makes commercial and mortgage loans to local businesses.", "Banks"),
    ("A community bank offering checking accounts, savings deposits and small business loans.", "Banks"),
    ("Bank holding company whose subsidiary bank provides loans, deposits and wealth management.", "Banks"),
    ("The company operates casual dining restaurants and fast food outlets across the region.", "Restaurants"),
    ("Operates and franchises pizza restaurants with delivery and takeaway.", "Restaurants"),
    ("A chain of coffee shops and restaurants serving breakfast and lunch menus.", "Restaurants"),
    ("Develops cloud software for accounting, payroll and customer relationship management.", "Software"),
    ("The company sells subscription software and SaaS applications for project management.", "Software"),
    ("Provides enterprise application software, analytics and developer tools.", "Software"),
]
DESCRIPTIONS = {
    "Banks": "Banks: takes deposits and makes commercial, real estate and consumer loans",
    "Restaurants": "Restaurants: operates and franchises restaurants, fast food and coffee shops",
    "Software": "Software: develops application software and cloud services for businesses",
    "Steel": "Steel: produces flat-rolled and long steel products, pipe and tube",
}


def _fit(**params: object) -> IndustryClassifier:
    texts, labels = zip(*TRAIN, strict=True)
    return IndustryClassifier(**{"embedder": "hash", **params}).fit(list(texts), list(labels))


def test_trained_probabilities_sum_to_one_and_carry_alternatives() -> None:
    model = _fit()
    assert model.mode_ == "trained" and model.classes_ == ["Banks", "Restaurants", "Software"]
    texts = ["a regional bank making loans and taking deposits", "we run restaurants and coffee shops",
             "cloud software for payroll"]
    probs = model.predict_proba(texts)
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert model.predict(texts) == ["Banks", "Restaurants", "Software"]
    first = model.classify(texts, k=3)[0]
    assert first.label == "Banks"
    assert first.confidence == pytest.approx(float(probs[0].max()))
    assert [a for a, _ in first.alternatives] == [model.classes_[i] for i in np.argsort(-probs[0])[1:]]
    assert first.confidence >= first.alternatives[0][1] >= first.alternatives[1][1]
    assert first.margin == pytest.approx(first.confidence - first.alternatives[0][1])


def test_each_head_alone_and_the_tfidf_head_without_an_embedder() -> None:
    text = ["pizza restaurants with delivery"]
    for head in ("embedding", "tfidf"):
        assert _fit(head=head).predict(text) == ["Restaurants"]
    plain = _fit(head="tfidf", embedder="none")
    assert plain.predict(text) == ["Restaurants"] and plain.prior_weight_ == 0.0
    assert not hasattr(plain, "label_vectors_")


def test_save_and_load_without_pickle(tmp_path: Path) -> None:
    model = _fit()
    path = model.save(tmp_path / "industry")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as npz:  # a model file cannot run code
        assert "tfidf_coef_" in npz.files and "embed_coef_" in npz.files
    again = Estimator.load(path)
    assert isinstance(again, IndustryClassifier) and again.classes_ == model.classes_
    texts = ["loans and deposits for farmers", "burgers and fries"]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), rtol=1e-5, atol=1e-6)


def test_labels_known_only_by_their_description_can_be_predicted() -> None:
    """The sparse case: a label with no example is still a class, through its description (e5)."""
    texts, labels = zip(*TRAIN, strict=True)
    model = IndustryClassifier(embedder="e5").fit(list(texts), list(labels), label_texts=DESCRIPTIONS)
    assert model.classes_ == ["Banks", "Restaurants", "Software", "Steel"] and model.class_counts_[3] == 0
    assert model.predict(["The company operates steel mills producing hot-rolled coil, plate and steel pipe."]) \
        == ["Steel"]


def test_zero_shot_on_a_small_hand_made_set_in_both_languages() -> None:
    model = IndustryClassifier(embedder="e5").fit([], [], label_texts=DESCRIPTIONS)
    assert model.mode_ == "zero-shot" and model.n_train_ == 0
    texts = ["We are a savings bank: deposit accounts, home mortgages and business loans.",
             "Family-owned noodle restaurants and a catering kitchen.",
             "Our mill melts scrap into rebar and wire rod.",
             "SaaS platform for invoicing and expense management.",
             "本公司是一家商业银行，提供存款、贷款和结算服务。",
             "公司经营连锁火锅餐厅和外卖业务。"]
    assert model.predict(texts) == ["Banks", "Restaurants", "Steel", "Software", "Banks", "Restaurants"]
    probs = model.predict_proba(texts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_several_texts_may_describe_one_label() -> None:
    """A sector described by its industries: the closest of its texts counts."""
    model = IndustryClassifier(embedder="e5").fit([], [], label_texts={
        "Financial Services": ["Banks: takes deposits and makes loans", "Insurance: sells property and life "
                               "insurance policies"],
        "Consumer Cyclical": ["Restaurants: operates restaurants", "Hotels: operates hotels and resorts"]})
    assert model.prototype_owner_.tolist() == [0, 0, 1, 1]
    assert model.predict(["The insurer writes auto and home insurance policies.",
                          "We own and manage resort hotels."]) == ["Financial Services", "Consumer Cyclical"]


def test_bad_input_raises_bizpilot_errors() -> None:
    with pytest.raises(ValidationFailed, match="2 texts but 1 labels"):
        IndustryClassifier(embedder="hash").fit(["a", "b"], ["x"])
    with pytest.raises(InsufficientData, match="at least two labels"):
        IndustryClassifier(embedder="hash").fit(["a", "b"], ["x", "x"])
    with pytest.raises(InsufficientData, match="needs an embedder"):
        IndustryClassifier(embedder="none", head="tfidf").fit([], [], label_texts=DESCRIPTIONS)
    with pytest.raises(InvalidParameter, match="unknown head"):
        IndustryClassifier(head="forest").fit(["a", "b"], ["x", "y"])
    with pytest.raises(InvalidParameter, match="only the tfidf head"):
        IndustryClassifier(embedder="none").fit(["a", "b"], ["x", "y"])
    with pytest.raises(NotFittedError):
        IndustryClassifier().predict(["anything"])


def test_review_order_puts_the_most_uncertain_first() -> None:
    probs = np.array([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]])
    order, priority = review_order(probs)
    assert order == [1, 2, 0]
    assert priority[0] == pytest.approx(1.0) and priority == sorted(priority, reverse=True)


def test_review_order_spreads_over_different_companies() -> None:
    """Two near-identical uncertain accounts and a different, slightly less uncertain one: with diversity the
    different one is asked about second (its label teaches more than the twin's)."""
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.6, 0.4]])
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    assert review_order(probs, vectors, diversity=0.0)[0] == [0, 1, 2]
    assert review_order(probs, vectors, diversity=0.9)[0] == [0, 2, 1]
    assert review_order(probs, vectors, limit=2)[0] == [0, 2]
    assert review_order(np.zeros((0, 2))) == ([], [])


def test_predictions_and_top_k_accuracy() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]])
    out = predictions(probs, ["a", "b", "c"], k=2)
    assert [p.label for p in out] == ["a", "c"] and out[0].alternatives == [("b", pytest.approx(0.2))]
    assert 0.0 < out[1].entropy <= 1.0 and out[0].margin == pytest.approx(0.5)
    assert top_k_accuracy(probs, ["a", "b", "c"], ["b", "a"], k=1) == 0.0
    assert top_k_accuracy(probs, ["a", "b", "c"], ["b", "a"], k=2) == 0.5
    assert top_k_accuracy(probs, ["a", "b", "c"], ["b", "unknown"], k=3) == 0.5


def test_tokens_segment_chinese_and_keep_english_words() -> None:
    assert tokens("Oil & Gas E&P, U.S. based") == ["oil", "gas", "e&p", "u.s", "based"]
    words = tokens("公司经营连锁餐厅")
    assert "餐厅" in words and "".join(words) == "公司经营连锁餐厅"
