"""`bizpilot eval industry` (trained, zero-shot, learning curve, bad files) and `bizpilot classify ...` on small
files and a seeded workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account
from bizpilot.domain.audit import AuditEntry
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: one embedding cache per test session)

runner = CliRunner()
KEYS = {"accuracy", "macro_f1", "top3_accuracy", "n", "n_labels", "fit_seconds", "baseline_accuracy"}
TRAIN = [
    ("Regional bank taking deposits and making commercial and mortgage loans.", "Financial Services", "Banks—Regional"),
    ("Bank holding company offering checking, savings and small business loans.", "Financial Services",
     "Banks—Regional"),
    ("Writes property and casualty insurance for homes and cars.", "Financial Services",
     "Insurance—Property & Casualty"),
    ("Underwrites commercial auto and workers compensation insurance.", "Financial Services",
     "Insurance—Property & Casualty"),
    ("Operates casual dining restaurants and franchises burger outlets.", "Consumer Cyclical", "Restaurants"),
    ("Runs a chain of coffee shops and bakery cafes.", "Consumer Cyclical", "Restaurants"),
    ("Sells clothing and accessories through mall stores and online.", "Consumer Cyclical", "Apparel Retail"),
    ("Operates off-price apparel stores for families.", "Consumer Cyclical", "Apparel Retail"),
    ("Develops cloud accounting and payroll software for small businesses.", "Technology", "Software—Application"),
    ("Provides subscription project management software.", "Technology", "Software—Application"),
    ("Designs analog and power semiconductors for cars.", "Technology", "Semiconductors"),
    ("Makes memory chips and microcontrollers.", "Technology", "Semiconductors"),
]
TEST = [
    ("Community bank with branches offering deposits and farm loans.", "Financial Services", "Banks—Regional"),
    ("Pizza restaurants with delivery and takeaway.", "Consumer Cyclical", "Restaurants"),
    ("SaaS applications for human resources and payroll.", "Technology", "Software—Application"),
    ("", "Technology", "Semiconductors"),  # no description: skipped and counted
]


def _csv(path: Path, rows: list[tuple[str, str, str]], header: str = "Ticker,Description,Sector,Industry") -> Path:
    lines = [header] + [f'T{i},"{d}",{s},"{ind}"' for i, (d, s, ind) in enumerate(rows)]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # with a BOM, as the Yahoo file
    return path


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.fixture
def files(tmp_path: Path, embed_cache: Path) -> tuple[Path, Path]:  # noqa: F811
    return _csv(tmp_path / "train.csv", TRAIN), _csv(tmp_path / "test.csv", TEST)


def test_eval_industry_trained_json(files: tuple[Path, Path]) -> None:
    train, test = files
    out = _json(runner.invoke(app, ["eval", "industry", "--train", str(train), "--test", str(test),
                                    "--text-col", "Description", "--label-col", "Sector", "--json"]))
    assert KEYS <= set(out) and out["mode"] == "trained"
    assert (out["n"], out["n_train"], out["n_labels"]) == (3, 12, 3)
    assert out["accuracy"] == 1.0 and out["top3_accuracy"] == 1.0 and out["fit_seconds"] >= 0
    assert 0.0 <= out["baseline_accuracy"] <= 1.0 and out["skipped_no_description"] == {"test": 1, "train": 0}
    assert "learning_curve" not in out


def test_eval_industry_zero_shot_and_learning_curve(files: tuple[Path, Path]) -> None:
    train, test = files
    zero = _json(runner.invoke(app, ["eval", "industry", "--test", str(test), "--label-col", "Industry", "--json"]))
    assert zero["mode"] == "zero-shot" and zero["n_labels"] == 3 and zero["baseline_accuracy"] is None
    assert zero["accuracy"] == 1.0 and zero["labels_described"] == 3
    curve = _json(runner.invoke(app, ["eval", "industry", "--train", str(train), "--test", str(test), "--label-col",
                                      "Industry", "--head", "tfidf", "--learning-curve", "--json"]))
    assert [p["fraction"] for p in curve["learning_curve"]] == [0.1, 0.25, 0.5, 1.0]
    assert curve["learning_curve"][-1]["n_train"] == 12 and curve["learning_curve"][-1]["accuracy"] == curve[
        "accuracy"]


def test_eval_industry_bad_files(tmp_path: Path) -> None:
    good = _csv(tmp_path / "good.csv", TRAIN)
    result = runner.invoke(app, ["eval", "industry", "--test", str(good), "--label-col", "Segment", "--json"])
    assert result.exit_code == 2 and "no column 'Segment'" in result.output
    bad = _csv(tmp_path / "bad.csv", [TRAIN[0], ("A bank with no label", "", "")])
    result = runner.invoke(app, ["eval", "industry", "--train", str(good), "--test", str(bad), "--json"])
    assert result.exit_code == 2 and "line 3" in result.output and "empty label" in result.output
    result = runner.invoke(app, ["eval", "industry", "--test", str(tmp_path / "nope.csv"), "--json"])
    assert result.exit_code == 2 and "not found" in result.output
    empty = _csv(tmp_path / "empty.csv", [("", "Technology", "Semiconductors")])
    result = runner.invoke(app, ["eval", "industry", "--test", str(empty), "--json"])
    assert result.exit_code == 2 and "no row has both a description" in result.output
    result = runner.invoke(app, ["eval", "industry", "--test", str(good), "--learning-curve", "--json"])
    assert result.exit_code == 2 and "needs --train" in result.output


@pytest.mark.slow
def test_classify_accounts_taxonomy_and_set(engine: Engine, tmp_path: Path, embed_cache: Path) -> None:  # noqa: F811
    segments = tmp_path / "segments.csv"
    segments.write_text("sector,description_en\nBanks,Takes deposits and makes loans\n"
                        "Restaurants,Operates restaurants and cafes\n", encoding="utf-8")
    out = _json(runner.invoke(app, ["classify", "taxonomy", "--import", str(segments), "--json"]))
    assert (out["source"], out["n_sectors"], out["n_industries"]) == ("workspace", 2, 0)
    with session_scope(engine) as session:
        session.add_all([Account(external_id="A1", name="Valley Bank", description="Deposits and farm loans."),
                         Account(external_id="A2", name="Noodle House", description="经营面馆和外卖。")])
    out = _json(runner.invoke(app, ["classify", "accounts", "--json"]))
    assert out["trained"] is True and out["mode"] == "zero-shot" and out["accounts_without_industry"] == 2
    assert {p["name"]: p["label"] for p in out["predictions"]} == {"Valley Bank": "Banks",
                                                                   "Noodle House": "Restaurants"}
    again = _json(runner.invoke(app, ["classify", "accounts", "--json"]))
    assert again["trained"] is False and again["run_id"] == out["run_id"]  # nothing changed: no retraining
    view = _json(runner.invoke(app, ["classify", "set", "A2", "--json"]))
    assert (view["industry"], view["source"], view["reviewed"]) == ("Restaurants", "zero-shot", True)
    with session_scope(engine) as session:
        entry = session.query(AuditEntry).filter_by(action="classify").one()
        assert (entry.channel, entry.changes) == ("cli", {"industry": [None, "Restaurants"]})
    exported = tmp_path / "taxonomy.json"
    assert _json(runner.invoke(app, ["classify", "taxonomy", "--reset", "--export", str(exported),
                                     "--json"]))["source"] == "default"
    assert len(json.loads(exported.read_text(encoding="utf-8"))["sectors"]) == 11
