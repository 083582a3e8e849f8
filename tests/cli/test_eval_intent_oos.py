"""`bizpilot eval intent` with an out-of-scope label: in-scope accuracy, out-of-scope recall/precision, and the
TF-IDF + linear SVM baseline with a CV-tuned threshold on the same split, in the same run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.ml.evaluation import oos_metrics
from bizpilot.ml.text.intent_baseline import ThresholdedSvmBaseline

runner = CliRunner()
DELIVERY = ["where is my parcel", "my package is late", "track my delivery", "parcel not here yet",
            "when will my parcel arrive", "delivery status please", "has my package shipped", "where is the courier"]
REFUND = ["refund my money", "I want a refund", "money back please", "refund the order", "give me a refund now",
          "how do I get my money back", "refund for the broken item", "please process my refund"]
OOS = ["what is the capital of france", "tell me a joke", "how do I cook rice", "who won the football match",
       "what is the weather tomorrow", "play some music", "how tall is mount everest", "write a poem about cats"]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("text,category\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8")
    return path


def test_oos_metrics_count_each_side() -> None:
    m = oos_metrics(["a", "b", "oos", "oos"], ["a", "oos", "oos", "b"], oos_label="oos")
    assert m == {"in_scope_accuracy": 0.5, "oos_recall": 0.5, "oos_precision": 0.5, "n_oos": 2}
    assert oos_metrics(["a"], ["a"], oos_label="oos")["oos_recall"] is None


def test_baseline_threshold_is_tuned_on_training_folds_only() -> None:
    texts = DELIVERY + REFUND + OOS
    labels = ["delivery"] * 8 + ["refund"] * 8 + ["oos"] * 8
    peer = ThresholdedSvmBaseline(oos_label="oos").fit(texts, labels)
    assert peer.threshold_ > float("-inf") and "oos" not in peer.model_.classes_
    assert peer.predict(["where is my parcel"]) == ["delivery"]
    no_oos = ThresholdedSvmBaseline().fit(DELIVERY + REFUND, ["delivery"] * 8 + ["refund"] * 8)
    assert no_oos.threshold_ == float("-inf")  # nothing to tune without out-of-scope examples


def test_eval_intent_reports_out_of_scope_and_the_baseline(tmp_path: Path) -> None:
    train = [(t, "delivery") for t in DELIVERY[:6]] + [(t, "refund") for t in REFUND[:6]] + \
        [(t, "oos") for t in OOS[:6]]
    test = [(t, "delivery") for t in DELIVERY[6:]] + [(t, "refund") for t in REFUND[6:]] + \
        [(t, "oos") for t in OOS[6:]]
    res = runner.invoke(app, ["eval", "intent", "--train", str(_write(tmp_path / "train.csv", train)), "--test",
                              str(_write(tmp_path / "test.csv", test)), "--embedder", "none", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["oos_label"] == "oos" and out["n"] == 6 and out["n_oos"] == 2 and out["n_intents"] == 2
    for key in ("accuracy", "in_scope_accuracy", "oos_recall", "baseline_accuracy", "baseline_in_scope_accuracy",
                "baseline_oos_recall"):
        assert 0.0 <= out[key] <= 1.0, key
    assert out["baseline"] == "TF-IDF + LinearSVC, CV-tuned threshold" and out["baseline_threshold"] is not None
    assert out["test_labels_not_in_train"] == []
