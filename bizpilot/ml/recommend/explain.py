"""Reasons for recommendations, short and checkable, in English and Chinese.

Each reason is a dict ``{"kind", "text", "params"}`` built from facts the model and the history hold:

* ``reorder``: "You buy X every ~30 days, last 34 days ago" (from `replenishment.purchase_cycles`);
* ``peers``: "Accounts like yours in <industry> buy X" (share of same-industry accounts that bought it);
* ``bought_with``: "Often bought with Y, which you buy" (the account's item most similar to X in the model);
* ``similar_text``: "Similar to Y, which you buy" (new product, matched by its description);
* ``popular``: "Popular with accounts like yours" (the fallback for accounts the model does not know).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import sparse

from bizpilot.ml.recommend.base import Recommender

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "reorder": "You buy {product} every ~{cycle} days, last {since} days ago",
        "peers": "{share}% of accounts like yours in {industry} buy {product}",
        "bought_with": "Often bought with {anchor}, which you buy",
        "similar_text": "New product similar to {anchor}, which you buy",
        "popular": "Popular with accounts across the catalogue",
    },
    "zh": {
        "reorder": "您大约每 {cycle} 天购买一次{product}，上次购买在 {since} 天前",
        "peers": "{industry}行业中 {share}% 与您相似的客户购买了{product}",
        "bought_with": "常与您购买的{anchor}一起购买",
        "similar_text": "新品，与您购买的{anchor}相似",
        "popular": "在所有客户中很受欢迎",
    },
}


def render(kind: str, params: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    table = TEMPLATES.get(lang, TEMPLATES["en"])
    return {"kind": kind, "text": table[kind].format(**params), "params": dict(params)}


def explain(model: Recommender, *, user_id: Any, item_ids: list[Any], history: list[Any] | None = None,
            peers: list[Any] | None = None, industry: str | None = None, names: Mapping[Any, str] | None = None,
            cold_items: set[Any] | None = None, lang: str = "en", min_peer_share: float = 0.15,
            min_peers: int = 3) -> list[dict[str, Any]]:
    """One reason per recommended item, the most specific that the facts support."""
    names = names or {}
    label = lambda x: names.get(x, str(x))  # noqa: E731
    hist_idx = model.item_index(history or [])
    hist_idx = hist_idx[hist_idx >= 0]
    rec_idx = model.item_index(item_ids)
    share = np.zeros(len(item_ids))
    peer_idx = model.user_index(peers or [])
    peer_idx = peer_idx[peer_idx >= 0]
    if peer_idx.size >= min_peers:
        bought = model.user_items_[peer_idx].copy()
        bought.data[:] = 1.0
        counts = np.asarray(bought.sum(axis=0)).ravel()
        share = np.where(rec_idx >= 0, counts[np.clip(rec_idx, 0, None)] / peer_idx.size, 0.0)
    anchors = np.full(len(item_ids), -1)
    if hist_idx.size:
        vec = model._item_vectors_normalised()
        sims = vec[np.clip(rec_idx, 0, None)] @ vec[hist_idx].T
        sims = sims.toarray() if sparse.issparse(sims) else np.asarray(sims)
        best = sims.argmax(axis=1)
        anchors = np.where((rec_idx >= 0) & (sims.max(axis=1) > 0), hist_idx[best], -1)
    reasons = []
    for pos, item in enumerate(item_ids):
        if industry and share[pos] >= min_peer_share:
            reasons.append(render("peers", {"share": int(round(100 * share[pos])), "industry": industry,
                                            "product": label(item)}, lang))
        elif anchors[pos] >= 0:
            anchor = model.item_ids_[anchors[pos]].item()
            kind = "similar_text" if cold_items and item in cold_items else "bought_with"
            reasons.append(render(kind, {"anchor": label(anchor), "product": label(item)}, lang))
        else:
            reasons.append(render("popular", {"product": label(item)}, lang))
    return reasons


def reorder_reason(product: str, cycle_days: float, days_since: float, lang: str = "en") -> dict[str, Any]:
    return render("reorder", {"product": product, "cycle": int(round(cycle_days)), "since": int(round(days_since))},
                  lang)


__all__ = ["TEMPLATES", "explain", "render", "reorder_reason"]
