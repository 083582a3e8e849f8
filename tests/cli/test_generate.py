"""`bizpilot generate <kind>` and `bizpilot generate rate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bizpilot.cli.main import app
from tests.llm.scripted_env import scripted_llm
from tests.services.content.data import seed_small

runner = CliRunner()


def test_generate_json_then_rate(engine: Engine, tmp_path: Path) -> None:
    seed_small(engine)
    result = runner.invoke(app, ["generate", "product-description", "--product", "ADH-2001", "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "30.45" in data["output"] and data["fallback"] is True and data["check"]["clean"]
    assert "product.price" in data["check"]["backed_by"] and data["sentences"][0]["backed_by"]
    edit = tmp_path / "edit.txt"
    edit.write_text("Thread Locker 400 mL grey, USD 30.45 each.", encoding="utf-8")
    rated = runner.invoke(app, ["generate", "rate", str(data["id"]), "--rating", "5", "--approve", "--edit",
                                str(edit), "--json"])
    assert rated.exit_code == 0, rated.output
    assert json.loads(rated.stdout)["status"] == "approved"


def test_generate_text_zh_and_errors(engine: Engine) -> None:
    seed_small(engine)
    result = runner.invoke(app, ["generate", "sales-email", "--account", "ACC-T1", "--language", "zh", "--no-llm",
                                 "--purpose", "check_in"])
    assert result.exit_code == 0, result.output
    assert "Evergreen Hospitality Group Ltd" in result.stdout and "下单2次" in result.stdout
    auto = runner.invoke(app, ["generate", "sales-email", "--account", "ACC-T1", "--no-llm"])
    assert "thank_you" in auto.stderr and "for the order you placed with us on 2024-06-01" in auto.stdout
    unsupported = runner.invoke(app, ["generate", "sales-email", "--account", "ACC-T1", "--purpose", "win_back"])
    assert unsupported.exit_code == 2 and "win back" in unsupported.output
    missing = runner.invoke(app, ["generate", "ad", "--product", "NOPE-9", "--no-llm"])
    assert missing.exit_code != 0 and "NOPE-9" in missing.output
    bad = runner.invoke(app, ["generate", "rate", "12345", "--rating", "3"])
    assert bad.exit_code != 0 and "not found" in bad.output


def test_generate_with_the_configured_scripted_model(engine: Engine, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seed_small(engine)
    draft = ("Thread Locker 400 mL grey belongs to our Adhesives & Sealants range. It is grey and holds 400 mL. "
             "The price is USD 35.00 each.")
    with scripted_llm(monkeypatch, tmp_path / "demo.json", {"rules": [{"tag": "content.*", "reply": draft}]}):
        result = runner.invoke(app, ["generate", "product-description", "--product", "ADH-2001"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == draft.replace("USD 35.00", "USD 30.45")
    assert "repaired: 'The price is USD 35.00 each.' -> 'The price is USD 30.45 each.'" in result.stderr
    assert "deterministic text" not in result.stderr
