"""`bizpilot eval topics`: one JSON object with the scores and the peer's from the same run, a seeded stratified
sample, clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.services.evaluation.topics import stratified_sample
from tests.ml.text.test_topics import EN
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: one embedding cache per test session)

runner = CliRunner()
KEYS = {"nmi", "ari", "n_topics", "npmi", "diversity", "seconds", "baseline_nmi", "baseline_ari", "n"}


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "texts.csv"
    lines = ["text,label"] + [f'"{t}",{g}' for g, ts in EN.items() for t in ts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_topics_prints_one_json_object_with_the_baseline(tmp_path: Path, embed_cache: Path) -> None:  # noqa: F811
    result = runner.invoke(app, ["eval", "topics", "--data", str(_file(tmp_path)), "--text-col", "text",
                                 "--label-col", "label", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert KEYS <= set(out) and out["n_topics"] == 3 and out["n"] == 12 and out["embedder"] == "minilm"
    assert out["nmi"] == pytest.approx(1.0) and 0.0 <= out["baseline_nmi"] <= 1.0
    assert 0.0 < out["diversity"] <= 1.0 and -1.0 <= out["npmi"] <= 1.0


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "topics", "--data", str(_file(tmp_path)), "--text-col", "review",
                                 "--label-col", "label", "--json"])
    assert result.exit_code == 2 and "review" in result.stderr and result.stdout == ""


def test_the_sample_is_stratified_and_seeded() -> None:
    labels = ["a"] * 80 + ["b"] * 20
    rows = stratified_sample(labels, 50, seed=0)
    assert len(rows) == 50 and sum(labels[i] == "b" for i in rows) == 10
    assert rows == stratified_sample(labels, 50, seed=0) and rows != stratified_sample(labels, 50, seed=1)
    assert stratified_sample(labels, 500) == list(range(100))

