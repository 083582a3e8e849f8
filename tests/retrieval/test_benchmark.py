"""The ATEC and Amazon QA readers (line-numbered errors) and the gold-rank runner."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bizpilot.errors import ValidationFailed
from bizpilot.ml.evaluation import retrieval_rank_metrics
from bizpilot.retrieval import BM25Index, HybridRetriever
from bizpilot.retrieval.benchmark import pool_chunks, rank_gold, read_task

ATEC = ("1\t怎么更改花呗手机号码\t我的花呗是以前的手机号码，怎么更改成现在的手机号\t1\n"
        "2\t借呗怎么还款\t花呗怎么付款\t0\n"
        "3\t借呗还款方式\t借呗怎么提前还款\t1\n"
        "4\t怎么更改花呗手机号码\t花呗绑定手机号修改\t1\n")


def test_atec_reader_pools_distinct_q2(tmp_path: Path) -> None:
    path = tmp_path / "atec.csv"
    path.write_text(ATEC, encoding="utf-8")
    task = read_task(path, "atec")
    assert len(task.pool) == 4 and len(task.queries) == 3
    assert task.also_relevant[0] == {task.gold[2]}  # the other right q2 of the same q1 is not counted against
    retriever = HybridRetriever(bm25=BM25Index()).fit(pool_chunks(task))
    ranks = rank_gold(task, retriever)
    assert ranks[0] == 1 and all(r >= 1 for r in ranks)
    m = retrieval_rank_metrics(ranks)
    assert m["recall@5"] == 1.0 and 0 < m["mrr"] <= 1


def test_amazon_reader_accepts_python_literals_and_restricts_to_product(tmp_path: Path) -> None:
    rows = [{"asin": "A", "question": "Does it fit a Badger 1?", "answer": "Yes it fits the Badger 1."},
            {"asin": "A", "question": "How loud is it?", "answer": "Quiet, about 50 dB."},
            {"asin": "B", "question": "Is it quiet?", "answer": "Very quiet."}]
    path = tmp_path / "qa.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(repr(rows[0]) + "\n" + json.dumps(rows[1]) + "\n\n" + repr(rows[2]) + "\n")
    task = read_task(path, "amazon-qa")
    assert len(task.pool) == 3 and task.candidates[2].tolist() == [2]
    ranks = rank_gold(task, HybridRetriever(bm25=BM25Index()).fit(pool_chunks(task)))
    assert ranks[0] == 1 and ranks[2] == 1


@pytest.mark.parametrize(("fmt", "text", "message"), [
    ("atec", "1\tq1\tq2\n", "line 1: expected 4 tab-separated columns"),
    ("atec", "1\tq1\tq2\t1\n2\ta\tb\tmaybe\n", "line 2: column 4 \\(label\\) must be 0 or 1"),
    ("atec", "1\tq1\tq2\t0\n", "no pair is labelled 1"),
    ("amazon-qa", '{"asin": "A", "question": "q?", "answer": "a"}\n{"asin": "A", "question": ""}\n',
     "line 2: missing or empty field 'question'"),
    ("amazon-qa", "not json at all\n", "line 1: not a JSON object"),
])
def test_readers_name_the_bad_line(tmp_path: Path, fmt: str, text: str, message: str) -> None:
    path = tmp_path / "data.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed, match=message):
        read_task(path, fmt)
    with pytest.raises(ValidationFailed, match="file not found"):
        read_task(tmp_path / "missing.tsv", fmt)
