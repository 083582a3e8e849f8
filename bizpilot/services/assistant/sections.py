"""Which article a shared section belongs to.

Knowledge bases repeat sections: every product guide of the demo has "Standards and certifications" with the same
sentence about certificates, so "Do you have certificates for the hard hats?" retrieves that section of whichever
guides the embedding happens to like best (fasteners, hand tools), while the words that say *which* product
("hard hats") live in another section of the right guide. When the best hit's section heading is shared by several
articles, the section cannot decide; the article as a whole can: among the articles that have that section, the
one whose full text covers most of the question's terms comes first (ties keep the retriever's order).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from bizpilot.retrieval.types import Chunk, Hit
from bizpilot.services.assistant.compose import coverage

#: A heading found in at least this many articles (in the top hit's language) is boilerplate, not a topic.
SHARED_SECTION_MIN = 3


def prefer_matching_article(query: str, hits: list[Hit], chunks: list[Chunk] | None, expander: Any) -> list[Hit]:
    """``hits`` with the shared section of the article that matches ``query`` best moved to the top (taken from
    the index when the retriever did not return it; it carries the replaced hit's fused score and cosine: the
    section's text is the same boilerplate). Unchanged when the top section is not shared or no article wins."""
    if not hits or not chunks:
        return hits
    top = hits[0].chunk
    if not top.heading_path:
        return hits
    same = [c for c in chunks if c.heading_path == top.heading_path and c.language == top.language]
    if len({c.source for c in same}) < SHARED_SECTION_MIN:
        return hits
    texts: dict[str, list[str]] = defaultdict(list)
    for c in chunks:
        texts[c.source].append(c.index_text())
    scores = {src: coverage(query, "\n".join(texts[src]), expander) for src in {c.source for c in same}}
    best = max(scores.values())
    if scores.get(top.source, 0.0) >= best:
        return hits
    order = {h.chunk.source: i for i, h in enumerate(hits)}
    winner = min((c for c in same if scores[c.source] == best), key=lambda c: order.get(c.source, len(hits)))
    found = [h for h in hits if h.chunk.source == winner.source and h.chunk.heading_path == top.heading_path]
    lead = found[0] if found else replace(hits[0], chunk=winner, bm25=0.0, bm25_rank=None, vector_rank=None)
    if not found:
        lead = replace(lead, score=hits[0].score, cosine=hits[0].cosine)
    rest = [h for h in hits if h is not lead][: max(len(hits) - 1, 0)]
    return [replace(h, rank=i) for i, h in enumerate([lead, *rest], start=1)]


__all__ = ["SHARED_SECTION_MIN", "prefer_matching_article"]
