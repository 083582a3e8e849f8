"""Domain adaptation of sentiment by self-training on the target domain's own unlabelled texts.

A model trained on one kind of review (electronics, clothing...) misreads another (hotels, food delivery): the
words that carry polarity there ("隔音", "送餐慢", "早餐丰富") never occurred in its training data. The texts of
the target domain are there, only unlabelled: a workspace's own customer messages, or the texts of an evaluation
file used without their labels (transductive). ``self_train`` takes the scores a model gives those texts, keeps
its most confident calls as pseudo-labels (top shares per predicted class, so the class balance follows the
model's own estimate) and fits models on the target texts themselves:

* an NBSVM TF-IDF logistic regression whose vocabulary and idf come from the target texts, so the domain's own
  polar n-grams get weights;
* optionally a logistic regression on the texts' sentence embeddings (when the caller has them already).

Each text is scored by models fitted on the other fold's pseudo-labels (2-fold cross-fitting), so a text never
confirms its own pseudo-label; two rounds, the second from the blended scores of the first with a larger share.
The result is the average of the base score and the self-trained models' scores (-1..1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

MIN_TEXTS = 40  # fewer target texts than this: nothing to adapt on, the base scores are returned
SHARES = (0.4, 0.7)  # share of each predicted class kept as pseudo-labels, per round
BASE_WEIGHT = 0.5


@dataclass
class Adapted:
    """Adapted scores plus what was done, for reports (``n_pseudo`` per round)."""

    scores: np.ndarray
    adapted: bool
    n_pseudo: list[int] = field(default_factory=list)
    positive_share: float = 0.5


def _pseudo(scores: np.ndarray, idx: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices (within ``idx``) of the most confident positives and negatives, ``share`` of each predicted
    class; returns (rows, labels 1/0)."""
    s = scores[idx]
    pos, neg = idx[s >= 0], idx[s < 0]
    k_pos, k_neg = int(round(len(pos) * share)), int(round(len(neg) * share))
    top_pos = pos[np.argsort(-scores[pos])[:k_pos]]
    top_neg = neg[np.argsort(scores[neg])[:k_neg]]
    rows = np.concatenate([top_pos, top_neg])
    return rows, np.concatenate([np.ones(len(top_pos)), np.zeros(len(top_neg))])


def _nbsvm_scores(T: sparse.csr_matrix, rows: np.ndarray, y: np.ndarray, score_rows: np.ndarray,
                  C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    from bizpilot.ml.text.sentiment import _nb_ratio

    ratio = _nb_ratio(T[rows], y.astype(bool))
    X = T @ sparse.diags(ratio.astype(np.float64))
    model = LogisticRegression(C=C, max_iter=1000, solver="liblinear").fit(X[rows], y)
    return 2.0 * model.predict_proba(X[score_rows])[:, 1] - 1.0


def _dense_scores(E: np.ndarray, rows: np.ndarray, y: np.ndarray, score_rows: np.ndarray, C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=1000).fit(E[rows], y)
    return 2.0 * model.predict_proba(E[score_rows])[:, 1] - 1.0


def self_train(texts: Sequence[str], base_scores: np.ndarray, *, embeddings: np.ndarray | None = None,
               shares: Sequence[float] = SHARES, base_weight: float = BASE_WEIGHT, C: float = 1.0,
               embed_C: float = 1.0, seed: int = 0, min_texts: int = MIN_TEXTS) -> Adapted:
    """Scores of ``texts`` adapted to their own domain (see the module docstring). ``base_scores`` are the
    unadapted model's scores in -1..1 for the same texts; ``embeddings`` (one row per text) add the embedding
    model to the self-trained ones."""
    from bizpilot.ml.text.features import TextFeatures

    base = np.asarray(base_scores, dtype=np.float64)
    texts = [str(t or "") for t in texts]
    if len(texts) < min_texts or len(np.unique(np.sign(base))) < 2:
        return Adapted(base.copy(), False)
    T = TextFeatures(char_range=(1, 3)).fit_transform(texts)
    rng = np.random.default_rng(seed)
    folds = rng.permutation(len(texts)) % 2
    current = base.copy()
    n_pseudo: list[int] = []
    for share in shares:
        learned = np.zeros((len(texts), 1 + (embeddings is not None)))
        used = 0
        for k in (0, 1):
            train_idx, score_idx = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
            rows, y = _pseudo(current, train_idx, share)
            if len(np.unique(y)) < 2:
                return Adapted(base.copy(), False, n_pseudo)
            used += len(rows)
            learned[score_idx, 0] = _nbsvm_scores(T, rows, y, score_idx, C)
            if embeddings is not None:
                learned[score_idx, 1] = _dense_scores(embeddings, rows, y, score_idx, embed_C)
        n_pseudo.append(used)
        current = base_weight * base + (1.0 - base_weight) * learned.mean(1)
    return Adapted(current, True, n_pseudo, float(np.mean(current >= 0)))



def pseudo_labelled(texts: Sequence[str], scores: np.ndarray, *, share: float = SHARES[-1]) -> tuple[list[str],
                                                                                                   list[str]]:
    """The most confident ``share`` of each predicted class as (texts, positive/negative labels): what a stored
    model learns from a domain's unlabelled texts once ``self_train`` has scored them."""
    scores = np.asarray(scores, dtype=np.float64)
    rows, y = _pseudo(scores, np.arange(len(scores)), share)
    return [str(texts[i]) for i in rows], ["positive" if v else "negative" for v in y]


__all__ = ["Adapted", "pseudo_labelled", "self_train"]
