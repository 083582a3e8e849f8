"""Bilingual TF-IDF features that a model file can hold without pickle.

Words come from jieba (``cut_for_search`` granularity is too fine for classification, so plain ``lcut``) for
Chinese and from a simple lower-cased word pattern for other text; characters are ``char_wb`` n-grams, which
cover Chinese (each run of Han characters is one "word") and misspellings alike. The fitted vocabularies and idf
weights are plain lists/arrays, so ``state()``/``from_state()`` round-trip through ``Estimator.save``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+", re.IGNORECASE)
_NEGATORS_EN = {"not", "no", "never", "n't", "dont", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't",
                "can't", "cannot", "couldn't", "wouldn't", "aren't", "weren't", "hardly", "without", "nothing"}


def word_tokens(text: str) -> list[str]:
    """Lower-cased words; Chinese runs are segmented with jieba. English words after a negator get a ``NOT_``
    twin, so "not good" and "good" differ."""
    text = (text or "").lower()
    tokens: list[str] = []
    negate = 0
    for match in _WORD.finditer(text):
        piece = match.group(0)
        if _CJK.match(piece):
            import jieba

            tokens.extend(w for w in jieba.lcut(piece) if w.strip())
            negate = 0
            continue
        tokens.append(piece)
        if negate:
            tokens.append("NOT_" + piece)
            negate -= 1
        if piece in _NEGATORS_EN or piece.endswith("n't"):
            negate = 3
    return tokens


def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)


class TextFeatures:
    """Word (1..``word_ngrams``) and character (``char_range``) TF-IDF, stacked side by side."""

    def __init__(self, word_ngrams: int = 2, char_range: tuple[int, int] = (2, 5), min_df: int = 1,
                 char_min_df: int = 2, max_features: int | None = 300_000) -> None:
        self.word = TfidfVectorizer(tokenizer=word_tokens, token_pattern=None, lowercase=False,
                                    ngram_range=(1, word_ngrams), sublinear_tf=True, min_df=min_df,
                                    max_features=max_features)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(char_range), sublinear_tf=True,
                                    min_df=char_min_df, max_features=max_features, lowercase=True)

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        _quiet_jieba()
        if len(texts) < 2 * self.char.min_df:
            self.char.min_df = 1
        return sparse.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        _quiet_jieba()
        return sparse.hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON part, arrays) describing the fitted vectorizers."""
        meta = {"word_ngrams": self.word.ngram_range[1], "char_range": list(self.char.ngram_range),
                "word_vocab": _vocab_list(self.word.vocabulary_), "char_vocab": _vocab_list(self.char.vocabulary_)}
        return meta, {"word_idf": self.word.idf_, "char_idf": self.char.idf_}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> TextFeatures:
        features = cls(word_ngrams=int(meta["word_ngrams"]), char_range=tuple(meta["char_range"]))
        for vec, vocab, idf in ((features.word, meta["word_vocab"], arrays["word_idf"]),
                                (features.char, meta["char_vocab"], arrays["char_idf"])):
            vec.set_params(vocabulary={term: i for i, term in enumerate(vocab)})
            vec.idf_ = np.asarray(idf, dtype=np.float64)
        return features


def _vocab_list(vocabulary: dict[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[i] = term
    return terms


__all__ = ["TextFeatures", "word_tokens"]
