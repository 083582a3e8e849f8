"""`bizpilot eval intent|sentiment`, `bizpilot train intent` and `bizpilot signals ...` on small files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from tests.conftest import shared_data

runner = CliRunner()

INTENT_ROWS = [("where is my parcel", "delivery"), ("my package is late", "delivery"),
               ("track my delivery", "delivery"), ("parcel not here yet", "delivery"),
               ("refund my money", "refund"), ("I want a refund", "refund"), ("money back please", "refund"),
               ("refund the order", "refund")]


def _csv(path: Path, header: str, rows: list[tuple[str, str]]) -> Path:
    path.write_text(header + "\n" + "\n".join(f"{a},{b}" for a, b in rows) + "\n", encoding="utf-8")
    return path


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_eval_intent_json(tmp_path: Path) -> None:
    train = _csv(tmp_path / "train.csv", "text,category", INTENT_ROWS)
    test = _csv(tmp_path / "test.csv", "text,category", [("where is the parcel", "delivery"),
                                                         ("please refund", "refund")])
    out = _json(runner.invoke(app, ["eval", "intent", "--train", str(train), "--test", str(test),
                                    "--embedder", "none", "--json"]))
    assert out["accuracy"] == 1.0 and out["macro_f1"] == 1.0 and out["fit_seconds"] >= 0 and out["n"] == 2


def test_eval_intent_bad_files(tmp_path: Path) -> None:
    train = _csv(tmp_path / "train.csv", "utterance,intent", INTENT_ROWS)
    result = runner.invoke(app, ["eval", "intent", "--train", str(train), "--test", str(train), "--json"])
    assert result.exit_code == 2 and "text-col" in result.output
    result = runner.invoke(app, ["eval", "intent", "--train", str(train), "--test", str(train), "--text-col",
                                 "body", "--json"])
    assert result.exit_code == 2 and "no column 'body'" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nhello,greet\nno label here,\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "intent", "--train", str(bad), "--test", str(bad), "--json"])
    assert result.exit_code == 2 and "line 3" in result.output and "empty label" in result.output
    result = runner.invoke(app, ["eval", "intent", "--train", str(tmp_path / "nope.csv"), "--test", str(bad)])
    assert result.exit_code == 2 and "not found" in result.output


def test_eval_sentiment_csv_with_train_and_tsv_default(tmp_path: Path) -> None:
    rows = [("1", "great product, very happy"), ("0", "terrible, it broke"), ("1", "excellent quality"),
            ("0", "awful, waste of money"), ("1", "love it"), ("0", "very disappointed")]
    train = tmp_path / "reviews.csv"
    train.write_text("label,review\n" + "\n".join(f"{a},{b!r}".replace("'", '"') for a, b in rows) + "\n",
                     encoding="utf-8")
    out = _json(runner.invoke(app, ["eval", "sentiment", "--train", str(train), "--test", str(train),
                                    "--embedder", "none", "--json"]))
    assert out["accuracy"] == 1.0 and out["n"] == 6
    tsv = tmp_path / "sentences.txt"
    tsv.write_text("sentence\tscore\nI love this phone, it works great.\t1\n"
                   "Battery died in a day, very disappointed.\t0\n", encoding="utf-8")
    out = _json(runner.invoke(app, ["eval", "sentiment", "--test", str(tsv), "--json"]))
    assert out["model"].startswith("default") and out["accuracy"] == 1.0


def test_eval_sentiment_unknown_label(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("label,review\n1,good\nmaybe,hmm\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "sentiment", "--test", str(bad), "--json"])
    assert result.exit_code == 2 and "line 3" in result.output


def test_train_intent_and_signals_message(workspace: Path, tmp_path: Path) -> None:
    train = _csv(tmp_path / "train.csv", "text,category", INTENT_ROWS)
    out = _json(runner.invoke(app, ["train", "intent", str(train), "--json"]))
    assert sorted(out["metrics"]["intents"]) == ["delivery", "refund"] and Path(out["artifact"]).is_file()
    msg = _json(runner.invoke(app, ["signals", "message", "I want my money back", "--json"]))
    assert msg["intent"] == "refund"
    done = _json(runner.invoke(app, ["signals", "analyse", "--json"]))
    assert done["analysed"] == 0
    assert _json(runner.invoke(app, ["signals", "alerts", "--json"])) == {"alerts": []}


@pytest.mark.slow
def test_eval_sentiment_default_on_uci_sentences() -> None:
    """The shipped default on real English review sentences (its training data: an in-sample sanity check;
    cross-domain figures are in the README)."""
    path = shared_data("english-review-sentiment", "uci_yelp_labelled.txt")
    out = _json(runner.invoke(app, ["eval", "sentiment", "--test", str(path), "--json"]))
    assert out["n"] == 1000 and out["accuracy"] >= 0.85
