"""Sentiment: lexicon with negation (zh/en), trainable classifier, label parsing and the shipped default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bizpilot.errors import ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.sentiment import (
    LexiconScorer,
    SentimentClassifier,
    default_sentiment_model,
    label_for,
    normalise_label,
)

REVIEWS = [
    ("great product, works perfectly", 1), ("excellent quality and fast delivery", 1), ("love it, highly recommend", 1),
    ("very happy with this purchase", 1), ("terrible, broke after one day", 0), ("waste of money, very poor", 0),
    ("awful quality, do not buy", 0), ("disappointed, it stopped working", 0),
    ("质量很好，非常满意", 1), ("物流很快，推荐购买", 1), ("太差了，用了两天就坏了", 0), ("非常失望，要退货", 0),
]


@pytest.mark.parametrize(("text", "sign"), [
    ("This is good", 1), ("This is not good", -1), ("really terrible support", -1), ("I don't like it", -1),
    ("很好用，满意", 1), ("不好用", -1), ("一点也不满意", -1), ("质量差，很失望", -1), ("服务很周到", 1),
    ("外观漂亮，但是质量太差", -1),
])
def test_lexicon_polarity_with_negation_and_contrast(text: str, sign: int) -> None:
    score = LexiconScorer().score(text)
    assert np.sign(score) == sign, (text, score)
    assert -1.0 <= score <= 1.0


def test_lexicon_neutral_text_scores_zero() -> None:
    assert LexiconScorer().score("The order number is 1043.") == 0.0
    assert label_for(0.0) == "neutral" and label_for(0.5) == "positive" and label_for(-0.5) == "negative"


@pytest.mark.parametrize(("raw", "label"), [
    ("0", "negative"), ("1", "positive"), ("pos", "positive"), ("负面", "negative"), ("5", "positive"),
    ("3", "neutral"), ("2", "negative"), ("neutral", "neutral"),
])
def test_normalise_label(raw: str, label: str) -> None:
    assert normalise_label(raw) == label


def test_normalise_label_rejects_unknown() -> None:
    with pytest.raises(ValidationFailed, match="unknown sentiment label 'maybe'"):
        normalise_label("maybe")


def test_classifier_fit_predict_save_load(tmp_path: Path) -> None:
    texts, labels = zip(*REVIEWS, strict=True)
    model = SentimentClassifier(embedder="none", C=10.0).fit(list(texts), list(labels))
    assert model.classes_ == ["negative", "positive"]
    probe = ["great quality, very happy", "poor and broken, disappointed", "很满意，推荐", "太差了，失望"]
    assert model.predict(probe) == ["positive", "negative", "positive", "negative"]
    scores = model.score(probe)
    assert scores[0] > 0 > scores[1]
    loaded = Estimator.load(model.save(tmp_path / "sentiment.npz"))
    np.testing.assert_allclose(loaded.score(probe), scores, rtol=1e-6)


def test_naive_bayes_weighting_of_tfidf_columns() -> None:
    """Binary training scales each TF-IDF column by its NB log-count ratio: a term seen only in positive reviews
    gets a positive ratio, one seen only in negative reviews a negative one; three classes and the switch leave
    the plain TF-IDF."""
    texts, labels = zip(*REVIEWS, strict=True)
    model = SentimentClassifier(embedder="none", C=10.0).fit(list(texts), list(labels))
    vocab = model.features_state_["word_vocab"]
    ratio = model.nb_ratio_
    assert ratio.shape == (len(vocab) + len(model.features_state_["char_vocab"]),)
    assert ratio[vocab.index("excellent")] > 0 > ratio[vocab.index("terrible")]
    plain = SentimentClassifier(embedder="none", C=10.0, nb_weighting=False).fit(list(texts), list(labels))
    assert not hasattr(plain, "nb_ratio_")
    assert plain.predict(["excellent quality", "terrible quality"]) == ["positive", "negative"]
    three = SentimentClassifier(embedder="none").fit(["great", "awful", "a mug"], ["positive", "negative", "neutral"])
    assert not hasattr(three, "nb_ratio_")


def test_classifier_three_classes() -> None:
    texts = ["great", "love it", "excellent", "terrible", "awful", "broken", "it is a mug", "arrived on tuesday",
             "the box is blue"]
    labels = ["positive"] * 3 + ["negative"] * 3 + ["neutral"] * 3
    model = SentimentClassifier(embedder="none", C=10.0).fit(texts, labels)
    assert model.classes_ == ["negative", "neutral", "positive"]
    assert model.predict_proba(["great"]).shape == (1, 3)


def test_classifier_needs_two_classes() -> None:
    with pytest.raises(ValidationFailed, match="two classes"):
        SentimentClassifier(embedder="none").fit(["good", "great"], [1, 1])


@pytest.mark.parametrize(("text", "label"), [
    ("Absolutely love this headset, the sound is crisp.", "positive"),
    ("The battery died after a week and support never answered.", "negative"),
    ("Food was cold and the waiter was rude.", "negative"),
    ("质量非常好，物流也快，很满意", "positive"),
    ("用了三天就坏了，客服也不理人，太失望了", "negative"),
])
def test_default_model_works_without_training_data(text: str, label: str) -> None:
    model = default_sentiment_model()
    (predicted, score), = model.analyse([text])
    assert predicted == label, (text, score)


def test_chinese_training_blends_with_the_shipped_default() -> None:
    texts = ["质量很好，非常满意", "物流很快，推荐购买", "太差了，用了两天就坏了", "非常失望，要退货", "很喜欢，好评",
             "垃圾，别买"]
    labels = [1, 1, 0, 0, 1, 0]
    blended = SentimentClassifier(C=10.0).fit(texts, labels)
    alone = SentimentClassifier(C=10.0, blend_default=0.0).fit(texts, labels)
    assert blended.blend_default_ == pytest.approx(0.5) and alone.blend_default_ == 0.0
    probe = ["酒店房间很干净，服务热情", "房间又脏又吵，前台态度恶劣"]
    assert blended.predict(probe) == ["positive", "negative"]
    # the default's own score, without its lexicon share (the trained model has lexicon features already)
    expected = 0.5 * alone.score(probe) + 0.5 * default_sentiment_model().score(probe, with_lexicon=False)
    np.testing.assert_allclose(blended.score(probe), expected, rtol=1e-6)


def test_default_averages_the_lexicon_and_reads_long_reviews_at_both_ends() -> None:
    """The shipped default blends its embedding score with the lexicon's (weight 0.4), and a review longer than
    the embedder reads is embedded at its opening and its ending: a verdict at the end moves the score."""
    from bizpilot.ml.text.sentiment import lexicon

    model = default_sentiment_model()
    assert model.lexicon_blend == 0.4 and model.read_tail
    probe = ["房间干净，服务热情，下次还住", "前台态度恶劣，房间很脏"]
    lex = np.array([lexicon().score(t) for t in probe])
    np.testing.assert_allclose(model.score(probe), 0.6 * model.score(probe, with_lexicon=False) + 0.4 * lex)
    opening = "酒店位于市中心，我们一家三口周末入住，办理手续用了十分钟左右，房间在十二楼，窗外可以看到江景。" * 6
    good, bad = opening + "总的来说非常满意，服务周到，强烈推荐！", opening + "总的来说非常失望，服务恶劣，再也不来了！"
    assert len(good) > 256
    scores = model.score([good, bad], with_lexicon=False)
    assert scores[0] > scores[1] + 0.2
