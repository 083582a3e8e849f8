"""`bizpilot kb import/sync/search/stats`, `bizpilot ask` and `bizpilot eval retrieval` (one JSON object on stdout
with --json; bad input exits 2 naming the file and line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import reset_settings
from tests.retrieval.kb_sample import write_kb

runner = CliRunner()
ATEC = ("1\t怎么更改花呗手机号码\t花呗绑定的手机号码怎么更改\t1\n2\t借呗怎么还款\t花呗怎么付款\t0\n"
        "3\t借呗还款方式\t借呗怎么提前还款\t1\n")
QA = ('{"asin": "A", "question": "Does it fit a Badger 1?", "answer": "Yes it fits the Badger 1."}\n'
      '{"asin": "A", "question": "How loud is the motor?", "answer": "Quiet motor, about 50 dB."}\n')


def test_kb_import_search_and_ask(engine: Engine, tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb")
    res = runner.invoke(app, ["kb", "import", str(kb), "--embedder", "none", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"sources": ["faq.csv", "returns.md", "shipping.html", "付款.md"], "chunks": 10,
                                      "embedded": 0, "reused": 0, "removed": 0, "embedder": None}
    found = json.loads(runner.invoke(app, ["kb", "search", "restocking fee", "--embedder", "none", "--json"]).stdout)
    assert found["hits"][0]["heading_path"] == "Refunds"
    assert json.loads(runner.invoke(app, ["kb", "stats", "--json"]).stdout)["chunks"] == 10
    asked = runner.invoke(app, ["ask", "What is the restocking fee for returns?", "--embedder", "none", "--json"])
    assert asked.exit_code == 0, asked.output
    body = json.loads(asked.stdout)
    assert not body["handoff"] and "15%" in body["answer"] and body["sources"][0]["source"] == "returns.md"
    plain = runner.invoke(app, ["ask", "I want to speak to a manager", "--embedder", "none"])
    assert plain.exit_code == 0 and "ticket #" in plain.stdout
    bad = runner.invoke(app, ["kb", "import", str(tmp_path / "missing"), "--embedder", "none"])
    assert bad.exit_code == 2 and "no such file or folder" in bad.output
    assert runner.invoke(app, ["ask", "hi", "--account", "NOPE", "--embedder", "none"]).exit_code == 2


def test_eval_retrieval_prints_one_json_object(tmp_path: Path) -> None:
    atec = tmp_path / "atec.csv"
    atec.write_text(ATEC, encoding="utf-8")
    res = runner.invoke(app, ["eval", "retrieval", "--data", str(atec), "--format", "atec", "--mode", "bm25",
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip())
    assert out["n"] == 2 and out["index_size"] == 3 and {"recall@1", "recall@5", "mrr"} <= set(out)
    assert out["recall@5"] == 1.0
    qa = tmp_path / "qa.jsonl"
    qa.write_text(QA, encoding="utf-8")
    res = runner.invoke(app, ["eval", "retrieval", "--data", str(qa), "--format", "amazon-qa", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip())
    assert out["mode"] == "vector" and out["embedder"] == "minilm-l6-int8" and out["recall@1"] == 1.0


def test_eval_retrieval_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tq1\tq2\t1\n2\tonly two\n", encoding="utf-8")
    res = runner.invoke(app, ["eval", "retrieval", "--data", str(bad), "--format", "atec", "--json"])
    assert res.exit_code == 2 and "line 2" in res.output and res.stdout.strip() == ""
    res = runner.invoke(app, ["eval", "retrieval", "--data", str(bad), "--format", "msmarco", "--json"])
    assert res.exit_code == 2 and "unknown --format" in res.output


def test_the_embedder_defaults_to_the_workspace_setting(engine: Engine, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_KB_EMBEDDER", "none")
    reset_settings()
    res = runner.invoke(app, ["kb", "import", str(write_kb(tmp_path / "kb")), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["embedder"] is None
    asked = runner.invoke(app, ["ask", "What is the restocking fee for returns?", "--json"])
    assert asked.exit_code == 0, asked.output
    assert all(h["cosine"] is None for h in json.loads(asked.stdout)["retrieved"])
    bad = runner.invoke(app, ["kb", "sync", "--embedder", "bert"])
    assert bad.exit_code == 2 and "unknown --embedder 'bert'" in bad.output
