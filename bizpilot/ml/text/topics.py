"""Topics over customer texts (reviews, tickets, chats, e-mails; zh and en): clusters with readable keyword labels,
their sizes and example quotes.

Features: a sentence embedding from the one embedding service (``e5`` when the texts are Chinese, ``minilm``
otherwise: :mod:`bizpilot.ml.text.embedding`) side by side with TF-IDF reduced by SVD (words from the project's
tokenizer, jieba for Chinese, plus character 1-2-grams for Chinese, where the words of one product category are
spelled with few characters), each block L2-normalised and weighted (``AUTO``: TF-IDF 0.2 with e5, 0.1 with
MiniLM, chosen on a 5,000-review sample of the Chinese review set and on the bitext support requests), the stack
normalised again. e5 vectors are centred and lose their top principal direction first (:func:`all_but_the_top`).
The embedding carries paraphrase, TF-IDF the category words a general model blurs.

Clustering (``refine="merge"``, :meth:`TopicModel._cluster`): k-means into ``2k`` clusters, their centres merged
into k by Ward linkage, k-means from the merged centres and spherical k-means to finish. Chosen on the bitext
requests (3 samples of 3,000, k = 11: NMI 0.808 -> 0.840) and one 5,000-review sample of the Chinese reviews
(k = 10: 0.593 -> 0.626); on four other Chinese samples NMI 0.594 -> 0.600 on average (+0.012, +0.017, -0.002,
-0.002) and ARI up on each; ``bench/topics.py`` has the table. ``refine="none"`` is k-means alone.

When ``n_topics`` is not given, k is the one with the best cosine silhouette among ``min_topics..max_topics`` on a
seeded sample of at most ``k_sample`` texts. Keywords are class-based TF-IDF (c-TF-IDF: a word's share of the
topic's words times ``log(1 + mean words per topic / the word's count overall)``) over words without stop words;
quotes are the texts nearest the topic's centre. ``labels_[i]`` is the topic of the i-th fitted text; topics are
numbered by size, largest first. The model describes the texts it was fitted on (the workspace refits it on
retraining); it does not place new texts.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bizpilot.errors import InsufficientData, InvalidParameter
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.embedding import EMBEDDERS, SERVICE_EMBEDDER, choose_embedder, cjk_share
from bizpilot.ml.text.features import word_tokens

#: Characters of a text embedded: the opening names what it is about; e5 costs grow with length.
EMBED_CHARS = 128
#: Below this many texts the embedding is only centred (see :func:`all_but_the_top`).
ABTT_MIN_TEXTS = 200
#: (TF-IDF weight, principal directions removed) per embedder when not given. e5's vectors are anisotropic (all
#: cosines high; the shared direction follows tone): removing it helped on Chinese reviews (NMI 0.55 -> 0.59);
#: MiniLM's are not, and removing it cost on English requests (bitext, k = 11: 0.865 kept vs 0.759 removed).
AUTO = {"e5": (0.2, 1), "minilm": (0.1, 0)}
#: How the k clusters are found (:meth:`TopicModel._cluster`): ``merge`` (over-cluster, merge by Ward, spherical
#: refinement) or ``none`` (k-means alone, the model before December 2026).
REFINE = ("merge", "none")
#: Texts per fine cluster below which ``merge`` falls back to k-means: the fine clusters of a handful of texts are
#: single texts, and merging them by Ward is guesswork.
MERGE_MIN_TEXTS = 10
_ZH_STOP = set("的 了 是 我 也 很 都 就 不 还 在 有 和 就是 没有 一个 这个 那个 什么 自己 我们 你们 他们 它 他 她 "
               "但是 但 而且 所以 因为 如果 还是 可以 已经 非常 比较 感觉 觉得 真的 这样 那么 这么 一下 一些 "
               "东西 时候 知道 现在 然后 不过 只是 还有 不是 没 太 又 再 才 被 把 给 让 对 说 会 能 要 到 去 "
               "来 上 下 里 吧 啊 呢 吗 哦 呀 嘛 哈 啦 个 着 过 与 及 或 等 之 其 于 从 向 为 以 用 而 "
               "这 那 些 么 得 地 挺 好像 一直 一样 一点 有点 不错 还行 一次 一般 可能 应该 需要 进行".split())
_WORD_OK = re.compile(r"^(?:[a-z][a-z0-9'’-]{2,}|[\u3400-\u9fff\uf900-\ufaff]{2,})$")


def keyword_tokens(text: str) -> list[str]:
    """Words that can name a topic: the project's tokenizer (jieba for Chinese), minus stop words, Chinese words
    of one character, English words under three letters, numbers and negation twins."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [w for w in word_tokens(text) if _WORD_OK.match(w) and w not in _ZH_STOP and w not in ENGLISH_STOP_WORDS]


class TopicModel(Estimator):
    """Clusters texts into topics with keyword labels, sizes and example quotes (see the module docstring)."""

    def __init__(self, n_topics: int | None = None, min_topics: int = 3, max_topics: int = 15,
                 embedder: str = "auto", tfidf_weight: float | None = None, remove_components: int | None = None,
                 svd_dim: int = 100, n_keywords: int = 10, n_quotes: int = 3, k_sample: int = 2000, n_init: int = 4,
                 refine: str = "merge", over: int = 2, random_state: int = 0) -> None:
        self.n_topics = n_topics
        self.min_topics = min_topics
        self.max_topics = max_topics
        self.embedder = embedder
        self.tfidf_weight = tfidf_weight
        self.remove_components = remove_components
        self.svd_dim = svd_dim
        self.n_keywords = n_keywords
        self.n_quotes = n_quotes
        self.k_sample = k_sample
        self.n_init = n_init
        self.refine = refine
        self.over = over
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None,
            on_progress: Callable[[int], None] | None = None) -> TopicModel:
        """Cluster ``texts``; ``embeddings`` (one L2-normalised row per text) skips the embedding service (tests,
        callers that hold vectors already)."""
        texts = [str(t or "") for t in texts]
        if self.n_topics is not None and self.n_topics < 1:
            raise InvalidParameter("n_topics must be at least 1",
                                   details=[{"field": "n_topics", "value": self.n_topics}])
        if len(texts) < max(2 * (self.n_topics or self.min_topics), 6):
            raise InsufficientData(f"{len(texts)} texts are too few to find topics")
        if self.tfidf_weight is not None and not 0.0 <= self.tfidf_weight <= 1.0:
            raise InvalidParameter("tfidf_weight must lie in [0, 1]", details=[{"field": "tfidf_weight"}])
        if self.refine not in REFINE or self.over < 1:
            raise InvalidParameter(f"refine must be one of {', '.join(REFINE)} and over at least 1",
                                   details=[{"field": "refine", "value": self.refine}])
        features = self._features(texts, embeddings, on_progress)
        k = int(self.n_topics) if self.n_topics else self._choose_k(features)
        k = min(k, len(texts))
        raw, centres = self._cluster(features, k)
        order = np.argsort(-np.bincount(raw, minlength=k), kind="stable")  # topic 0 = the largest
        rank = np.empty(k, dtype=np.int64)
        rank[order] = np.arange(k)
        self.labels_ = rank[raw]
        centres = centres[order]
        self.sizes_ = [int(s) for s in np.bincount(self.labels_, minlength=k)]
        self.n_topics_ = k
        self.keywords_ = topic_keywords([keyword_tokens(t) for t in texts], self.labels_, k, self.n_keywords)
        sims = features @ centres.T
        self.quote_index_ = [[int(i) for i in _nearest(sims[:, c], self.labels_ == c, self.n_quotes)]
                             for c in range(k)]
        # how typical each text is of its own topic: picks a week's quotes for a spike, a label's examples
        self.centrality_ = np.round(sims[np.arange(len(texts)), self.labels_], 4)
        return self

    def representatives(self, topic: int, among: Sequence[int] | None = None, n: int = 3) -> list[int]:
        """The ``n`` texts of ``topic`` nearest its centre, optionally only among the text indices ``among``."""
        self.check_fitted()
        mask = self.labels_ == topic
        if among is not None:
            chosen = np.zeros(len(mask), dtype=bool)
            chosen[np.asarray(list(among), dtype=np.int64)] = True
            mask &= chosen
        return [int(i) for i in _nearest(np.asarray(self.centrality_, dtype=np.float64), mask, n)]

    def fit_predict(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        return self.fit(texts, **kwargs).labels_

    def _features(self, texts: list[str], embeddings: np.ndarray | None,
                  on_progress: Callable[[int], None] | None) -> np.ndarray:
        from sklearn.preprocessing import normalize

        name = choose_embedder(texts) if self.embedder == "auto" else self.embedder
        # given vectors of a named embedder (a bench's cached vectors) get that embedder's settings; anonymous ones
        # (``embedder="auto"``) a neutral 0.2 and nothing removed
        named = embeddings is None or self.embedder != "auto"
        weight, remove = AUTO.get(name, AUTO["e5"]) if named else (0.2, 0)
        weight = weight if self.tfidf_weight is None else float(self.tfidf_weight)
        remove = remove if self.remove_components is None else int(self.remove_components)
        if embeddings is None and weight < 1.0:
            embeddings = embed_texts(texts, name, on_progress=on_progress)
        if named and weight < 1.0:  # the vectors used are this embedder's
            self.embedder_ = name
        blocks = []
        if weight > 0:
            blocks.append(math.sqrt(weight) * tfidf_svd(texts, self.svd_dim, self.random_state))
        if weight < 1.0 and embeddings is not None:
            vectors = np.asarray(embeddings, dtype=np.float64)
            # with few texts the top direction is as likely the topics themselves as a shared tone: keep it
            vectors = all_but_the_top(vectors, remove if len(vectors) >= ABTT_MIN_TEXTS else 0)
            blocks.append(math.sqrt(1.0 - weight) * normalize(vectors))
        self.tfidf_weight_, self.remove_components_ = weight, remove
        return normalize(np.hstack(blocks))

    def _cluster(self, features: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(labels, centres) of k clusters: k-means; with ``refine="merge"`` k-means into ``over * k`` clusters
        first, their centres merged into k by Ward linkage, k-means from the merged centres (size-weighted means) and
        spherical k-means (unit centres, cosine assignment) to finish; fewer than ``MERGE_MIN_TEXTS`` texts per
        fine cluster: k-means alone. Why: a category whose texts form several dense groups (e.g. praise and
        complaints about one product) can be kept whole by the merge where k-means alone splits it and joins two
        others; the features are unit vectors, so cosine is their natural similarity."""
        from sklearn.cluster import AgglomerativeClustering, KMeans
        from sklearn.exceptions import ConvergenceWarning

        fine = self.over * k
        if self.refine == "none" or fine <= k or len(features) < MERGE_MIN_TEXTS * fine:
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(features)
            return km.labels_, km.cluster_centers_
        with warnings.catch_warnings():  # duplicate texts: fewer distinct points than clusters
            warnings.simplefilter("ignore", ConvergenceWarning)
            km = KMeans(n_clusters=fine, n_init=self.n_init, random_state=self.random_state).fit(features)
        merged = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(km.cluster_centers_)
        sizes = np.bincount(km.labels_, minlength=fine).astype(np.float64) + 1e-9
        init = np.array([np.average(km.cluster_centers_[merged == c], axis=0, weights=sizes[merged == c])
                         for c in range(k)])
        km = KMeans(n_clusters=k, init=init, n_init=1, random_state=self.random_state).fit(features)
        return spherical_kmeans(features, km.labels_, k)

    def _choose_k(self, features: np.ndarray) -> int:
        """The k with the best cosine silhouette on a seeded sample (ties: the smaller k)."""
        from sklearn.cluster import KMeans
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.metrics import silhouette_score

        rng = np.random.default_rng(self.random_state)
        rows = features if len(features) <= self.k_sample else features[
            rng.choice(len(features), self.k_sample, replace=False)]
        best_k, best = self.min_topics, -2.0
        for k in range(max(2, self.min_topics), min(self.max_topics, len(rows) - 1) + 1):
            with warnings.catch_warnings():  # duplicate texts: fewer distinct clusters than k, scored as such
                warnings.simplefilter("ignore", ConvergenceWarning)
                labels = KMeans(n_clusters=k, n_init=2, random_state=self.random_state).fit_predict(rows)
            if len(set(labels)) < 2:
                continue
            score = float(silhouette_score(rows, labels, metric="cosine"))
            if score > best + 1e-9:
                best_k, best = k, score
        self.silhouette_ = round(best, 4)
        return best_k

    # -- reading -------------------------------------------------------------------------------------------------

    def topics(self, texts: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """One dict per topic: id, label (its first three keywords), keywords, size, share and, given the fitted
        texts, their quotes."""
        self.check_fitted()
        total = max(sum(self.sizes_), 1)
        out = []
        for c in range(self.n_topics_):
            words = list(self.keywords_[c])
            row: dict[str, Any] = {"topic": c, "label": " · ".join(words[:3]) or f"#{c + 1}", "keywords": words,
                                   "size": self.sizes_[c], "share": round(self.sizes_[c] / total, 4),
                                   "quote_index": list(self.quote_index_[c])}
            if texts is not None:
                row["quotes"] = [texts[i] for i in self.quote_index_[c]]
            out.append(row)
        return out


_LABEL_MAX_WORDS = 6
_LABEL_MAX_CHARS = 40


def _stem(word: str) -> str:
    """A crude English stem (plural, past, -ing), enough to match 'deliveries' with 'delivery' in the texts."""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + repl
    return word


def label_support(label: str, keywords: Sequence[str], texts: Sequence[str],
                  min_share: float = 0.05) -> tuple[bool, str]:
    """Whether a proposed topic ``label`` says only what the topic's ``keywords`` and ``texts`` say: every content
    word of the label is one of the keywords or appears in at least ``max(2, min_share * len(texts))`` of the
    texts, at least one is among the keywords (the label names this topic, not any topic), it has no digit the
    texts lack and it is short. Returns (supported, reason)."""
    label = (label or "").strip()
    if not label or len(label) > _LABEL_MAX_CHARS:
        return False, "empty" if not label else f"longer than {_LABEL_MAX_CHARS} characters"
    if "\n" in label:
        return False, "more than one line"
    words = keyword_tokens(label)
    if not words:
        return False, "no content word"
    if len(words) > _LABEL_MAX_WORDS:
        return False, f"more than {_LABEL_MAX_WORDS} words"
    lowered = [t.lower() for t in texts]
    for digits in re.findall(r"\d+", label):
        if not any(digits in t for t in lowered):
            return False, f"number {digits} is not in the texts"
    stems_kw = {_stem(k.lower()) for k in keywords}
    need = max(2, math.ceil(min_share * len(lowered)))
    for word in words:
        if _stem(word) in stems_kw:
            continue
        stem = _stem(word)
        seen = sum(1 for t in lowered if stem in t)
        if seen < need:
            return False, f"'{word}' is in {seen} of the topic's texts (needs {need})"
    if not any(_stem(w) in stems_kw for w in words):
        return False, "none of its words is a keyword of the topic"
    return True, "supported"


def spherical_kmeans(X: np.ndarray, labels: np.ndarray, k: int, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means from ``labels``: centres are the unit means of their rows, rows go to the centre of highest
    cosine; stops when nothing moves or a step would empty a cluster. Returns (labels, unit centres)."""
    from sklearn.preprocessing import normalize

    labels = np.asarray(labels, dtype=np.int64)

    def centres_of(lab: np.ndarray) -> np.ndarray:
        sums = np.zeros((k, X.shape[1]))
        np.add.at(sums, lab, X)
        return normalize(sums)

    centres = centres_of(labels)
    for _ in range(max_iter):
        new = np.argmax(X @ centres.T, axis=1)
        if np.array_equal(new, labels) or len(np.unique(new)) < len(np.unique(labels)):
            break
        labels, centres = new, centres_of(new)
    return labels, centres


def all_but_the_top(vectors: np.ndarray, n: int = 1) -> np.ndarray:
    """Vectors centred and without their top ``n`` principal directions (Mu & Viswanath, "All-but-the-top"): the
    raw sentence vectors share one large common direction (all cosines are high) that, in reviews, follows tone more
    than subject; removing it lets k-means see the subject. On 5,000 Chinese reviews (10 categories, k = 10) NMI went
    0.55 (raw) -> 0.59 with the TF-IDF block at weight 0.2."""
    centred = vectors - vectors.mean(axis=0)
    n = min(n, centred.shape[0] - 1, centred.shape[1])
    if n <= 0:
        return centred
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    top = vt[:n]
    return centred - (centred @ top.T) @ top


def embed_texts(texts: Sequence[str], embedder: str = "auto",
                on_progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Sentence vectors of the openings (``EMBED_CHARS``) of ``texts`` from the embedding service (cached in the
    workspace: a retraining embeds only new texts)."""
    name = choose_embedder(texts) if embedder == "auto" else embedder
    if name not in EMBEDDERS:
        raise InvalidParameter(f"unknown embedder {name!r}; one of auto, {', '.join(EMBEDDERS)}",
                               details=[{"field": "embedder", "value": embedder}])
    from bizpilot.retrieval.embedders import get_embedder

    service: Any = get_embedder(SERVICE_EMBEDDER[name])
    return service.run([(t or " ")[:EMBED_CHARS] for t in texts], is_query=True, on_progress=on_progress)


def tfidf_svd(texts: Sequence[str], dim: int = 100, random_state: int = 0) -> np.ndarray:
    """TF-IDF of words (jieba for Chinese; stop words out) plus, for Chinese, characters 1-2, reduced by SVD to
    ``dim`` and L2-normalised."""
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    min_df = 2 if len(texts) >= 50 else 1
    blocks = [TfidfVectorizer(tokenizer=keyword_tokens, token_pattern=None, lowercase=False, sublinear_tf=True,
                              min_df=min_df, max_df=0.5).fit_transform(texts)]
    if cjk_share(texts) >= 0.1:
        blocks.append(TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
                                      max_df=0.5).fit_transform(texts))
    X = sparse.hstack(blocks).tocsr()
    dim = max(1, min(dim, X.shape[1] - 1, X.shape[0] - 1))
    return normalize(TruncatedSVD(dim, random_state=random_state).fit_transform(X))


def topic_keywords(docs: Sequence[Sequence[str]], labels: np.ndarray, k: int, n: int = 10) -> list[list[str]]:
    """Top ``n`` words per topic by c-TF-IDF; words seen in a single text are skipped (names, typos)."""
    per_topic = [Counter() for _ in range(k)]
    doc_freq: Counter[str] = Counter()
    for words, c in zip(docs, labels, strict=True):
        per_topic[int(c)].update(words)
        doc_freq.update(set(words))
    overall: Counter[str] = Counter()
    for counts in per_topic:
        overall.update(counts)
    mean_words = sum(overall.values()) / max(k, 1)
    out = []
    for counts in per_topic:
        total = sum(counts.values()) or 1
        scored = [(cnt / total * math.log(1 + mean_words / overall[w]), w) for w, cnt in counts.items()
                  if doc_freq[w] >= 2]
        out.append([w for _, w in sorted(scored, key=lambda x: (-x[0], x[1]))[:n]])
    return out


def _nearest(similarity: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    idx = np.flatnonzero(mask)
    return idx[np.argsort(-similarity[idx], kind="stable")[:n]]


def npmi_coherence(topics: Sequence[Sequence[str]], docs: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Mean normalised PMI of word pairs among each topic's top ``top_n`` words, from co-occurrence in the same
    text over ``docs`` (-1..1; a pair never seen together counts -1)."""
    sets = [set(d) for d in docs]
    n_docs = max(len(sets), 1)
    vocab = {w for t in topics for w in t[:top_n]}
    index: dict[str, set[int]] = {w: set() for w in vocab}
    for i, words in enumerate(sets):
        for w in words & vocab:
            index[w].add(i)
    scores = []
    for topic in topics:
        words = [w for w in topic[:top_n] if index.get(w)]
        for a in range(len(words)):
            for b in range(a + 1, len(words)):
                both = len(index[words[a]] & index[words[b]])
                if both == 0:
                    scores.append(-1.0)
                    continue
                p_ab = both / n_docs
                if p_ab >= 1.0:
                    scores.append(1.0)
                    continue
                pmi = math.log(p_ab / ((len(index[words[a]]) / n_docs) * (len(index[words[b]]) / n_docs)))
                scores.append(pmi / -math.log(p_ab))
    return round(float(np.mean(scores)), 4) if scores else 0.0


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of unique words among all topics' top ``top_n`` words (1.0: no word shared between topics)."""
    words = [w for t in topics for w in t[:top_n]]
    return round(len(set(words)) / len(words), 4) if words else 0.0


__all__ = ["EMBED_CHARS", "REFINE", "TopicModel", "all_but_the_top", "embed_texts", "keyword_tokens", "label_support",
           "npmi_coherence", "spherical_kmeans", "tfidf_svd", "topic_diversity", "topic_keywords"]
