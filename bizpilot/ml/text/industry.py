"""Industry (or any customer segment) classification from what a company says it does, zh and en.

Two ways to a label, in one estimator:

* **zero-shot** (no labelled accounts): the description's sentence embedding (multilingual e5, through the one
  embedding service) against an embedding of each label's name and description (``label_texts``, from the
  workspace taxonomy); probabilities are a softmax of the cosines at ``zs_temperature``.
* **trained**: a logistic regression on the pre-trained sentence features (the transfer: a few examples per
  label already go a long way), a linear SVM on word TF-IDF (exact wording, strong once labels are plentiful),
  and their ensemble (a weighted mean of the two heads' probabilities). With few labels per class the zero-shot
  prior over the label descriptions is mixed in, fading as examples accumulate (``prior_strength`` counts it in
  examples per label), and each label's description joins the training set as one more example of it.

Every prediction carries its probability and the next alternatives (:meth:`IndustryClassifier.classify`);
:func:`review_order` ranks uncertain predictions for review (margin and entropy, spread over the kinds of
company by embedding diversity). The measurement of the settings below is in ``bench/industry.py``.

``workspace_embedding=True`` (`bizpilot train industry --workspace-embedding`) embeds through the workspace
embedding model (`bizpilot train embedder`), recorded at fit as ``embedding_config_`` and used at predict; off by
default: with an adapter trained on ATEC pairs, Russell 3000 sectors (5-fold CV) 0.8823 -> 0.8818.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bizpilot.errors import InsufficientData, InvalidParameter, ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.embedding import model_embedding, record_embedding

HEADS = ("ensemble", "embedding", "tfidf")
LabelTexts = Mapping[str, str | Sequence[str]]
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'&.-]*[a-z0-9]|[a-z]|[\u3400-\u9fff\uf900-\ufaff]+", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Lower-cased words; runs of Chinese characters are segmented with jieba (so Chinese descriptions get words
    too), everything else by a word pattern."""
    out: list[str] = []
    for match in _WORD.finditer((text or "").lower()):
        piece = match.group(0)
        if _CJK.fullmatch(piece):
            import jieba

            out.extend(w for w in jieba.lcut(piece) if w.strip())
        else:
            out.append(piece)
    return out


def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def embed_texts(texts: Sequence[str], embedder: str, *, max_chars: int | None = None,
                on_progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Sentence vectors of ``texts`` from the embedding service (cached in the workspace: a retraining or a
    second evaluation reads them back instead of embedding again). e5 is used symmetrically (``query:`` side)."""
    from bizpilot.retrieval.embedders import CachedEmbedder, get_embedder

    service = get_embedder(embedder)
    texts = [(t or " ")[:max_chars] if max_chars else (t or " ") for t in texts]
    if on_progress is not None and isinstance(service, CachedEmbedder):
        return np.asarray(service.run(texts, is_query=True, on_progress=on_progress), dtype=np.float32)
    return np.asarray(service.run(texts, is_query=True), dtype=np.float32)


@dataclass(frozen=True)
class Prediction:
    """One classified text: the label, its probability, the next ``alternatives`` (label, probability) and the
    two uncertainty measures review ranks by."""

    label: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    margin: float = 1.0
    entropy: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": round(self.confidence, 4),
                "alternatives": [{"label": a, "confidence": round(p, 4)} for a, p in self.alternatives],
                "margin": round(self.margin, 4), "entropy": round(self.entropy, 4)}


class IndustryClassifier(Estimator):
    """Zero-shot or trained text classifier over a label set (see the module docstring)."""

    def __init__(self, *, embedder: str = "e5", head: str = "ensemble", max_chars: int | None = 4000,
                 C_embed: float = 20.0, C_tfidf: float = 1.0, tfidf_weight: float = 0.5,
                 tfidf_temperature: float = 0.2, zs_temperature: float = 0.02, prior_strength: float = 2.0,
                 min_df: int = 1, max_features: int | None = 50_000, workspace_embedding: bool = False) -> None:
        self.embedder = embedder
        self.workspace_embedding = workspace_embedding
        self.head = head
        self.max_chars = max_chars
        self.C_embed = C_embed
        self.C_tfidf = C_tfidf
        self.tfidf_weight = tfidf_weight
        self.tfidf_temperature = tfidf_temperature
        self.zs_temperature = zs_temperature
        self.prior_strength = prior_strength
        self.min_df = min_df
        self.max_features = max_features

    # -- fitting ---------------------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.head not in HEADS:
            raise InvalidParameter(f"unknown head {self.head!r}; one of {', '.join(HEADS)}",
                                   details=[{"field": "head", "reason": "unknown head", "value": self.head}])
        if self.embedder == "none" and self.head != "tfidf":
            raise InvalidParameter("without an embedder (embedder='none') only the tfidf head can run",
                                   details=[{"field": "embedder", "reason": "none needs head tfidf"}])
        if not 0.0 <= self.tfidf_weight <= 1.0:
            raise InvalidParameter("tfidf_weight must be between 0 and 1",
                                   details=[{"field": "tfidf_weight", "reason": "out of range"}])

    def _set_prototypes(self, classes: list[str], label_texts: LabelTexts) -> None:
        """Embed what each label means (one or more texts; the label's name when nothing is given)."""
        texts: list[str] = []
        owner: list[int] = []
        for i, label in enumerate(classes):
            value = label_texts.get(label)
            items = [value] if isinstance(value, str) else list(value or [])
            items = [t.strip() for t in items if t and t.strip()] or [label]
            texts.extend(items)
            owner.extend([i] * len(items))
        self.label_vectors_ = embed_texts(texts, model_embedding(self))
        self.prototype_owner_ = np.asarray(owner, dtype=np.int32)

    def _zero_shot(self, E: np.ndarray) -> np.ndarray:
        """Softmax over labels of each text's best cosine with any of the label's prototypes."""
        sims = E @ self.label_vectors_.T
        starts = np.flatnonzero(np.r_[True, np.diff(self.prototype_owner_) != 0])
        return softmax(np.maximum.reduceat(sims, starts, axis=1) / self.zs_temperature)

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, label_texts: LabelTexts | None = None,
            on_progress: Callable[[int], None] | None = None) -> IndustryClassifier:
        """Learn from labelled descriptions; with none, set up zero-shot over the labels of ``label_texts``
        (label -> what companies with it do: one text or several, e.g. a sector's description and its industries').
        Labels named only in ``label_texts`` can be predicted too (from their description: the open end of a
        sparse taxonomy)."""
        self._check_params()
        texts = [str(t or "").strip() for t in texts]
        labels = [str(y).strip() for y in labels]
        if len(texts) != len(labels):
            raise ValidationFailed(f"{len(texts)} texts but {len(labels)} labels")
        if any(not y for y in labels):
            raise ValidationFailed("a label is empty", details=[{"field": "label", "reason": "empty"}])
        label_texts = {str(k).strip(): v for k, v in (label_texts or {}).items() if str(k).strip()}
        classes = sorted(set(labels) | set(label_texts))
        if len(classes) < 2:
            raise InsufficientData(f"classification needs at least two labels; got {classes}")
        if texts and len(set(labels)) < 2 and (self.embedder == "none" or len(classes) < 2):
            raise InsufficientData(f"training needs examples of at least two labels; got only {sorted(set(labels))}")
        if not texts and self.embedder == "none":
            raise InsufficientData("zero-shot classification needs an embedder; give labelled examples")
        self.classes_ = classes
        self.embedder_ = self.embedder
        if self.workspace_embedding:  # through the workspace's embedding model, if any (recorded; predict uses it)
            record_embedding(self)
        else:
            self.embedding_config_ = self.embedder_
        if self.embedder != "none":
            self._set_prototypes(classes, label_texts)
        self.n_train_ = len(texts)
        counts = {c: 0 for c in classes}
        for y in labels:
            counts[y] += 1
        self.class_counts_ = [counts[c] for c in classes]
        if not texts:
            self.mode_ = "zero-shot"
            self.prior_weight_ = 1.0
            return self
        self.mode_ = "trained"
        seen = np.array([counts[c] for c in classes if counts[c] > 0], dtype=float)
        # The zero-shot prior counts as ``prior_strength`` examples against the typical label's own examples.
        self.prior_weight_ = float(self.prior_strength / (self.prior_strength + np.median(seen))) \
            if self.prior_strength > 0 and self.embedder != "none" else 0.0
        y = np.array([classes.index(v) for v in labels])
        if self.head in ("ensemble", "embedding"):
            E = embed_texts(texts, model_embedding(self), max_chars=self.max_chars, on_progress=on_progress)
            self._fit_embedding_head(E, y)
        if self.head in ("ensemble", "tfidf") and len(np.unique(y)) >= 2:  # one seen label: nothing to contrast
            self._fit_tfidf_head(texts, y)
        return self

    def _fit_embedding_head(self, E: np.ndarray, y: np.ndarray) -> None:
        """Logistic regression on sentence vectors; what each label means (the centroid of its prototypes) is one
        more example of it, so a label with one or no account still has a direction."""
        from sklearn.linear_model import LogisticRegression

        centroids = np.vstack([self.label_vectors_[self.prototype_owner_ == k].mean(axis=0)
                               for k in range(len(self.classes_))])
        X = np.vstack([E, centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)])
        target = np.concatenate([y, np.arange(len(self.classes_))])
        lr = LogisticRegression(C=self.C_embed, max_iter=3000).fit(X, target)
        self.embed_coef_ = lr.coef_.astype(np.float32)
        self.embed_intercept_ = lr.intercept_.astype(np.float32)

    def _fit_tfidf_head(self, texts: list[str], y: np.ndarray) -> None:
        """Linear SVM (one-vs-rest) on word uni- and bigram TF-IDF; classes without examples get no weights
        (the other heads speak for them)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        _quiet_jieba()
        vectorizer = TfidfVectorizer(tokenizer=tokens, token_pattern=None, lowercase=False, sublinear_tf=True,
                                     ngram_range=(1, 2), min_df=self.min_df, max_features=self.max_features)
        X = vectorizer.fit_transform(texts)
        present = np.unique(y)
        svm = LinearSVC(C=self.C_tfidf).fit(X, y)
        coef = np.zeros((len(self.classes_), X.shape[1]), dtype=np.float32)
        intercept = np.full(len(self.classes_), -10.0, dtype=np.float32)  # never chosen by this head
        if len(present) == 2:
            coef[present[1]], intercept[present[1]] = svm.coef_[0], svm.intercept_[0]
            coef[present[0]], intercept[present[0]] = -svm.coef_[0], -svm.intercept_[0]
        else:
            coef[present], intercept[present] = svm.coef_, svm.intercept_
        self.tfidf_coef_ = coef
        self.tfidf_intercept_ = intercept
        self.vocabulary_ = _vocab_list(vectorizer.vocabulary_)
        self.idf_ = vectorizer.idf_.astype(np.float32)
        self._vectorizer = vectorizer

    # -- prediction --------------------------------------------------------------------------------------------

    def _tfidf(self, texts: list[str]) -> Any:
        vectorizer = getattr(self, "_vectorizer", None)
        if vectorizer is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vectorizer = TfidfVectorizer(tokenizer=tokens, token_pattern=None, lowercase=False, sublinear_tf=True,
                                         ngram_range=(1, 2), vocabulary={t: i for i, t in enumerate(self.vocabulary_)})
            vectorizer.idf_ = np.asarray(self.idf_, dtype=np.float64)
            self._vectorizer = vectorizer
        _quiet_jieba()
        return vectorizer.transform(texts)

    def embed(self, texts: Sequence[str], on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        """The sentence vectors this model reads (what review diversity is measured on)."""
        self.check_fitted()
        return embed_texts([str(t or "") for t in texts], model_embedding(self), max_chars=self.max_chars,
                           on_progress=on_progress)

    def predict_proba(self, texts: Sequence[str], *, vectors: np.ndarray | None = None) -> np.ndarray:
        """Probabilities (rows sum to 1) over ``classes_``; ``vectors`` reuses embeddings already computed."""
        self.check_fitted()
        texts = [str(t or "").strip() for t in texts]
        if not texts:
            return np.zeros((0, len(self.classes_)))
        needs_vectors = self.mode_ == "zero-shot" or self.prior_weight_ > 0 or hasattr(self, "embed_coef_")
        E = vectors if vectors is not None or not needs_vectors else self.embed(texts)
        prior = self._zero_shot(E) if E is not None else None
        if self.mode_ == "zero-shot":
            assert prior is not None
            return prior
        parts: list[tuple[float, np.ndarray]] = []
        if hasattr(self, "embed_coef_") and E is not None:
            parts.append((1.0 - (self.tfidf_weight if hasattr(self, "tfidf_coef_") else 0.0),
                          softmax(E @ self.embed_coef_.T + self.embed_intercept_)))
        if hasattr(self, "tfidf_coef_"):
            scores = np.asarray(self._tfidf(texts) @ self.tfidf_coef_.T) + self.tfidf_intercept_
            parts.append((self.tfidf_weight if hasattr(self, "embed_coef_") else 1.0,
                          softmax(scores / self.tfidf_temperature)))
        probs = sum(w * p for w, p in parts)
        if prior is not None and self.prior_weight_ > 0:
            probs = (1.0 - self.prior_weight_) * probs + self.prior_weight_ * prior
        return probs / probs.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes_[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def classify(self, texts: Sequence[str], *, k: int = 3, vectors: np.ndarray | None = None) -> list[Prediction]:
        """Per text: the best label with its probability and the next ``k - 1`` alternatives."""
        return predictions(self.predict_proba(texts, vectors=vectors), self.classes_, k=k)


def predictions(probs: np.ndarray, classes: Sequence[str], *, k: int = 3) -> list[Prediction]:
    """Predictions (label, confidence, alternatives, margin, normalised entropy) from a probability matrix."""
    out = []
    n = len(classes)
    for row in probs:
        order = np.argsort(-row, kind="stable")[:max(1, k)]
        top = float(row[order[0]])
        second = float(row[order[1]]) if n > 1 else 0.0
        p = row[row > 0]
        entropy = float(-(p * np.log(p)).sum() / np.log(n)) if n > 1 else 0.0
        out.append(Prediction(classes[order[0]], top, [(classes[i], float(row[i])) for i in order[1:]],
                              margin=top - second, entropy=entropy))
    return out


def top_k_accuracy(probs: np.ndarray, classes: Sequence[str], truth: Sequence[str], k: int = 3) -> float:
    """Share of rows whose true label is among the ``k`` most probable."""
    if not len(truth):
        return 0.0
    index = {c: i for i, c in enumerate(classes)}
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float(np.mean([index.get(t, -1) in row for t, row in zip(truth, top, strict=True)]))


def review_order(probs: np.ndarray, vectors: np.ndarray | None = None, *, limit: int | None = None,
                 diversity: float = 0.5) -> tuple[list[int], list[float]]:
    """Which predictions a person should review first, and each one's priority (0..1): most uncertain first
    (mean of 1 - margin and normalised entropy), then greedily discounted by similarity to those already chosen
    (``diversity`` 0..1), so one label teaches about many accounts instead of ten near-duplicates about one."""
    n = probs.shape[0]
    if n == 0:
        return [], []
    ranked = predictions(probs, [str(i) for i in range(probs.shape[1])], k=2)
    uncertainty = np.array([0.5 * (1.0 - p.margin) + 0.5 * p.entropy for p in ranked])
    limit = n if limit is None else min(limit, n)
    if vectors is None or diversity <= 0:
        order = np.argsort(-uncertainty, kind="stable")[:limit]
        return order.tolist(), [float(uncertainty[i]) for i in order]
    V = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    closest = np.zeros(n)  # highest cosine to anything already chosen
    chosen: list[int] = []
    priorities: list[float] = []
    available = np.ones(n, dtype=bool)
    for _ in range(limit):
        score = uncertainty * (1.0 - diversity * np.clip(closest, 0.0, 1.0))
        score[~available] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        priorities.append(float(score[best]))
        available[best] = False
        closest = np.maximum(closest, V @ V[best])
    return chosen, priorities


def _vocab_list(vocabulary: Mapping[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[i] = term
    return terms


__all__ = ["HEADS", "IndustryClassifier", "Prediction", "embed_texts", "predictions", "review_order", "softmax",
           "tokens", "top_k_accuracy"]
