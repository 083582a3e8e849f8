"""Attribute-to-copy generation for Chinese product copy (AdvertiseGen style), CPU only, no neural model.

`ExampleCopywriter` learns from (attributes, copy) examples and composes new copy from clauses of the copy written
for similar items:

1. Retrieval: the training items nearest the input by IDF-weighted Jaccard over (key, value) pairs. An item with
   exactly the same attributes is a known product: its copy is returned as it is.
2. Adaptation: in the neighbours' clauses, values of keys the input also has are rewritten to the input's values
   (a neighbour's 白色 becomes the input's 红色); clauses that would still state a rival value of an exclusive key
   (a contradiction), a value of an exclusive key the input does not state (an unsupported claim such as a colour
   nobody gave), or a dataset placeholder (<UNK>, BRAND) are dropped.
3. Composition by minimum Bayes risk: the neighbours' adapted copies stand in for the unknown reference, weighted by
   similarity**power. Clauses are added greedily while they raise the expected character BLEU-4 against them,
   then a local search (remove, move, add a clause) maximises expected BLEU + ``rouge_weight`` x expected ROUGE-L
   (jieba tokens); clauses keep the order they tend to have in their source copy (openings first).

`TemplateCopywriter` realises the attributes alone with fixed phrases: the fallback without training data.
Everything is deterministic: no sampling, ties broken by training order. All three are `Estimator`s: one
pickle-free, version-stamped ``.npz`` through ``save``/``load``.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from bizpilot.errors import ValidationFailed
from bizpilot.ml.base import Estimator
from bizpilot.ml.text.attributes import Attribute, ValueLexicon, parse_attributes
from bizpilot.ml.text.composer import Composer

CLAUSE_PUNCT = "，。！？；、,!?;…~"
_CLAUSE_RE = re.compile(f"[^{CLAUSE_PUNCT}]*[{CLAUSE_PUNCT}]+|[^{CLAUSE_PUNCT}]+$")
_TRAILING_PUNCT = re.compile(f"[{CLAUSE_PUNCT}]+$")
PLACEHOLDERS = ("<unk>", "brand")


def split_clauses(text: str) -> list[str]:
    """Clauses with their closing punctuation attached: "简约的外套，白色百搭。" -> ["简约的外套，", "白色百搭。"]."""
    return [c for c in _CLAUSE_RE.findall(text) if c.strip()]


def finish(text: str) -> str:
    """End the copy with one full stop instead of whatever clause punctuation it ended on."""
    text = text.strip()
    return _TRAILING_PUNCT.sub("", text) + "。" if text else text


def _as_attributes(attributes: str | Sequence[Attribute]) -> list[Attribute]:
    if isinstance(attributes, str):
        return parse_attributes(attributes)
    try:
        return [(str(k), str(v)) for k, v in attributes]
    except (TypeError, ValueError):
        raise ValidationFailed("attributes must be a 'key#value*key#value' string or (key, value) pairs, got "
                               f"{attributes!r}") from None


# ---------------------------------------------------------------------------------------------------------------
# Template fallback
# ---------------------------------------------------------------------------------------------------------------

_TYPE_NOUN = {"裙": "裙子", "裤": "裤子", "上衣": "上衣"}
_HEAD_KEYS = ("衣样式", "裙长", "裤长", "裤型", "裙型")  # a more specific noun than 类型, when the value is one
_PHRASES: tuple[tuple[str, str], ...] = (  # key suffix -> phrase; "{v}" is the value(s)
    ("材质", "选用{v}面料，质感舒适"), ("颜色", "{v}的配色干净耐看"), ("版型", "{v}的版型穿着利落"),
    ("图案", "{v}的元素增添看点"), ("领型", "{v}设计修饰颈部线条"), ("袖型", "{v}的袖型别致有型"),
    ("袖长", "{v}的设计恰到好处"), ("腰型", "{v}设计拉长身材比例"), ("下摆", "{v}的下摆灵动飘逸"),
    ("门襟", "{v}的门襟细节精致"), ("衣长", "{v}的长度刚刚好"), ("裤口", "{v}的裤口设计"),
    ("款式", "{v}的细节设计别出心裁"), ("型", "{v}的廓形"), ("长", "{v}的长度"),
)


class TemplateCopywriter(Estimator):
    """Copy from the attributes alone: an opening naming the item, one phrase per attribute key, a closing line.
    Mentions every input value and nothing else, so it cannot contradict the input."""

    def __init__(self, closing: str = "彰显时尚品味") -> None:
        self.closing = closing

    def fit(self, pairs: Iterable[tuple[Any, str]] | None = None) -> TemplateCopywriter:
        """Nothing to learn; accepts (and ignores) training pairs so both copywriters share one interface."""
        self.fitted_ = True
        return self

    @property
    def is_fitted(self) -> bool:
        """Always: there is nothing to learn, so it generates (and saves) before ``fit`` too."""
        return True

    def phrases(self, attributes: str | Sequence[Attribute]) -> list[str]:
        """The opening (naming the item), one phrase per remaining key, the closing; without punctuation."""
        attrs = _as_attributes(attributes)
        by_key: dict[str, list[str]] = defaultdict(list)
        for k, v in attrs:
            if v not in by_key[k]:
                by_key[k].append(v)
        noun = _TYPE_NOUN.get(by_key["类型"][0], by_key["类型"][0]) if by_key.get("类型") else "单品"
        head_key = next((k for k in _HEAD_KEYS if by_key.get(k)), None)
        if head_key:
            noun = by_key[head_key][0]
        styles = "、".join(by_key.get("风格", []))
        opening = f"这款{styles + '风格的' if styles else ''}{noun}"
        parts = [opening]
        for key, values in by_key.items():
            if key in ("类型", "风格") or (key == head_key and len(values) == 1):
                continue
            vals = "、".join(values if key != head_key else values[1:])
            phrase = next((p for suffix, p in _PHRASES if key.endswith(suffix)), "{v}的设计")
            parts.append(phrase.format(v=vals))
        parts.append(self.closing)
        return parts

    def generate(self, attributes: str | Sequence[Attribute]) -> str:
        return "，".join(self.phrases(attributes)) + "。"


class ExampleCopywriter(Estimator):
    """Copy from attributes, learned from (attributes, copy) examples; see the module docstring for the method.

    Hyperparameters: ``n_neighbors`` items whose clauses are candidates; ``n_pseudo_refs`` items whose copy stands
    in for the reference, weighted by similarity ** ``similarity_power``; ``rouge_weight`` of expected ROUGE-L in
    the local search (0 turns the ROUGE-L term off); ``n_additions`` clauses the local search may add;
    ``max_clauses``/``max_rounds`` bound the greedy and local searches; ``adapt_values`` rewrites neighbours' values
    to the input's; ``avoid_unsupported`` drops clauses stating values of exclusive keys the input lacks;
    ``drop_placeholders`` drops clauses with dataset placeholders; ``reuse_exact`` returns a known item's copy.
    """

    def __init__(self, n_neighbors: int = 60, n_pseudo_refs: int = 80, similarity_power: float = 1.0,
                 rouge_weight: float = 1.0, n_additions: int = 10, max_clauses: int = 20, max_rounds: int = 8,
                 adapt_values: bool = True, avoid_unsupported: bool = True, drop_placeholders: bool = True,
                 reuse_exact: bool = True) -> None:
        self.n_neighbors = n_neighbors
        self.n_pseudo_refs = n_pseudo_refs
        self.similarity_power = similarity_power
        self.rouge_weight = rouge_weight
        self.n_additions = n_additions
        self.max_clauses = max_clauses
        self.max_rounds = max_rounds
        self.adapt_values = adapt_values
        self.avoid_unsupported = avoid_unsupported
        self.drop_placeholders = drop_placeholders
        self.reuse_exact = reuse_exact

    # -- learning ---------------------------------------------------------------------------------------------

    def fit(self, pairs: Iterable[tuple[str | Sequence[Attribute], str]]) -> ExampleCopywriter:
        """Learn from (attributes, copy) pairs; attributes as "k#v*k#v" or a list of (key, value)."""
        examples: list[tuple[list[Attribute], str]] = []
        for i, (attributes, text) in enumerate(pairs, start=1):
            try:
                attrs = _as_attributes(attributes)
            except ValidationFailed as exc:
                raise ValidationFailed(f"training pair {i}: {exc.message}",
                                       details=[{"row": i, "field": "attributes", "reason": exc.message}]) from None
            if not isinstance(text, str):
                raise ValidationFailed(f"training pair {i}: copy must be a string, got {type(text).__name__}",
                                       details=[{"row": i, "field": "copy", "reason": "not a string"}])
            if attrs and text.strip():
                examples.append((attrs, text.strip()))
        self.examples_ = examples
        self._index()
        return self

    def _index(self) -> None:
        """Derived state, rebuilt from ``examples_`` (so a model file needs only the examples)."""
        n = len(self.examples_)
        self.lexicon_ = ValueLexicon().fit(a for a, _ in self.examples_)
        df: Counter[Attribute] = Counter(p for a, _ in self.examples_ for p in set(a))
        self.idf_ = {p: math.log((n + 1) / (c + 1)) + 1.0 for p, c in df.items()}
        self._unseen_idf = math.log(n + 1) + 1.0
        postings: dict[Attribute, list[int]] = defaultdict(list)
        self._set_weight = np.zeros(n)
        self._exact: dict[frozenset[Attribute], int] = {}
        for i, (attrs, _) in enumerate(self.examples_):
            pairs = set(attrs)
            for p in pairs:
                postings[p].append(i)
            self._set_weight[i] = sum(self.idf_[p] for p in pairs)
            self._exact.setdefault(frozenset(pairs), i)
        self._postings = {p: np.asarray(ix, dtype=np.int64) for p, ix in postings.items()}
        self.clauses_ = [split_clauses(text) for _, text in self.examples_]

    def similarities(self, attributes: Sequence[Attribute]) -> np.ndarray:
        """IDF-weighted Jaccard similarity of ``attributes`` to every training item."""
        pairs = set(attributes)
        inter = np.zeros(len(self.examples_))
        for p in pairs:
            if p in self._postings:
                inter[self._postings[p]] += self.idf_[p]
        q_weight = sum(self.idf_.get(p, self._unseen_idf) for p in pairs)
        return inter / np.maximum(q_weight + self._set_weight - inter, 1e-12)

    # -- generation -------------------------------------------------------------------------------------------

    @staticmethod
    def _value_map(query: Sequence[Attribute], example: Sequence[Attribute]) -> dict[str, str]:
        """Neighbour value -> input value, for keys both have: unmatched values pair up in order; a neighbour's
        extra value with no unmatched partner becomes the input's first value of that key."""
        q_by: dict[str, list[str]] = defaultdict(list)
        e_by: dict[str, list[str]] = defaultdict(list)
        for k, v in query:
            q_by[k].append(v)
        for k, v in example:
            e_by[k].append(v)
        mapping: dict[str, str] = {}
        for key, q_vals in q_by.items():
            extra_e = [v for v in e_by.get(key, []) if v not in q_vals and len(v) >= 2]
            extra_q = [v for v in q_vals if v not in e_by.get(key, [])]
            targets = extra_q or [q_vals[0]] * len(extra_e)
            for src, dst in zip(extra_e, targets, strict=False):
                mapping.setdefault(src.lower(), dst)
        return mapping

    @staticmethod
    def _adapt(text: str, mapping: dict[str, str]) -> str:
        if not mapping:
            return text
        pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=lambda k: (-len(k), k))),
                             re.IGNORECASE)
        text = pattern.sub(lambda m: mapping[m.group(0).lower()], text)
        for value in set(mapping.values()):  # "卡通印花" -> "印花印花" -> "印花"
            doubled = value + value
            while doubled in text:
                text = text.replace(doubled, value)
        return text

    def generate(self, attributes: str | Sequence[Attribute]) -> str:
        """Copy for one item; the template fallback where nothing was learned or nothing similar is known."""
        query = _as_attributes(attributes)
        if not getattr(self, "examples_", None) or not query:
            return TemplateCopywriter().generate(query)
        if self.reuse_exact and (hit := self._exact.get(frozenset(query))) is not None:
            return self.examples_[hit][1]
        sims = self.similarities(query)
        order = [int(i) for i in np.argsort(-sims, kind="stable")[: max(self.n_neighbors, self.n_pseudo_refs)]
                 if sims[i] > 0]
        if not order:
            return TemplateCopywriter().generate(query)
        from bizpilot.ml.text.attributes import CopyChecker

        checker = CopyChecker(query, self.lexicon_)
        mappings = {i: self._value_map(query, self.examples_[i][0]) if self.adapt_values else {} for i in order}
        cands: list[str] = []
        positions: list[float] = []
        seen: set[str] = set()
        for i in order[: self.n_neighbors]:
            clauses = self.clauses_[i]
            for pos, clause in enumerate(clauses):
                adapted = self._adapt(clause, mappings[i])
                if adapted in seen:
                    continue
                seen.add(adapted)
                lowered = adapted.lower()
                if self.drop_placeholders and any(p in lowered for p in PLACEHOLDERS):
                    continue
                if self.avoid_unsupported and not checker.clean(adapted):
                    continue
                if not self.avoid_unsupported and checker.check(adapted).contradictions:
                    continue
                cands.append(adapted)
                positions.append(pos / (len(clauses) - 1) if len(clauses) > 1 else 0.0)
        if not cands:
            return TemplateCopywriter().generate(query)
        ref_ids = order[: self.n_pseudo_refs]
        refs = [self._adapt(self.examples_[i][1], mappings[i]) for i in ref_ids]
        weights = sims[ref_ids] ** self.similarity_power
        weights = weights / weights.sum()
        composer = Composer(cands, positions, refs, weights, self.rouge_weight)
        chosen, expected = composer.greedy(self.max_clauses)
        if not chosen:
            return TemplateCopywriter().generate(query)
        chosen.sort(key=lambda c: (positions[c], c))
        if self.max_rounds > 0:
            pool = [int(c) for c in np.argsort(-expected, kind="stable")[: self.n_additions]
                    if np.isfinite(expected[c])]
            chosen = composer.local_search(chosen, pool, self.max_rounds)
        return finish("".join(cands[c] for c in chosen))

    # -- model file -------------------------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Only the examples, as (key, value) pairs: the lexicon, IDF and index are rebuilt from them on load,
        so the file stays small and cannot disagree with them."""
        return {"examples_": [[[list(p) for p in attrs], text] for attrs, text in self.examples_]}, {}

    def _set_state(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.examples_ = [([(str(k), str(v)) for k, v in attrs], str(text)) for attrs, text in meta["examples_"]]
        self._index()


class NearestCopywriter(ExampleCopywriter):
    """Baseline: the copy of the most similar training item (same retrieval as `ExampleCopywriter`), as it is;
    saved and loaded like it (the file names this class)."""

    def generate(self, attributes: str | Sequence[Attribute]) -> str:
        query = _as_attributes(attributes)
        if not getattr(self, "examples_", None) or not query:
            return TemplateCopywriter().generate(query)
        sims = self.similarities(query)
        best = int(np.argmax(sims))  # first of the ties
        return self.examples_[best][1] if sims[best] > 0 else TemplateCopywriter().generate(query)
