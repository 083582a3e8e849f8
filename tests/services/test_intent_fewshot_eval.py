"""Few-shot intent evaluation: seeded draws per label, the rows not drawn as the test, intents held out as out of
scope, and `bizpilot eval intent --shots` end to end on a small file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.errors import ValidationFailed
from bizpilot.services.evaluation.signals import draw_per_label, few_shot_split

LABELS = ["a"] * 5 + ["b"] * 2 + ["c"] * 4


def test_draw_takes_n_per_label_seeded_and_all_of_a_small_label() -> None:
    drawn, rest = draw_per_label(LABELS, 3, seed=0)
    assert sorted(drawn + rest) == list(range(len(LABELS)))
    counts = {y: sum(LABELS[i] == y for i in drawn) for y in "abc"}
    assert counts == {"a": 3, "b": 2, "c": 3}
    assert draw_per_label(LABELS, 3, seed=0) == (drawn, rest)
    assert any(draw_per_label(LABELS, 3, seed=s)[0] != drawn for s in range(1, 6))


def test_split_scores_the_rows_not_drawn_and_holds_intents_out() -> None:
    texts = [f"t{i}" for i in range(len(LABELS))]
    train, test, info = few_shot_split(train=(texts, LABELS), test=None, shots=2, seed=1)
    assert len(train[0]) == 6 and len(test[0]) == 5 and not set(train[0]) & set(test[0])
    assert info == {"shots": 2, "seed": 1}
    even = ["a", "b", "c"] * 4
    train, test, info = few_shot_split(train=([f"t{i}" for i in range(12)], even), test=None, shots=2, seed=1,
                                       oos_intents=1)
    held = info["oos_intents"]
    assert len(held) == 1 and held[0] in "abc"
    assert held[0] not in train[1] + test[1] and "oos" in train[1] and "oos" in test[1]
    with pytest.raises(ValidationFailed):
        few_shot_split(train=(texts, LABELS), test=None, shots=2, oos_intents=2)  # one intent would be left
    with pytest.raises(ValidationFailed):
        few_shot_split(train=(texts, LABELS), test=None, shots=None)


ROWS = ([(f"where is my parcel {w}", "delivery") for w in ("now", "today", "please", "again", "number 5")]
        + [(f"I want a refund {w}", "refund") for w in ("now", "today", "please", "again", "for order 5")]
        + [(f"reset my password {w}", "login") for w in ("now", "today", "please", "again", "for account 5")])


def test_eval_intent_shots_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    path.write_text("text,category\n" + "".join(f"{t},{y}\n" for t, y in ROWS), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "intent", "--train", str(path), "--test", str(path), "--shots", "2",
                                      "--seed", "3", "--embedder", "none", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n_train"] == 6 and out["n"] == 9 and out["shots"] == 2 and out["seed"] == 3
    assert out["test_is_train_rest"] is True and out["method"] == "svm"
    assert out["accuracy"] == 1.0 and 0.0 <= out["baseline_accuracy"] <= 1.0
    assert out["peak_memory_mb"] > 0
