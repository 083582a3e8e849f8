"""`bizpilot eval retrieval` scores the retrieval the assistant runs: queries are expanded with the built-in variant
table by default (``query_expansion`` in the result), ``--no-expansion`` scores without it, and
``--compare-expansion`` ranks every query both ways on the same index."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bizpilot.cli.main import app

runner = CliRunner()
# Questions written in other words than their match: 怎么付款 / 支付方式, 包邮 / 免运费 (one variant group each).
ATEC = ("1\t怎么付款\t支付方式有哪些\t1\n2\t包邮吗\t免运费的条件是什么\t1\n3\t怎么还款\t付款失败了吗\t0\n"
        "4\t借呗\t包裹什么时候到\t0\n")


def _run(atec: Path, *flags: str) -> dict:
    res = runner.invoke(app, ["eval", "retrieval", "--data", str(atec), "--format", "atec", "--mode", "bm25",
                              "--json", *flags])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip())


def test_eval_retrieval_expands_queries_as_the_assistant_does(tmp_path: Path) -> None:
    atec = tmp_path / "atec.csv"
    atec.write_text(ATEC, encoding="utf-8")
    both = _run(atec, "--compare-expansion")  # on by default, and the same ranking without it
    assert (both["query_expansion"], both["expanded_queries"], both["recall@1"]) == (True, 2, 1.0)
    off = _run(atec, "--no-expansion")
    assert (off["query_expansion"], off["expanded_queries"], off["recall@1"], off["recall@5"]) == (False, 0, 0.0, 0.5)
    assert "without_expansion" not in off
    assert both["without_expansion"] == {k: off[k] for k in ("recall@1", "recall@5", "recall@10", "mrr")}
    bad = runner.invoke(app, ["eval", "retrieval", "--data", str(atec), "--format", "atec", "--no-expansion",
                              "--compare-expansion", "--json"])
    assert bad.exit_code == 2 and "--compare-expansion" in bad.output
