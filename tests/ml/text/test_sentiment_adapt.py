"""Self-training on the target domain's unlabelled texts: the domain's own polar words correct a weak base."""

from __future__ import annotations

import numpy as np

from bizpilot.ml.text.sentiment_adapt import MIN_TEXTS, self_train

FILLER = ["房间", "前台", "早餐", "位置", "窗户", "电梯", "大堂", "床铺", "浴室", "走廊"]


def _domain(n: int = 80) -> tuple[list[str], np.ndarray]:
    """Hotel-like texts whose polarity only the domain word says: 宽敞 (positive) or 狭窄 (negative)."""
    rng = np.random.default_rng(1)
    texts, y = [], []
    for i in range(n):
        word = "宽敞" if i % 2 == 0 else "狭窄"
        a, b = rng.choice(FILLER, 2, replace=False)
        texts.append(f"{a}{word}，{b}也{word}")
        y.append(1 - i % 2)
    return texts, np.array(y)


def test_self_training_corrects_a_weak_base_with_the_domain_words() -> None:
    texts, y = _domain()
    rng = np.random.default_rng(2)
    # The base is right with confidence on 70 % of the texts and wrong, unsure, on the rest.
    wrong = rng.random(len(y)) < 0.3
    sign = np.where(y == 1, 1.0, -1.0)
    base = np.where(wrong, -0.1 * sign, 0.8 * sign)
    assert np.mean((base >= 0) == y) < 0.8
    adapted = self_train(texts, base)
    assert adapted.adapted
    assert np.mean((adapted.scores >= 0) == y) == 1.0
    assert len(adapted.n_pseudo) == 2 and adapted.n_pseudo[0] < adapted.n_pseudo[1] <= len(texts)
    assert np.all(np.abs(adapted.scores) <= 1.0)


def test_embeddings_join_the_self_trained_models() -> None:
    texts, y = _domain()
    base = np.where(y == 1, 0.6, -0.6) * np.where(np.arange(len(y)) % 5 == 0, -0.2, 1.0)
    vectors = np.column_stack([np.where(y == 1, 1.0, -1.0), np.ones(len(y))])
    with_vectors = self_train(texts, base, embeddings=vectors)
    assert np.mean((with_vectors.scores >= 0) == y) == 1.0
    assert not np.allclose(with_vectors.scores, self_train(texts, base).scores)


def test_too_few_texts_or_one_predicted_class_leave_the_base() -> None:
    texts, y = _domain(MIN_TEXTS - 2)
    base = np.where(y == 1, 0.5, -0.5)
    small = self_train(texts, base)
    assert not small.adapted and np.array_equal(small.scores, base)
    texts, _ = _domain()
    one_sided = self_train(texts, np.full(len(texts), 0.4))
    assert not one_sided.adapted and np.array_equal(one_sided.scores, np.full(len(texts), 0.4))
