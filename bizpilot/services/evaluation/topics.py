"""Topic discovery measured against known categories (`bizpilot eval topics`).

The file's labels are never shown to the model: it clusters the texts, and the clusters are compared with the
labels (NMI, ARI). Keyword quality is measured too: NPMI coherence of each topic's top-10 words over the same
texts, and diversity (share of unique words among all topics' top 10). The peer, fitted in the same run on the
same texts with the same k: TF-IDF (the project's tokenizer: jieba words for Chinese) + SVD (100) + k-means
(``baseline_nmi``, ``baseline_ari``); and the sentence embedding alone + k-means (``baseline_embedding_nmi``).

``sample`` draws a stratified, seeded subset first (embedding tens of thousands of texts on a small CPU takes
long); the result says how many texts were measured (``n``) out of how many (``n_file``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bizpilot.errors import InvalidParameter
from bizpilot.services.evaluation.files import read_labelled


def stratified_sample(labels: Sequence[str], n: int, *, seed: int = 0) -> list[int]:
    """Sorted row indices of a seeded sample of ``n`` rows keeping each label's share (all rows when ``n`` is at
    least their number)."""
    if n >= len(labels):
        return list(range(len(labels)))
    from sklearn.model_selection import train_test_split

    counts: dict[str, int] = {}
    for y in labels:
        counts[y] = counts.get(y, 0) + 1
    # a label with one row cannot be stratified: such rows are drawn like the rest
    strata = [y if counts[y] > 1 else "\0rare" for y in labels]
    keep, _ = train_test_split(np.arange(len(labels)), train_size=n, stratify=strata, random_state=seed)
    return sorted(int(i) for i in keep)


def baseline_labels(texts: Sequence[str], k: int, *, seed: int = 0) -> np.ndarray:
    """The peer's clusters: TF-IDF of the project's words (jieba for Chinese) + SVD (100) + k-means."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from bizpilot.ml.text.features import word_tokens

    X = TfidfVectorizer(tokenizer=word_tokens, token_pattern=None, lowercase=False, sublinear_tf=True,
                        min_df=2 if len(texts) >= 50 else 1).fit_transform(list(texts))
    dim = max(1, min(100, X.shape[1] - 1, X.shape[0] - 1))
    Z = normalize(TruncatedSVD(dim, random_state=seed).fit_transform(X))
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(Z)


def evaluate_topics(*, texts: Sequence[str], labels: Sequence[str], k: int | None = None, sample: int | None = None,
                    seed: int = 0, params: dict[str, Any] | None = None, baseline: bool = True,
                    on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """What `bizpilot eval topics` prints: nmi, ari, n_topics, npmi, diversity, seconds, n, and the baseline's
    nmi/ari on the same texts with the same k (the chosen k when ``k`` is None)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from bizpilot.ml.text.topics import TopicModel, keyword_tokens, npmi_coherence, topic_diversity

    if k is not None and k < 2:
        raise InvalidParameter("--k must be at least 2", details=[{"field": "--k", "value": k}])
    n_file = len(texts)
    if sample is not None:
        if sample < 10:
            raise InvalidParameter("--sample must be at least 10", details=[{"field": "--sample", "value": sample}])
        rows = stratified_sample(labels, sample, seed=seed)
        texts, labels = [texts[i] for i in rows], [labels[i] for i in rows]
    started = time.perf_counter()
    model = TopicModel(n_topics=k, random_state=seed, **(params or {})).fit(texts, on_progress=on_progress)
    seconds = time.perf_counter() - started
    docs = [keyword_tokens(t) for t in texts]
    result: dict[str, Any] = {
        "nmi": round(float(normalized_mutual_info_score(labels, model.labels_)), 4),
        "ari": round(float(adjusted_rand_score(labels, model.labels_)), 4),
        "n_topics": model.n_topics_, "npmi": npmi_coherence(model.keywords_, docs),
        "diversity": topic_diversity(model.keywords_), "seconds": round(seconds, 2),
        "n": len(texts), "n_file": n_file, "n_labels": len(set(labels)),
        "embedder": getattr(model, "embedder_", None), "sample_seed": seed if sample is not None else None,
        "topics": [{"label": t["label"], "size": t["size"]} for t in model.topics()],
    }
    if baseline:
        started = time.perf_counter()
        peer = baseline_labels(texts, model.n_topics_, seed=seed)
        result.update(baseline_nmi=round(float(normalized_mutual_info_score(labels, peer)), 4),
                      baseline_ari=round(float(adjusted_rand_score(labels, peer)), 4),
                      baseline_seconds=round(time.perf_counter() - started, 2))
        if getattr(model, "embedder_", None):  # the second peer: the same sentence vectors (cached) + k-means
            from sklearn.cluster import KMeans

            from bizpilot.ml.text.topics import embed_texts

            vectors = embed_texts(texts, model.embedder_)
            peer = KMeans(n_clusters=model.n_topics_, n_init=4, random_state=seed).fit_predict(vectors)
            result["baseline_embedding_nmi"] = round(float(normalized_mutual_info_score(labels, peer)), 4)
    return result


def read_topic_file(path: Path, *, text_col: str | None, label_col: str | None) -> tuple[list[str], list[str]]:
    """(texts, labels) of a labelled CSV/TSV file; bad rows are errors naming the line and column."""
    texts, labels, _ = read_labelled(path, text_col, label_col)
    return texts, labels


__all__ = ["baseline_labels", "evaluate_topics", "read_topic_file", "stratified_sample"]
