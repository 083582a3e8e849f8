"""Minimum-Bayes-risk composition of copy from candidate clauses (used by `ExampleCopywriter`).

Candidate clauses are scored against pseudo-references (the copy of similar items, weighted by similarity) with
the metrics the task is judged by: expected character BLEU-4 (nltk method 3, vectorised over n-gram match counts)
plus ``rouge_weight`` x expected ROUGE-L over jieba tokens (bit-parallel LCS). A greedy pass adds clauses while the
expectation rises; a local search then removes, moves and adds clauses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

# ---------------------------------------------------------------------------------------------------------------
# Scoring helpers: expected BLEU (character n-grams) and ROUGE-L (jieba tokens) against pseudo-references
# ---------------------------------------------------------------------------------------------------------------


def _lcs_masks(tokens: Sequence[str]) -> dict[str, int]:
    masks: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    return masks


def _bleu_from_matches(matches: np.ndarray, hyp_len: np.ndarray, ref_len: np.ndarray) -> np.ndarray:
    """nltk sentence BLEU-4 with smoothing method 3, vectorised: ``matches`` (..., 4) clipped n-gram matches,
    ``hyp_len`` broadcastable to (...), ``ref_len`` likewise."""
    denom = np.maximum(1.0, hyp_len[..., None] - np.arange(4))
    zero = matches <= 0
    k = np.cumsum(zero, axis=-1)
    p = np.where(zero, 1.0 / (2.0 ** k * denom), matches / np.maximum(denom, 1e-9))
    log_bp = np.where(hyp_len > ref_len, 0.0, 1.0 - ref_len / np.maximum(hyp_len, 1e-9))
    score = np.exp(0.25 * np.log(p).sum(axis=-1) + log_bp)
    return np.where(matches[..., 0] <= 0, 0.0, score)


def _tokenize(text: str) -> list[str]:
    from bizpilot.ml.evaluation import _jieba

    return [t for t in _jieba().cut(text) if t.strip()]


class Composer:
    """One generation's search state: candidate clauses, pseudo-references and their weights."""

    def __init__(self, cands: list[str], positions: list[float], refs: list[str], weights: np.ndarray,
                 rouge_weight: float) -> None:
        self.cands, self.positions, self.w, self.rouge_weight = cands, positions, weights, rouge_weight
        vocab: dict[str, int] = {}
        occ_c: list[int] = []
        occ_g: list[int] = []
        occ_d: list[int] = []
        g_order: list[int] = []
        for ci, clause in enumerate(cands):
            for n in range(1, 5):
                for gram, d in Counter(clause[i:i + n] for i in range(len(clause) - n + 1)).items():
                    gid = vocab.get(gram)
                    if gid is None:
                        gid = vocab[gram] = len(vocab)
                        g_order.append(n - 1)
                    occ_c.append(ci)
                    occ_g.append(gid)
                    occ_d.append(d)
        self.occ_c = np.asarray(occ_c, dtype=np.int64)
        self.occ_g = np.asarray(occ_g, dtype=np.int64)
        self.occ_d = np.asarray(occ_d, dtype=np.float32)
        self.g_order = np.asarray(g_order, dtype=np.int64)
        seg = self.occ_c * 4 + self.g_order[self.occ_g]  # occurrences are sorted by (clause, order)
        n_seg = len(cands) * 4
        self.seg_start = np.searchsorted(seg, np.arange(n_seg), side="left")
        self.seg_end = np.searchsorted(seg, np.arange(n_seg), side="right")
        self.clause_start = np.searchsorted(self.occ_c, np.arange(len(cands)), side="left")
        self.clause_end = np.searchsorted(self.occ_c, np.arange(len(cands)), side="right")
        self.R = np.zeros((len(refs), len(vocab)), dtype=np.float32)
        for j, ref in enumerate(refs):
            for n in range(1, 5):
                for i in range(len(ref) - n + 1):
                    gid = vocab.get(ref[i:i + n])
                    if gid is not None:
                        self.R[j, gid] += 1
        self.ref_len = np.asarray([len(r) for r in refs], dtype=np.float64)
        self.clause_len = np.asarray([len(c) for c in cands], dtype=np.float64)
        self.ref_tokens = [_tokenize(r) for r in refs] if rouge_weight > 0 else []
        self.ref_masks = [_lcs_masks(t) for t in self.ref_tokens]
        self._masks: dict[int, list[tuple[int, ...]]] = {}
        self._n_tokens: dict[int, int] = {}
        self._bleu_cache: dict[frozenset[int], float] = {}
        self._score_cache: dict[tuple[int, ...], float] = {}

    def greedy(self, max_clauses: int) -> tuple[list[int], np.ndarray]:
        """Add the clause that most raises expected BLEU until none does; returns the choice (in order of choice)
        and the expected BLEU each remaining clause would reach if added last (for the local search's pool)."""
        n_refs, n_c = self.R.shape[0], len(self.cands)
        rg = self.R[:, self.occ_g]
        counts = np.zeros(self.R.shape[1], dtype=np.float32)
        matches = np.zeros((n_refs, 4))
        hyp_len, current = 0.0, 0.0
        chosen: list[int] = []
        expected = np.full(n_c, -np.inf)
        for _ in range(max_clauses):
            have = counts[self.occ_g]
            gain = np.minimum(have + self.occ_d, rg) - np.minimum(have, rg)
            cum = np.concatenate([np.zeros((n_refs, 1), np.float32), np.cumsum(gain, axis=1)], axis=1)
            seg_gain = (cum[:, self.seg_end] - cum[:, self.seg_start]).astype(np.float64).reshape(n_refs, n_c, 4)
            new_matches = matches[:, None, :] + seg_gain
            lengths = hyp_len + self.clause_len
            bleu = _bleu_from_matches(new_matches, lengths[None, :], self.ref_len[:, None])
            expected = self.w @ bleu
            expected[chosen] = -np.inf
            best = int(np.argmax(expected))
            if expected[best] <= current + 1e-12:
                break
            current = float(expected[best])
            chosen.append(best)
            sl = slice(self.clause_start[best], self.clause_end[best])
            np.add.at(counts, self.occ_g[sl], self.occ_d[sl])
            matches, hyp_len = new_matches[:, best, :], float(lengths[best])
        return chosen, expected

    def _bleu(self, chosen: Sequence[int]) -> float:
        key = frozenset(chosen)
        if key not in self._bleu_cache:
            idx = np.concatenate([np.arange(self.clause_start[c], self.clause_end[c]) for c in chosen])
            uniq, inv = np.unique(self.occ_g[idx], return_inverse=True)
            have = np.bincount(inv, weights=self.occ_d[idx])
            clipped = np.minimum(have[None, :], self.R[:, uniq])
            onehot = np.eye(4)[self.g_order[uniq]]
            hyp_len = np.full(len(self.ref_len), float(self.clause_len[list(chosen)].sum()))
            self._bleu_cache[key] = float(self.w @ _bleu_from_matches(clipped @ onehot, hyp_len, self.ref_len))
        return self._bleu_cache[key]

    def _clause_masks(self, c: int) -> list[tuple[int, ...]]:
        """Per reference: the LCS match masks of clause ``c``'s tokens, tokens absent from it left out (they
        cannot change the LCS state, so skipping them is exact and saves most of the work)."""
        if c not in self._masks:
            tokens = _tokenize(self.cands[c])
            self._n_tokens[c] = len(tokens)
            self._masks[c] = [tuple(x for t in tokens if (x := masks.get(t))) for masks in self.ref_masks]
        return self._masks[c]

    def _rouge_l(self, chosen: Sequence[int]) -> float:
        per_clause = [self._clause_masks(c) for c in chosen]
        n_tokens = sum(self._n_tokens[c] for c in chosen)
        if not n_tokens:
            return 0.0
        total = 0.0
        for j, (w, ref) in enumerate(zip(self.w, self.ref_tokens, strict=True)):
            m = len(ref)
            if not m:
                continue
            full = v = (1 << m) - 1
            for masks in per_clause:
                for x in masks[j]:
                    u = v & x
                    v = ((v + u) | (v - u)) & full
            total += w * 2.0 * (m - v.bit_count()) / (n_tokens + m)
        return total

    def score(self, chosen: Sequence[int]) -> float:
        key = tuple(chosen)
        if key not in self._score_cache:
            value = -1.0
            if chosen:
                value = self._bleu(chosen)
                if self.rouge_weight > 0:
                    value += self.rouge_weight * self._rouge_l(chosen)
            self._score_cache[key] = value
        return self._score_cache[key]

    def local_search(self, chosen: list[int], pool: Sequence[int], max_rounds: int) -> list[int]:
        """Best-improvement search over removing, moving and adding one clause, scored on expected BLEU +
        rouge_weight x expected ROUGE-L of the sequence."""
        best, best_score = list(chosen), self.score(chosen)
        for _ in range(max_rounds):
            moves: list[list[int]] = []
            for i in range(len(best)):
                rest = best[:i] + best[i + 1:]
                moves.append(rest)
                moves.extend(rest[:j] + [best[i]] + rest[j:] for j in range(len(rest) + 1) if j != i)
            for c in pool:
                if c not in best:
                    moves.extend(best[:j] + [c] + best[j:] for j in range(len(best) + 1))
            scored = [(self.score(m), k) for k, m in enumerate(moves)]
            if not scored:
                break
            top_score, k = max(scored, key=lambda s: (s[0], -s[1]))
            if top_score <= best_score + 1e-12:
                break
            best, best_score = moves[k], top_score
        return best
