"""`bizpilot eval sentiment --adapt`: self-training on the test texts (transductive), reported as such."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bizpilot.cli.main import app

runner = CliRunner()
TRAIN = [("1", "great product, works perfectly"), ("1", "excellent quality and fast delivery"),
         ("1", "love it, highly recommend"), ("1", "very happy with this purchase"),
         ("0", "terrible, broke after one day"), ("0", "waste of money, very poor"),
         ("0", "awful quality, do not buy"), ("0", "disappointed, it stopped working")]
ROOMS = ["suite", "room", "lobby", "bathroom", "studio"]


def _hotel_reviews(path: Path, n: int = 80) -> Path:
    """Half the reviews carry a word the training data knows (great / awful); the others only the domain's own
    word (spacious / cramped), which the model learns from the first half's pseudo-labels."""
    rows = []
    for i in range(n):
        room, positive = ROOMS[i % len(ROOMS)], i % 2 == 0
        word = "spacious" if positive else "cramped"
        verdict = ("great" if positive else "awful") if i % 4 < 2 else "stay"
        rows.append(f"{int(positive)},the {room} was {word} {verdict} {i}")
    path.write_text("label,review\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["eval", "sentiment", *args, "--embedder", "none", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_eval_sentiment_adapts_to_the_test_texts_only_when_asked(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    train.write_text("label,review\n" + "\n".join(f'{a},"{b}"' for a, b in TRAIN) + "\n", encoding="utf-8")
    test = _hotel_reviews(tmp_path / "hotel.csv")
    plain = _run("--train", str(train), "--test", str(test))
    assert plain["transductive"] is False and plain["n_pseudo_labelled"] == []
    assert plain["accuracy_unadapted"] == plain["accuracy"] < 1.0
    adapted = _run("--train", str(train), "--test", str(test), "--adapt")
    assert adapted["transductive"] is True and len(adapted["n_pseudo_labelled"]) == 2
    assert adapted["accuracy_unadapted"] == plain["accuracy"]
    assert adapted["accuracy"] == 1.0
