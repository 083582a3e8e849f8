"""`bizpilot eval recommend` (one JSON object, clear errors with exit code 2), `bizpilot recommend` and
`bizpilot train recommend`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bizpilot.cli.main import app
from tests.conftest import shared_data
from tests.ml.recommend.conftest import low_rank_ratings
from tests.services.recommend_data import seed_recommend_workspace

runner = CliRunner()
RANKING = {"ndcg@10", "precision@10", "recall@10", "map@10", "hit_rate@10", "coverage@10"}


def _one_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output[:500]
    return json.loads(lines[0])


def _ratings_csv(path: Path) -> Path:
    users, items, ratings = low_rank_ratings(n_users=80, n_items=40, density=0.5)
    rows = "".join(f"{u},{i},{r:g}\n" for u, i, r in zip(users, items, ratings, strict=True))
    path.write_text("user_id,item_id,rating\n" + rows)
    return path


@pytest.mark.parametrize("protocol", ["kfold", "stratified"])
def test_eval_recommend_on_a_ratings_csv(tmp_path: Path, protocol: str) -> None:
    data = _ratings_csv(tmp_path / "r.csv")
    result = runner.invoke(app, ["eval", "recommend", "--data", str(data), "--format", "csv", "--protocol", protocol,
                                 "--folds", "3", "--model", "mf", "--json"])
    assert result.exit_code == 0, result.output
    report = _one_json(result.stdout)
    assert {"rmse", "mae", "fit_seconds", "n_ratings"} | RANKING <= set(report)
    assert report["n_ratings"] == len(data.read_text().splitlines()) - 1
    assert report["folds"] == (3 if protocol == "kfold" else 1) and 0.2 < report["rmse"] < 1.2


def test_eval_recommend_ranking_model_and_errors(tmp_path: Path) -> None:
    data = _ratings_csv(tmp_path / "r.csv")
    result = runner.invoke(app, ["eval", "recommend", "--data", str(data), "--format", "csv", "--model", "ease",
                                 "--k", "5", "--json"])
    assert result.exit_code == 0, result.output
    report = _one_json(result.stdout)
    assert "rmse" not in report and 0 < report["ndcg@5"] <= 1
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,rating\n1,2,3\n1,3,x\n")
    result = runner.invoke(app, ["eval", "recommend", "--data", str(bad), "--format", "csv", "--json"])
    assert result.exit_code == 2 and "line 3" in result.stderr and "rating" in result.stderr
    assert result.stdout.strip() == ""
    for args, needle in ((["--model", "nope"], "unknown --model"), (["--protocol", "weekly"], "unknown --protocol"),
                         (["--format", "xlsx"], "unsupported --format")):
        result = runner.invoke(app, ["eval", "recommend", "--data", str(data), "--format", "csv", *args, "--json"])
        assert result.exit_code == 2 and needle in result.stderr, result.output
    result = runner.invoke(app, ["eval", "recommend", "--data", str(tmp_path / "none.csv"), "--format", "csv"])
    assert result.exit_code == 2 and "not found" in result.stderr


def test_recommend_and_train_commands(engine: Engine) -> None:
    seed_recommend_workspace(engine)
    result = runner.invoke(app, ["recommend", "--account", "B05", "--n", "3", "--json"])
    assert result.exit_code == 0, result.output
    body = _one_json(result.stdout)
    assert len(body["items"]) == 3 and body["items"][0]["reason"]
    table = runner.invoke(app, ["recommend", "--account", "B05", "--n", "3"])
    assert table.exit_code == 0 and "next best for Builder 5" in table.stderr
    similar = runner.invoke(app, ["recommend", "--product", "PAP-2", "--json"])
    assert similar.exit_code == 0 and _one_json(similar.stdout)["items"][0]["sku"].startswith("PAP")
    assert runner.invoke(app, ["recommend"]).exit_code == 2
    assert runner.invoke(app, ["recommend", "--account", "NOPE"]).exit_code == 2
    trained = runner.invoke(app, ["train", "recommend", "--json"])
    assert trained.exit_code == 0, trained.output
    assert _one_json(trained.stdout)["metrics"]["n_products"] == 14


@pytest.mark.slow
def test_eval_recommend_movielens_official_folds() -> None:
    data = shared_data("movielens-100k")
    result = runner.invoke(app, ["eval", "recommend", "--data", str(data), "--format", "movielens", "--protocol",
                                 "kfold", "--json"])
    assert result.exit_code == 0, result.output
    report = _one_json(result.stdout)
    assert report["folds"] == 5 and report["n_ratings"] == 100000
    assert [f["n_test"] for f in report["per_fold"]] == [20000] * 5
    assert report["rmse"] <= 0.905 and report["ndcg@10"] > 0.3
    assert np.isfinite(report["fit_seconds"])
