"""The team's approved copy as examples: approved generations of the same kind and language, ranked by character
n-gram TF-IDF cosine similarity of their facts to the facts at hand (works for Chinese and English alike, no
tokeniser needed), injected into the prompt as few-shot examples."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.ops import GeneratedContent
from bizpilot.services.content.facts import FactBundle

CANDIDATES = 500
NGRAMS = (2, 3, 4)


def _grams(text: str) -> Counter[str]:
    text = " ".join(text.lower().split())
    return Counter(text[i:i + n] for n in NGRAMS for i in range(max(0, len(text) - n + 1)))


def _tfidf(docs: list[Counter[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    out = []
    for d in docs:
        vec = {g: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[g])) + 1) for g, c in d.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out.append({g: v / norm for g, v in vec.items()})
    return out


def example_text(row: GeneratedContent) -> str:
    """What the team approved: their edit when it passed the fact check, the generated text otherwise."""
    edited_ok = bool(row.edited_output) and (row.check_result or {}).get("edited", {}).get("clean", False)
    return row.edited_output if edited_ok and row.edited_output else row.output


def similar_approved(*, session: Session, kind: str, language: str, bundle: FactBundle, k: int = 2,
                     min_score: float = 0.05) -> list[dict[str, Any]]:
    """Up to ``k`` approved examples most similar to ``bundle`` as {id, score, text}, best first."""
    rows = session.scalars(select(GeneratedContent)
                           .where(GeneratedContent.kind == kind, GeneratedContent.language == language,
                                  GeneratedContent.status == "approved")
                           .order_by(GeneratedContent.id.desc()).limit(CANDIDATES)).all()
    if not rows:
        return []
    query = bundle.signature()
    docs = [_grams(query)] + [_grams(FactBundle.from_dict(r.facts or {}).signature()) for r in rows]
    vecs = _tfidf(docs)
    q = vecs[0]
    scored = []
    for row, vec in zip(rows, vecs[1:], strict=True):
        score = sum(w * vec.get(g, 0.0) for g, w in q.items())
        if score >= min_score:
            scored.append({"id": row.id, "score": round(score, 4), "text": example_text(row)})
    scored.sort(key=lambda e: (-e["score"], -e["id"]))
    return scored[:k]


__all__ = ["example_text", "similar_approved"]
