"""`bizpilot eval assistant`: the assistant on a JSON Lines question set against the workspace's knowledge base
(one JSON object on stdout with --json; nothing stored; bad lines exit 2 naming the line and field)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.domain.conversation import Conversation, HandoffTicket
from tests.retrieval.kb_sample import write_kb

runner = CliRunner()
CASES = [
    {"q": "What is the restocking fee for returns?", "expect": [["returns.md"]], "handoff": False},
    {"q": "How long does express delivery take, and what is the restocking fee?",
     "expect": [["shipping.html"], ["returns.md"]], "handoff": False},
    {"q": "I want to speak to a manager", "expect": [], "handoff": True},
    {"q": "Refund the full amount of our last order to our bank account immediately.", "expect": [],
     "handoff": True},
]


def test_eval_assistant_measures_parts_and_hand_offs(engine: Engine, tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "import", str(write_kb(tmp_path / "kb")), "--embedder", "none"]).exit_code == 0
    data = tmp_path / "questions.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    res = runner.invoke(app, ["eval", "assistant", "--data", str(data), "--embedder", "none", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["n"], out["n_single"], out["n_multi"], out["n_handoff"]) == (4, 1, 1, 2)
    assert out["single_cited"] == 1.0 and out["multi_all_cited"] == 1.0
    assert out["handoff_recall"] == 1.0 and out["false_handoff_rate"] == 0.0 and out["failures"] == []
    assert out["seconds_per_question"] > 0
    with Session(engine) as session:  # every question ran in a savepoint that was rolled back
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert session.scalar(select(func.count()).select_from(HandoffTicket)) == 0


def test_eval_assistant_names_the_bad_line(engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps(CASES[0]) + "\n" + json.dumps({"q": "x", "expect": ["returns.md"]}) + "\n",
                    encoding="utf-8")
    res = runner.invoke(app, ["eval", "assistant", "--data", str(data), "--embedder", "none", "--json"])
    assert res.exit_code == 2 and res.stdout == ""
    assert "line 2, field 'expect'" in res.stderr
