"""Evaluation metrics as plain functions, one section per task family.

Every function takes predictions and references and returns numbers; none of them reads files or prints. The CLI
(`bizpilot eval <task>`) and the benchmarks in `bench/` compose them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from bizpilot.errors import InvalidParameter, ValidationFailed

# ---------------------------------------------------------------------------------------------------------------
# Text generation (Chinese): the definitions of the ChatGLM-6B P-Tuning example's `compute_metrics`
# ---------------------------------------------------------------------------------------------------------------
#
#   hypothesis = list(jieba.cut(pred)); reference = list(jieba.cut(label))
#   hypothesis = ' '.join(hypothesis); if not hypothesis: hypothesis = "-"
#   scores = Rouge().get_scores(hypothesis, ' '.join(reference))[0]          # rouge_chinese, F1 x 100
#   bleu = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)  # x 100
#   every score rounded to 4 decimals per sample, then averaged over samples.
#
# jieba, nltk and rouge_chinese are imported lazily: importing this module stays cheap for the other sections.

_JIEBA_READY = False


def _jieba() -> Any:
    """jieba, with its start-up chatter kept off stdout/stderr noise (it logs 'Building prefix dict...')."""
    global _JIEBA_READY
    import jieba

    if not _JIEBA_READY:
        jieba.setLogLevel(logging.WARNING)
        _JIEBA_READY = True
    return jieba


def bleu4_char(hypothesis: str, reference: str) -> float:
    """Character-level sentence BLEU-4 (nltk, smoothing method 3) x 100, rounded to 4 decimals as ChatGLM does."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    score = sentence_bleu([list(reference)], list(hypothesis), smoothing_function=SmoothingFunction().method3)
    return round(float(score) * 100, 4)


def rouge_zh(hypothesis: str, reference: str) -> dict[str, float]:
    """ROUGE-1/2/L F1 x 100 (rouge_chinese) over jieba tokens joined by spaces; an empty hypothesis is scored as
    "-" (as the ChatGLM example does) instead of raising. Keys: rouge1, rouge2, rougeL."""
    from rouge_chinese import Rouge

    jieba = _jieba()
    hyp = " ".join(jieba.cut(hypothesis))
    ref = " ".join(jieba.cut(reference))
    if not hyp:
        hyp = "-"
    if not ref.strip():  # rouge_chinese raises on an empty reference; nothing can be matched, so score 0
        return {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    if not hyp.strip():  # whitespace-only output: rouge_chinese's sentence split leaves nothing to score
        hyp = "-"
    result = Rouge().get_scores(hyp, ref)[0]
    return {
        "rouge1": round(result["rouge-1"]["f"] * 100, 4),
        "rouge2": round(result["rouge-2"]["f"] * 100, 4),
        "rougeL": round(result["rouge-l"]["f"] * 100, 4),
    }


def corpus_text_metrics(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean per-sample bleu4/rouge1/rouge2/rougeL (x 100) over aligned hypotheses and references, plus ``n``."""
    if len(hypotheses) != len(references):
        raise ValidationFailed(f"{len(hypotheses)} hypotheses but {len(references)} references")
    scores: dict[str, list[float]] = {"bleu4": [], "rouge1": [], "rouge2": [], "rougeL": []}
    for hyp, ref in zip(hypotheses, references, strict=True):
        scores["bleu4"].append(bleu4_char(hyp, ref))
        for key, value in rouge_zh(hyp, ref).items():
            scores[key].append(value)
    out: dict[str, float] = {k: (float(np.mean(v)) if v else 0.0) for k, v in scores.items()}
    out["n"] = len(hypotheses)
    return out


def copy_check_metrics(outputs: Sequence[str], attributes: Sequence[Sequence[tuple[str, str]]],
                       lexicon: Any) -> dict[str, float]:
    """Faithfulness of generated copy to its input attributes (see `bizpilot.ml.text.attributes.check_copy`):
    ``attribute_coverage`` (mean share of input values mentioned), ``contradiction_rate`` (share of outputs stating
    a value that contradicts the input), ``unsupported_rate`` (share stating a value of an exclusive key the input
    does not have)."""
    from bizpilot.ml.text.attributes import check_copy

    if len(outputs) != len(attributes):
        raise ValidationFailed(f"{len(outputs)} outputs but {len(attributes)} attribute lists")
    results = [check_copy(text, attrs, lexicon) for text, attrs in zip(outputs, attributes, strict=True)]
    if not results:
        return {"attribute_coverage": 0.0, "contradiction_rate": 0.0, "unsupported_rate": 0.0}
    return {
        "attribute_coverage": float(np.mean([r.coverage for r in results])),
        "contradiction_rate": float(np.mean([bool(r.contradictions) for r in results])),
        "unsupported_rate": float(np.mean([bool(r.unsupported) for r in results])),
    }


# ---------------------------------------------------------------------------------------------------------------
# Retrieval ranking (issue 6): recall@k and mean reciprocal rank from the 1-based rank of the right item
# ---------------------------------------------------------------------------------------------------------------
#
# A rank of 0 (or anything < 1) means "not retrieved at all": it counts as a miss for every k and adds 0 to MRR.


def retrieval_rank_metrics(ranks: Sequence[int], ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """``recall@k`` for each k and ``mrr`` over queries, from the rank of each query's relevant item."""
    r = np.asarray(list(ranks), dtype=float)
    if r.size == 0:
        return {**{f"recall@{k}": 0.0 for k in ks}, "mrr": 0.0}
    found = r >= 1
    out = {f"recall@{k}": float(np.mean(found & (r <= k))) for k in ks}
    out["mrr"] = float(np.mean(np.where(found, 1.0 / np.where(found, r, 1.0), 0.0)))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Classification scores and demand forecasts (customer intelligence: churn, win probability, forecasts)
# ---------------------------------------------------------------------------------------------------------------
#
# auc: ROC AUC (rank statistic, ties count one half); pr_auc: average precision; brier: mean squared error of the
# probabilities; lift_at_k: positive rate among the top k (fraction) of scores / overall positive rate.
# mase: per series, MAE of the forecast over the holdout divided by the in-sample MAE of the one-step naive
# forecast (|y_t - y_{t-1}| over the training part), then the mean over series (series with a zero scale are
# skipped and counted); wape: sum |error| / sum |actual| over all series and steps.


def _binary(y_true: Sequence[float] | np.ndarray, y_score: Sequence[float] | np.ndarray) -> tuple[np.ndarray,
                                                                                                  np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(y_score, dtype=float)
    if y.shape != s.shape:
        raise ValidationFailed(f"{y.size} labels but {s.size} scores")
    bad = np.flatnonzero(~np.isin(y, (0.0, 1.0)))
    if bad.size:
        raise ValidationFailed(f"labels must be 0/1; row {int(bad[0]) + 1} is {y.flat[bad[0]]:g}",
                               details=[{"row": int(bad[0]) + 1, "field": "y_true", "reason": "not 0/1"}])
    return y, s


def auc(y_true: Sequence[float] | np.ndarray, y_score: Sequence[float] | np.ndarray) -> float:
    """ROC AUC; NaN when only one class is present."""
    from scipy.stats import rankdata

    y, s = _binary(y_true, y_score)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pr_auc(y_true: Sequence[float] | np.ndarray, y_score: Sequence[float] | np.ndarray) -> float:
    """Average precision (the step-wise area under the precision-recall curve); NaN without positives."""
    y, s = _binary(y_true, y_score)
    if y.sum() == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    y_sorted, s_sorted = y[order], s[order]
    # Evaluate at distinct thresholds only, so tied scores count together.
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
    tp = np.cumsum(y_sorted)[last]
    precision = tp / (last + 1)
    recall = tp / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(y_true: Sequence[float] | np.ndarray, y_prob: Sequence[float] | np.ndarray) -> float:
    y, p = _binary(y_true, y_prob)
    return float(np.mean((p - y) ** 2))


def lift_at_k(y_true: Sequence[float] | np.ndarray, y_score: Sequence[float] | np.ndarray, k: float = 0.1) -> float:
    """Positive rate among the top ``k`` share of scores over the overall positive rate."""
    y, s = _binary(y_true, y_score)
    if not 0 < k <= 1:
        raise InvalidParameter(f"k must be a share in (0, 1], got {k!r}")
    if y.sum() == 0:
        return float("nan")
    n = max(1, int(round(k * len(y))))
    top = np.argsort(-s, kind="mergesort")[:n]
    return float(y[top].mean() / y.mean())


def classification_report(y_true: Sequence[float] | np.ndarray, y_prob: Sequence[float] | np.ndarray
                          ) -> dict[str, float]:
    """auc, pr_auc, brier, lift@10 and the base rate in one dict."""
    y, p = _binary(y_true, y_prob)
    return {"auc": auc(y, p), "pr_auc": pr_auc(y, p), "brier": brier(y, p), "lift@10": lift_at_k(y, p, 0.1),
            "positive_rate": float(y.mean()) if len(y) else float("nan")}


def naive_scale(train: np.ndarray) -> np.ndarray:
    """Per series (rows), the in-sample MAE of the one-step naive forecast."""
    train = np.atleast_2d(np.asarray(train, dtype=float))
    if train.shape[1] < 2:
        return np.full(train.shape[0], np.nan)
    return np.mean(np.abs(np.diff(train, axis=1)), axis=1)


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    """Mean over series of MAE(holdout) / naive_scale(train); series with a zero scale are skipped."""
    actual = np.atleast_2d(np.asarray(actual, dtype=float))
    forecast = np.atleast_2d(np.asarray(forecast, dtype=float))
    if actual.shape != forecast.shape:
        raise ValidationFailed(f"actual {actual.shape} vs forecast {forecast.shape}: shapes must match")
    scale = naive_scale(train)
    ok = np.isfinite(scale) & (scale > 0)
    if not ok.any():
        return float("nan")
    return float(np.mean(np.mean(np.abs(actual - forecast), axis=1)[ok] / scale[ok]))


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    denom = np.abs(actual).sum()
    return float(np.abs(actual - forecast).sum() / denom) if denom > 0 else float("nan")


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper]."""
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= np.asarray(lower)) & (actual <= np.asarray(upper))))


# ---------------------------------------------------------------------------------------------------------------
# Recommendation: rating error and top-k ranking quality (vectorised over users)
# ---------------------------------------------------------------------------------------------------------------
#
# Ranking metrics follow the Microsoft Recommenders definitions with binary relevance: an item is relevant when it
# is in the user's test set (any rating value). precision@k = hits / k; recall@k = hits / |relevant|; nDCG@k =
# sum(hit_j / log2(j + 2)) / sum_{j < min(|relevant|, k)} 1 / log2(j + 2); MAP@k = sum_j hit_j * precision@j /
# min(|relevant|, k); hit rate@k = any hit. Averages run over users with at least one relevant item.


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error."""
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.sqrt(np.mean(diff ** 2))) if diff.size else float("nan")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    diff = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.mean(np.abs(diff))) if diff.size else float("nan")


def hit_matrix(recommended: np.ndarray, rel_rows: np.ndarray, rel_items: np.ndarray) -> np.ndarray:
    """Boolean (n_users, k): is recommended[u, j] among the relevant (row u, item) pairs? Items are raw ids (any
    hashable dtype, ``None`` for padding); rows index ``recommended``."""
    recommended = np.asarray(recommended)
    n_users, k = recommended.shape
    flat = recommended.ravel()
    pad = np.array([x is None for x in flat]) if flat.dtype == object else np.zeros(flat.size, dtype=bool)
    rel_items = np.asarray(rel_items)
    keys = np.concatenate([np.where(pad, "", flat).astype(str), rel_items.astype(str)])
    _, codes = np.unique(keys, return_inverse=True)
    rec_codes = codes[:flat.size].reshape(n_users, k)
    n_codes = int(codes.max()) + 1 if codes.size else 1
    rel_keys = np.asarray(rel_rows, dtype=np.int64) * n_codes + codes[flat.size:]
    rec_keys = np.arange(n_users, dtype=np.int64)[:, None] * n_codes + rec_codes
    hits = np.isin(rec_keys, rel_keys)
    hits[pad.reshape(n_users, k)] = False
    return hits


def ranking_metrics(recommended: np.ndarray, rel_rows: np.ndarray, rel_items: np.ndarray, k: int = 10
                    ) -> dict[str, float]:
    """precision/recall/ndcg/map/hit_rate @k averaged over users (rows of ``recommended``) with relevant items."""
    recommended = np.asarray(recommended)[:, :k]
    n_users = recommended.shape[0]
    hits = hit_matrix(recommended, rel_rows, rel_items).astype(np.float64)
    n_rel = np.bincount(np.asarray(rel_rows, dtype=np.int64), minlength=n_users)[:n_users].astype(np.float64)
    users = n_rel > 0
    if not users.any():
        return {f"{m}@{k}": 0.0 for m in ("precision", "recall", "ndcg", "map", "hit_rate")} | {"n_users": 0}
    hits, n_rel = hits[users], n_rel[users]
    width = hits.shape[1]
    discounts = 1.0 / np.log2(np.arange(width) + 2.0)
    n_hits = hits.sum(axis=1)
    dcg = hits @ discounts
    ideal_len = np.minimum(n_rel, k).astype(np.int64)
    idcg = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(k) + 2.0))])[ideal_len]
    prec_at_j = np.cumsum(hits, axis=1) / np.arange(1, width + 1)
    ap = (prec_at_j * hits).sum(axis=1) / np.minimum(n_rel, k)
    return {
        f"precision@{k}": float(np.mean(n_hits / k)),
        f"recall@{k}": float(np.mean(n_hits / n_rel)),
        f"ndcg@{k}": float(np.mean(dcg / idcg)),
        f"map@{k}": float(np.mean(ap)),
        f"hit_rate@{k}": float(np.mean(n_hits > 0)),
        "n_users": int(users.sum()),
    }


def catalogue_coverage(recommended: np.ndarray, n_catalogue: int) -> float:
    """Share of the catalogue that appears in at least one user's list (padding ignored)."""
    flat = np.asarray(recommended).ravel()
    flat = flat[np.array([x is not None for x in flat])] if flat.dtype == object else flat
    return float(np.unique(flat.astype(str)).size / n_catalogue) if n_catalogue else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Label classification (issue 6: intent, sentiment): accuracy and macro F1 over string labels
# ---------------------------------------------------------------------------------------------------------------
#
# macro_f1: the unweighted mean over the labels present in y_true or y_pred of per-label F1 (a label never
# predicted and never true is not counted; a label with no true positives scores 0), as scikit-learn's
# f1_score(average="macro") computes it.


def label_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """accuracy, macro_f1, n and the per-label F1 of string labels."""
    if len(y_true) != len(y_pred):
        raise ValidationFailed(f"{len(y_true)} references but {len(y_pred)} predictions")
    if not y_true:
        return {"accuracy": 0.0, "macro_f1": 0.0, "n": 0, "per_label_f1": {}}
    true, pred = np.asarray([str(v) for v in y_true]), np.asarray([str(v) for v in y_pred])
    per_label: dict[str, float] = {}
    for label in sorted(set(true) | set(pred)):
        tp = float(np.sum((true == label) & (pred == label)))
        fp = float(np.sum((true != label) & (pred == label)))
        fn = float(np.sum((true == label) & (pred != label)))
        per_label[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"accuracy": float(np.mean(true == pred)), "macro_f1": float(np.mean(list(per_label.values()))),
            "n": int(true.size), "per_label_f1": per_label}


def oos_metrics(y_true: Sequence[str], y_pred: Sequence[str], *, oos_label: str) -> dict[str, Any]:
    """Out-of-scope detection beside intent accuracy: ``in_scope_accuracy`` (rows whose true label is an intent),
    ``oos_recall`` (out-of-scope rows predicted out of scope) and ``oos_precision`` (rows predicted out of scope
    that are); None where a denominator is empty."""
    true, pred = np.asarray([str(v) for v in y_true]), np.asarray([str(v) for v in y_pred])
    in_scope, said_oos = true != oos_label, pred == oos_label

    def share(hits: np.ndarray, mask: np.ndarray) -> float | None:
        return float(np.mean(hits[mask])) if mask.any() else None

    return {"in_scope_accuracy": share(true == pred, in_scope), "oos_recall": share(said_oos, ~in_scope),
            "oos_precision": share(~in_scope, said_oos), "n_oos": int((~in_scope).sum())}
