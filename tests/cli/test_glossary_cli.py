"""`bizpilot glossary list|set|delete|import`: one JSON object with --json, errors naming the row or field."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bizpilot.cli.main import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_set_list_and_delete(workspace: Path) -> None:
    units = _json(["glossary", "list", "--kind", "unit"])
    assert units["total"] == len(units["items"]) > 10
    assert {"kind": "unit", "key": "kg", "zh": "千克"}.items() <= next(i for i in units["items"]
                                                                       if i["key"] == "kg").items()
    written = _json(["glossary", "set", "unit", "PCS", "--zh", "只", "--en", "pcs", "--note", "our unit"])
    assert written["outcome"] == "inserted"
    assert {k: written["term"][k] for k in ("kind", "key", "en", "zh", "note", "source")} == {
        "kind": "unit", "key": "pcs", "en": "pcs", "zh": "只", "note": "our unit", "source": "workspace"}
    mine = _json(["glossary", "list", "--source", "workspace"])
    assert [(i["key"], i["zh"]) for i in mine["items"]] == [("pcs", "只")]
    text = runner.invoke(app, ["glossary", "list", "--kind", "unit", "--q", "pcs"])
    assert text.exit_code == 0 and text.stdout == "" and "只" in text.stderr and "workspace" in text.stderr
    gone = _json(["glossary", "delete", "unit", "pcs"])
    assert gone == {"deleted": True, "now": {**gone["now"], "key": "pcs", "zh": "件", "source": "default"}}
    missing = runner.invoke(app, ["glossary", "delete", "unit", "pcs"])
    assert missing.exit_code == 2 and "no workspace term" in missing.stderr


def test_set_refuses_an_unknown_kind(workspace: Path) -> None:
    result = runner.invoke(app, ["glossary", "set", "colour", "red", "--zh", "红色"])
    assert result.exit_code == 2 and "field kind" in result.stderr


def test_import_reports_counts_and_bad_rows(workspace: Path, tmp_path: Path) -> None:
    good = tmp_path / "terms.csv"
    good.write_text("kind,key,en,zh\ncategory,spill kits,Spill Kits,泄漏应急包\nvalue,matte black,,哑光黑\n",
                    encoding="utf-8")
    assert _json(["glossary", "import", str(good)]) == {"rows": 2, "inserted": 2, "updated": 0, "unchanged": 0}
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,key,en,zh\nvalue,satin,,缎面\nvalue,gloss,,\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "import", str(bad)])
    assert result.exit_code == 2
    assert "row 3, field zh" in result.stderr and "nothing was imported" in result.stderr
    listed = _json(["glossary", "list", "--source", "workspace"])
    assert sorted(i["key"] for i in listed["items"]) == ["matte black", "spill kits"]  # satin was not written
