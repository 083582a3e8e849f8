"""Public retrieval benchmarks as ranking tasks: ATEC question matching (zh) and Amazon product QA (en).

Readers name the file and line of anything they cannot use. The runner ranks each query's relevant text with a
:class:`HybridRetriever` and reports recall@k and MRR (``bizpilot.ml.evaluation.retrieval_rank_metrics``).
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bizpilot.errors import ValidationFailed
from bizpilot.retrieval.hybrid import HybridRetriever
from bizpilot.retrieval.types import Chunk

FORMATS = ("atec", "amazon-qa")


@dataclass
class RankingTask:
    """Queries, the pool of texts they search, each query's relevant pool position, and optional restrictions."""

    name: str
    queries: list[str]
    pool: list[str]
    gold: list[int]
    candidates: list[np.ndarray] | None = None  # per query: the pool positions it may rank (None: all)
    also_relevant: list[set[int]] = field(default_factory=list)  # other right answers, not counted against


def _bad(path: Path, line: int, message: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: line {line}: {message}",
                            details=[{"row": line, "field": "data", "reason": message}])


def _open_text(path: Path):  # noqa: ANN202
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return path.open(encoding="utf-8-sig", newline="")


def read_atec(path: Path) -> RankingTask:
    """``id<TAB>q1<TAB>q2<TAB>label`` (no header; a header line is skipped): positives rank q2 among all q2."""
    pairs: list[tuple[str, str, int]] = []
    with _open_text(path) as fh:
        for line_no, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 4:
                raise _bad(path, line_no, f"expected 4 tab-separated columns (id, q1, q2, label), got {len(row)}")
            label = row[3].strip()
            if label not in ("0", "1"):
                if line_no == 1:
                    continue  # a header line
                raise _bad(path, line_no, f"column 4 (label) must be 0 or 1, got {label!r}")
            pairs.append((row[1].strip(), row[2].strip(), int(label)))
    if not pairs:
        raise ValidationFailed(f"{path}: no question pairs found")
    pool = list(dict.fromkeys(q2 for _, q2, _ in pairs))
    where = {q: i for i, q in enumerate(pool)}
    positives: dict[str, set[int]] = {}
    for q1, q2, label in pairs:
        if label == 1:
            positives.setdefault(q1, set()).add(where[q2])
    queries, gold, also = [], [], []
    for q1, q2, label in pairs:
        if label == 1:
            queries.append(q1)
            gold.append(where[q2])
            also.append(positives[q1] - {where[q2]})
    if not queries:
        raise ValidationFailed(f"{path}: no pair is labelled 1, so there is nothing to retrieve")
    return RankingTask("atec", queries, pool, gold, None, also)


def _amazon_records(path: Path) -> Iterator[tuple[int, dict]]:
    with _open_text(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                try:  # the original distribution has one Python-literal dict per line
                    rec = ast.literal_eval(line)
                except (ValueError, SyntaxError):
                    raise _bad(path, line_no, "not a JSON object (nor a Python dict literal)") from None
            if not isinstance(rec, dict):
                raise _bad(path, line_no, "expected an object with asin, question, answer")
            yield line_no, rec


def read_amazon_qa(path: Path) -> RankingTask:
    """JSON Lines (or the original ``.json.gz``) with ``asin``, ``question``, ``answer``: rank each question's
    answer among the distinct answers of the same product."""
    rows: list[tuple[str, str, str]] = []
    for line_no, rec in _amazon_records(path):
        for col in ("asin", "question", "answer"):
            if not isinstance(rec.get(col), str) or not rec[col].strip():
                raise _bad(path, line_no, f"missing or empty field {col!r}")
        rows.append((rec["asin"], rec["question"].strip(), rec["answer"].strip()))
    if not rows:
        raise ValidationFailed(f"{path}: no question/answer records found")
    pool: list[str] = []
    where: dict[tuple[str, str], int] = {}
    by_asin: dict[str, list[int]] = {}
    for asin, _, answer in rows:
        if (asin, answer) not in where:
            where[(asin, answer)] = len(pool)
            pool.append(answer)
            by_asin.setdefault(asin, []).append(where[(asin, answer)])
    cands = {a: np.array(ix, dtype=np.int64) for a, ix in by_asin.items()}
    return RankingTask("amazon-qa", [q for _, q, _ in rows], pool, [where[(a, ans)] for a, _, ans in rows],
                       [cands[a] for a, _, _ in rows], [set() for _ in rows])


def read_task(path: Path | str, fmt: str) -> RankingTask:
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"{path}: file not found", details=[{"row": 0, "field": "data", "reason": "not found"}])
    if fmt == "atec":
        return read_atec(path)
    if fmt == "amazon-qa":
        return read_amazon_qa(path)
    raise ValidationFailed(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def rank_gold(task: RankingTask, retriever: HybridRetriever, *, depth: int = 100,
              progress: Callable[[int, int], None] | None = None) -> list[int]:
    """1-based rank of each query's relevant text (0 when it is not in the top ``depth``), other right answers
    skipped. The retriever must already be fitted on ``task.pool`` (in order)."""
    ranks: list[int] = []
    for i, query in enumerate(task.queries):
        cands = task.candidates[i] if task.candidates is not None else None
        hits = retriever.run(query, k=depth, candidates=cands)
        skip = task.also_relevant[i] if task.also_relevant else set()
        rank = 0
        seen = 0
        for h in hits:
            if h.position == task.gold[i]:
                rank = seen + 1
                break
            if h.position not in skip:
                seen += 1
        ranks.append(rank)
        if progress and (i + 1) % 200 == 0:
            progress(i + 1, len(task.queries))
    return ranks


def pool_chunks(task: RankingTask) -> list[Chunk]:
    return [Chunk(text=t, source=f"{task.name}:{i}", position=i) for i, t in enumerate(task.pool)]
