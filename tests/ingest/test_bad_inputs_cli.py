"""`bizpilot import` over the bad-input corpus: the encoding in the report, --encoding, ragged rows by row number,
and a clear message with exit code 2 (never a traceback) for files it cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from tests.ingest.bad_inputs import PNG, RAGGED, encoded_file, zip_bomb
from tests.ingest.helpers import write

pytestmark = pytest.mark.storage
runner = CliRunner()


def stats() -> dict[str, int]:
    return json.loads(runner.invoke(app, ["stats", "--json"]).stdout)


def test_gbk_file_imports_and_the_report_names_the_encoding(workspace: Path, tmp_path: Path) -> None:
    path, _, _ = encoded_file(tmp_path, "gbk")
    result = runner.invoke(app, ["import", "accounts", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["encoding"] == "gb18030 (detected)" and report["tables"]["accounts"]["inserted"] == 2
    human = runner.invoke(app, ["import", "accounts", str(path)])
    assert human.exit_code == 0 and "read as gb18030 (detected)" in human.stderr
    assert "客户名称 -> name" in human.stderr


def test_encoding_option_overrides_detection(workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,country\nSøren Ørsted ApS,Danmark\n".encode("latin-1"))
    result = runner.invoke(app, ["import", "accounts", str(path), "--encoding", "latin-1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["encoding"] == "iso8859-1 (given)"
    listing = runner.invoke(app, ["import", "accounts", str(path), "--encoding", "latin-1", "--json"])
    assert json.loads(listing.stdout)["tables"]["accounts"] == {"inserted": 0, "updated": 0, "unchanged": 1}


def test_ragged_rows_are_reported_and_the_rest_imported(workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "accounts", str(write(tmp_path, "r.csv", RAGGED)), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows_read"] == 4 and report["rejected"] == 2
    assert report["tables"]["accounts"]["inserted"] == 2
    strict = runner.invoke(app, ["import", "accounts", str(write(tmp_path, "r2.csv", RAGGED)), "--strict"])
    assert strict.exit_code == 2 and "2 bad row(s) in r2.csv; strict mode wrote nothing" in strict.stderr


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("image.csv", PNG, "the file is a PNG image, not a text table"),
    ("empty.csv", b"", "empty.csv is empty"),
    ("gbk.csv", "客户名称\n苏州\n".encode("gbk"), "line 1 has bytes that are not valid utf-8 (given)"),
    ("ok.csv", b"name\nAcme\n", "unknown encoding 'klingon'"),
])
def test_unreadable_files_exit_2_with_a_clear_message(workspace: Path, tmp_path: Path, name: str, content: bytes,
                                                      needle: str) -> None:
    (tmp_path / name).write_bytes(content)
    extra = ["--encoding", "klingon"] if name == "ok.csv" else ["--encoding", "utf-8"] if name == "gbk.csv" else []
    result = runner.invoke(app, ["import", "accounts", str(tmp_path / name), *extra])
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.stderr.split()) and "Traceback" not in result.output
    assert stats()["accounts"] == 0


def test_zip_bomb_exits_2(workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "products", str(zip_bomb(tmp_path / "b.xlsx", unpacked_mb=60))])
    assert result.exit_code == 2 and "zip bomb" in result.stderr and "Traceback" not in result.output
