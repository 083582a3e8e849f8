"""Evaluation metrics as plain functions, one section per task family.

Every function takes predictions and references and returns numbers; none of them reads files or prints. The CLI
(`bizpilot eval <task>`) and the benchmarks in `bench/` compose them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

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
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
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
        raise ValueError(f"{len(outputs)} outputs but {len(attributes)} attribute lists")
    results = [check_copy(text, attrs, lexicon) for text, attrs in zip(outputs, attributes, strict=True)]
    if not results:
        return {"attribute_coverage": 0.0, "contradiction_rate": 0.0, "unsupported_rate": 0.0}
    return {
        "attribute_coverage": float(np.mean([r.coverage for r in results])),
        "contradiction_rate": float(np.mean([bool(r.contradictions) for r in results])),
        "unsupported_rate": float(np.mean([bool(r.unsupported) for r in results])),
    }
