"""`bizpilot eval generate`: the contract independent checks call (one JSON object on stdout with every metric),
errors that name the line, and, on the real AdvertiseGen rows, beating the nearest-example-copy baseline."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.ml.text.copywriter import NearestCopywriter
from bizpilot.services.evaluation.generate import evaluate_generation, read_advertisegen
from tests.conftest import shared_data

runner = CliRunner()

KEYS = {"bleu4", "rouge1", "rouge2", "rougeL", "attribute_coverage", "contradiction_rate", "seconds_per_item", "n"}

TRAIN = [
    {"content": "类型#裙*颜色#白色*裙长#连衣裙*材质#雪纺",
     "summary": "这款白色连衣裙采用雪纺面料，轻盈飘逸，白色的裙身清新干净，穿着舒适透气，彰显温柔气质。"},
    {"content": "类型#裙*颜色#黑色*裙长#半身裙*图案#格子",
     "summary": "这款黑色半身裙，经典的格子图案复古有型，黑色显瘦百搭，搭配衬衫就很好看。"},
    {"content": "类型#上衣*颜色#白色*衣样式#衬衫*材质#棉",
     "summary": "这款白色衬衫采用纯棉面料，柔软亲肤，简约的白色百搭又耐看，通勤休闲都适合。"},
    {"content": "类型#裤*颜色#黑色*裤型#阔腿裤*风格#简约",
     "summary": "简约的黑色阔腿裤，垂感十足，阔腿的设计遮肉显瘦，走路带风，气场全开。"},
]
DATA = [
    {"content": "类型#裙*颜色#红色*裙长#连衣裙*材质#雪纺",
     "summary": "红色的雪纺连衣裙，飘逸灵动，红色显白又喜庆，穿着舒适。"},
    {"content": "类型#裤*颜色#白色*裤型#阔腿裤",
     "summary": "白色阔腿裤清爽干净，阔腿的版型遮肉显瘦，百搭又时髦。"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_contract_prints_one_json_object_with_every_metric(tmp_path: Path) -> None:
    data, train = write_jsonl(tmp_path / "data.json", DATA), write_jsonl(tmp_path / "train.json", TRAIN)
    result = runner.invoke(app, ["eval", "generate", "--data", str(data), "--format", "advertisegen",
                                 "--train", str(train), "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert KEYS <= set(report)
    assert report["n"] == 2 and report["model"] == "ExampleCopywriter" and report["n_train"] == 4
    assert 0 < report["bleu4"] <= 100 and 0 < report["rougeL"] <= 100
    assert report["contradiction_rate"] == 0.0 and 0 < report["attribute_coverage"] <= 1
    assert "learning from 4 rows" in result.stderr


def test_contract_in_a_real_process_keeps_stdout_clean(tmp_path: Path) -> None:
    """jieba and the progress output must not leak onto stdout when a script runs the command."""
    data = write_jsonl(tmp_path / "data.json", DATA)
    proc = subprocess.run([sys.executable, "-m", "bizpilot.cli.main", "eval", "generate", "--data", str(data),
                           "--format", "advertisegen", "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1
    report = json.loads(proc.stdout)
    assert KEYS <= set(report) and report["model"] == "TemplateCopywriter"
    assert report["attribute_coverage"] == 1.0 and report["contradiction_rate"] == 0.0


def test_without_train_uses_the_template_and_writes_predictions(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.json", DATA)
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["eval", "generate", "--data", str(data), "--predictions", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # without --json the table goes to stderr
    assert "TemplateCopywriter" in result.stderr and "bleu4" in result.stderr
    preds = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [p["line"] for p in preds] == [1, 2] and all(p["generated"].endswith("。") for p in preds)


def test_rows_also_in_train_are_flagged(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.json", TRAIN[:2])
    train = write_jsonl(tmp_path / "train.json", TRAIN)
    result = runner.invoke(app, ["eval", "generate", "--data", str(data), "--train", str(train), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows_also_in_train"] == 2
    assert "not a held-out measurement" in result.stderr


def test_missing_file_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "generate", "--data", str(tmp_path / "nope.json"), "--json"])
    assert result.exit_code == 2
    assert "nope.json" in result.stderr and result.stdout == ""


def test_bad_json_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATA[0], ensure_ascii=False) + "\n\n{\"content\": \"类型#裙\", \n", "utf-8")
    result = runner.invoke(app, ["eval", "generate", "--data", str(path), "--json"])
    assert result.exit_code == 2
    assert "line 3" in result.stderr and result.stdout == ""


def test_bad_rows_name_line_and_field(tmp_path: Path) -> None:
    rows = [DATA[0], {"content": "类型裙", "summary": "x"}, {"content": "类型#裙"}, ["not", "an", "object"]]
    path = write_jsonl(tmp_path / "data.json", rows)
    result = runner.invoke(app, ["eval", "generate", "--data", str(path), "--json"])
    assert result.exit_code == 2
    assert "3 bad row(s); first: line 2, field 'content'" in result.stderr
    assert "row 3, field summary" in result.stderr and "row 4, field (line)" in result.stderr
    with pytest.raises(Exception, match="line 2"):
        read_advertisegen(path)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.json", DATA)
    result = runner.invoke(app, ["eval", "generate", "--data", str(data), "--format", "lcsts", "--json"])
    assert result.exit_code == 2 and "advertisegen" in result.stderr


@pytest.mark.slow
def test_real_data_two_fold_beats_nearest_copy(tmp_path: Path) -> None:
    """Half of dev.json trains, rows of the other half are evaluated through the CLI; the nearest-example-copy
    baseline is scored on the same rows in the same test."""
    source = shared_data("advertisegen", "dev.json")
    lines = [line for line in source.read_text("utf-8").splitlines() if line.strip()]
    order = list(range(len(lines)))
    random.Random(0).shuffle(order)
    half = len(order) // 2
    train_lines = [lines[i] for i in sorted(order[:half])]
    test_lines = [lines[i] for i in sorted(order[half:])][:120]  # a 120-row sample keeps the test near a minute
    train_path, data_path = tmp_path / "train.json", tmp_path / "data.json"
    train_path.write_text("\n".join(train_lines) + "\n", "utf-8")
    data_path.write_text("\n".join(test_lines) + "\n", "utf-8")

    result = runner.invoke(app, ["eval", "generate", "--data", str(data_path), "--format", "advertisegen",
                                 "--train", str(train_path), "--json"])
    assert result.exit_code == 0, result.output
    ours = json.loads(result.stdout)
    baseline = evaluate_generation(rows=read_advertisegen(data_path), train=read_advertisegen(train_path),
                                   model=NearestCopywriter().fit((r["attributes"], r["summary"]) for r in
                                                                 read_advertisegen(train_path)))
    assert ours["n"] == baseline["n"] == 120
    assert ours["bleu4"] > baseline["bleu4"] + 1.0, (ours, baseline)
    assert ours["rougeL"] > baseline["rougeL"] + 1.0, (ours, baseline)
    assert ours["contradiction_rate"] < 0.01 < baseline["contradiction_rate"]
    assert ours["attribute_coverage"] > baseline["attribute_coverage"]
    assert ours["seconds_per_item"] < 10
