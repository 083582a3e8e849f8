"""The peer the intent model must beat: word + character TF-IDF and a linear SVM, with a confidence threshold
for out of scope (a message whose best SVM score is below it is predicted out of scope).

The threshold is tuned by cross-validation on the training set only (out-of-fold best scores, the threshold that
maximises out-of-fold accuracy), so the test split is never seen; with no out-of-scope examples in training it
stays at minus infinity (never out of scope)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bizpilot.errors import InsufficientData

OOS_LABELS = ("oos", "out_of_scope", "other")


class ThresholdedSvmBaseline:
    """TF-IDF + LinearSVC with a CV-tuned out-of-scope threshold; ``predict`` gives ``oos_label`` below it."""

    def __init__(self, *, oos_label: str = "oos", folds: int = 3, C: float = 1.0, seed: int = 0) -> None:
        self.oos_label, self.folds, self.C, self.seed = oos_label, folds, C, seed

    def _pipeline(self):  # noqa: ANN202 - sklearn objects
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.svm import LinearSVC

        features = make_union(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1),
                              TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 4), min_df=2))
        return make_pipeline(features, LinearSVC(C=self.C))

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> ThresholdedSvmBaseline:
        from sklearn.model_selection import StratifiedKFold

        texts, labels = [str(t) for t in texts], np.asarray([str(y) for y in labels])
        in_scope = labels != self.oos_label
        if len(set(labels[in_scope])) < 2:
            raise InsufficientData("the baseline needs at least two in-scope intents")
        self.threshold_ = float("-inf")
        if (~in_scope).any():
            counts = {y: int((labels == y).sum()) for y in set(labels)}
            folds = max(2, min(self.folds, min(counts.values())))
            best = np.full(len(texts), -np.inf)
            pred = np.empty(len(texts), dtype=object)
            for tr, te in StratifiedKFold(folds, shuffle=True, random_state=self.seed).split(texts, labels):
                keep = tr[in_scope[tr]]
                model = self._pipeline().fit([texts[i] for i in keep], labels[keep])
                scores = model.decision_function([texts[i] for i in te])
                scores = scores if scores.ndim > 1 else np.column_stack([-scores, scores])
                best[te] = scores.max(1)
                pred[te] = model.classes_[scores.argmax(1)]
            candidates = np.unique(np.quantile(best, np.linspace(0.0, 0.6, 61)))
            accuracy = [np.mean(np.where(best < t, self.oos_label, pred) == labels) for t in candidates]
            self.threshold_ = float(candidates[int(np.argmax(accuracy))])
        self.model_ = self._pipeline().fit([t for t, k in zip(texts, in_scope, strict=True) if k], labels[in_scope])
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        scores = self.model_.decision_function([str(t) for t in texts])
        scores = scores if scores.ndim > 1 else np.column_stack([-scores, scores])
        pred = self.model_.classes_[scores.argmax(1)]
        return [self.oos_label if s < self.threshold_ else str(p) for s, p in zip(scores.max(1), pred, strict=True)]


__all__ = ["OOS_LABELS", "ThresholdedSvmBaseline"]
