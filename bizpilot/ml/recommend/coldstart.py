"""Cold start: new products and sparse accounts through product text and attributes, blended with the collaborative
signal (transfer learning: pre-trained multilingual sentence embeddings, multilingual-e5-small, through the one
embedding service ``bizpilot.retrieval.get_embedder``, product texts embedded as passages).

``HybridRecommender`` learns an item-item collaborative model (EASE on catalogues up to ``max_items``, sparse
item-KNN beyond) and embeds every catalogue product's text ("name. category. attributes. description"), also
products nobody has bought yet. A user's score is

    (1 - a_u) * cf_u / max|cf_u|  +  a_u * (cos(profile_u, item) - mean_u) / spread_u,
    a_u = content_weight + (1 - content_weight) * shrink / (shrink + n_u)

so an account with few purchases leans on text similarity to what it bought, and a product without history can
still be recommended (and has similar products) through its text. When the text model cannot load, the model
falls back to hashed character n-grams (``text_fallback=True``) and says so: ``text_embedder_`` names the
embedder actually used, ``text_fallback_reason_`` why it is not ``text_model`` (``None`` when it is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from scipy import sparse

from bizpilot.ml.recommend.base import Recommender, _as_id_array
from bizpilot.ml.recommend.implicit import EASERecommender, ItemKNNRecommender

if TYPE_CHECKING:
    from bizpilot.retrieval.embedders import Embedder

NO_TEXT = "(no description)"


def embed_texts(texts: Sequence[str], model: str = "e5", *, fallback: bool = False) -> np.ndarray:
    """L2-normalised float32 passage embeddings of product texts (blank texts read as ``(no description)``) by
    the named embedder of the service (``e5``: multilingual-e5-small; ``hash``: hashed character n-grams). A model
    that cannot load raises ``ConfigError`` unless ``fallback=True`` (then see ``get_embedder``)."""
    from bizpilot.retrieval.embedders import get_embedder  # lazily: the retrieval package imports sklearn, jieba

    return _embed_with(get_embedder(model, fallback=fallback), texts)


def _embed_with(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    texts = [t if t and t.strip() else NO_TEXT for t in texts]
    return np.asarray(embedder.run(texts, is_query=False), dtype=np.float32)


def product_text(name: str | None, category: str | None = None, attributes: Mapping[str, Any] | None = None,
                 description: str | None = None) -> str:
    """The text a product is embedded by."""
    attrs = "; ".join(f"{k}: {v}" for k, v in (attributes or {}).items() if v not in (None, ""))
    first = (description or "").split(". ")[0][:160]  # the first sentence says what it is; the rest costs time
    return ". ".join(p for p in (name, category, attrs, first) if p)


class HybridRecommender(Recommender):
    """Collaborative item-item model blended with product-text similarity (see module docstring)."""

    def __init__(self, *, reg: float = 500.0, content_weight: float = 0.15, shrink: float = 5.0,
                 text_model: str = "e5", max_items: int = 5000, text_fallback: bool = True) -> None:
        self.reg = reg
        self.content_weight = content_weight
        self.shrink = shrink
        self.text_model = text_model
        self.max_items = max_items
        self.text_fallback = text_fallback

    def fit(self, users: Any, items: Any, values: Any = None, *, catalogue: Mapping[Any, str] | None = None,
            embedder: Embedder | Callable[[list[str]], np.ndarray] | None = None) -> Self:
        """``catalogue`` maps every product id (bought or not) to its text; products only in the catalogue become
        recommendable through their text. ``embedder`` replaces ``get_embedder(text_model)``: an embedder (its
        ``name`` and ``fallback_reason`` are recorded) or a function from texts to vectors."""
        self._catalogue = dict(catalogue or {})
        self._embedder = embedder
        return super().fit(users, items, values)

    def _fit(self, matrix: sparse.csr_matrix) -> None:
        catalogue = getattr(self, "_catalogue", {})
        known = {str(k) for k in self.item_ids_.tolist()}
        extra = list(dict.fromkeys(k for k in catalogue if str(k) not in known))
        if extra:
            more = _as_id_array(extra)
            if more.dtype.kind != self.item_ids_.dtype.kind:  # 7 and "A7" in one catalogue: keep all as text
                self.item_ids_, more = self.item_ids_.astype(str), more.astype(str)
            self.item_ids_ = np.concatenate([self.item_ids_, more])
            matrix = sparse.csr_matrix((matrix.data, matrix.indices, matrix.indptr),
                                       shape=(matrix.shape[0], self.item_ids_.size))
            self.user_items_ = matrix
            self.item_popularity_ = np.concatenate([self.item_popularity_, np.zeros(len(extra))])
            self._reset_lookup()
        n_items = self.item_ids_.size
        cf: Recommender = (EASERecommender(reg=self.reg, max_items=self.max_items) if n_items <= self.max_items
                           else ItemKNNRecommender())
        cf._fit(matrix)
        self.cf_weights_ = (cf.weights_ if isinstance(cf, EASERecommender) else cf.similarity_.T.tocsr())
        text_lookup = {str(k): v for k, v in catalogue.items()}
        texts = [text_lookup.get(str(k), str(k)) for k in self.item_ids_.tolist()]
        self._embed_catalogue(texts, getattr(self, "_embedder", None))
        self.has_text_ = np.array([str(k) in text_lookup for k in self.item_ids_.tolist()])
        self.cold_items_ = np.asarray(matrix.getnnz(axis=0) == 0)
        self._catalogue, self._embedder = {}, None

    def _embed_catalogue(self, texts: list[str], supplied: Embedder | Callable[[list[str]], np.ndarray] | None
                         ) -> None:
        """``content_`` plus which embedder made it and, for a fallback, why (shown with the model run)."""
        if supplied is None or hasattr(supplied, "run"):
            from bizpilot.retrieval.embedders import get_embedder

            embedder = supplied or get_embedder(self.text_model, fallback=self.text_fallback)
            self.content_ = _embed_with(embedder, texts)
            self.text_embedder_ = str(embedder.name)
            self.text_fallback_reason_ = getattr(embedder, "fallback_reason", None)
        else:
            self.content_ = np.asarray(supplied(texts), dtype=np.float32)
            self.text_embedder_ = str(getattr(supplied, "name", "custom function"))
            self.text_fallback_reason_ = getattr(supplied, "fallback_reason", None)

    def _blend(self, rows: sparse.csr_matrix) -> np.ndarray:
        # In the weights' own dtype: a float64 row times float32 EASE weights would copy the whole item x item
        # matrix to float64 on every call (0.3 s for 4,000 products instead of 20 ms).
        binary = rows.astype(self.cf_weights_.dtype, copy=True)
        binary.data[:] = 1.0
        cf = binary @ self.cf_weights_
        cf = cf.toarray() if sparse.issparse(cf) else np.asarray(cf, dtype=np.float64)
        n_u = np.asarray(binary.sum(axis=1)).ravel()
        profile = np.asarray(binary @ self.content_, dtype=np.float64)
        profile /= np.maximum(np.linalg.norm(profile, axis=1, keepdims=True), 1e-12)
        content = profile @ self.content_.T.astype(np.float64)
        content = (content - content.mean(axis=1, keepdims=True)) / np.maximum(content.std(axis=1, keepdims=True),
                                                                                 1e-9)
        cf = cf / np.maximum(np.abs(cf).max(axis=1, keepdims=True), 1e-12)
        a = self.content_weight + (1.0 - self.content_weight) * self.shrink / (self.shrink + n_u)
        return (1.0 - a)[:, None] * cf + a[:, None] * content / 3.0

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self._blend(self.user_items_[users])

    def _score_history(self, rows: sparse.csr_matrix) -> np.ndarray:
        return self._blend(rows)

    def _item_vectors(self) -> np.ndarray | sparse.csr_matrix:
        """Text embedding next to the (normalised) column of buyers: items without history are compared by text
        alone, items with history by co-purchase and text. Sparse, since the buyers' part is mostly zeros (dense,
        a 4,000-product catalogue with 4,000 buyers would be a 150 MB matrix)."""
        if self.item_ids_.size > self.max_items:
            return self.content_.astype(np.float64)
        buyers = self.user_items_.T.tocsr().astype(np.float64)
        buyers.data[:] = 1.0
        norms = np.sqrt(np.asarray(buyers.sum(axis=1)).ravel())
        cf = sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ buyers
        return sparse.hstack([cf, sparse.csr_matrix(self.content_.astype(np.float64))]).tocsr()


__all__ = ["NO_TEXT", "HybridRecommender", "embed_texts", "product_text"]
