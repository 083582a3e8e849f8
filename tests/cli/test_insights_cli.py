"""`bizpilot report insights` (md, html, pdf; a period without the topics model says so) and `bizpilot
competitors ...` on a real workspace."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.models.training import train_model
from tests.services.insights.test_insights import _add, _seed_topics

runner = CliRunner()


def _trained(engine: Engine) -> None:
    _seed_topics(engine)
    with Session(engine) as session:
        _add(session, "c1", "Globex offered a cheaper parcel delivery", datetime(2024, 2, 20), "negative")
        train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 3, 1),
                    params={"n_topics": 3, "tfidf_weight": 0.7})
        session.commit()


def test_competitors_commands_keep_the_list(workspace: Path) -> None:
    assert runner.invoke(app, ["competitors", "set", "Globex", "--alias", "格洛贝克斯", "--json"]).exit_code == 0
    out = json.loads(runner.invoke(app, ["competitors", "list", "--json"]).stdout)
    assert out == {"items": [{"name": "Globex", "aliases": ["格洛贝克斯"]}], "total": 1}
    result = runner.invoke(app, ["competitors", "remove", "Initech"])
    assert result.exit_code == 2 and "Initech" in result.stderr
    assert runner.invoke(app, ["competitors", "remove", "Globex"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["competitors", "list", "--json"]).stdout)["total"] == 0


def test_the_markdown_report_holds_the_computed_numbers(engine: Engine, workspace: Path, tmp_path: Path) -> None:
    _trained(engine)
    assert runner.invoke(app, ["competitors", "set", "Globex"]).exit_code == 0
    target = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "insights", "--from", "2024-02-01", "--to", "2024-02-29", "--format",
                                 "md", "--out", str(target), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["key"]["interactions"] == 17 and out["key"]["competitor_mentions"] == 1
    text = target.read_text(encoding="utf-8")
    assert "17 customer interactions (12 in the previous period)" in text
    assert "| Globex | 1 | 100.0% | 100.0% |" in text and "## Top movers" in text
    assert all(line[2:] in text for line in out["summary"])


def test_the_html_report_is_self_contained_in_chinese(engine: Engine, workspace: Path, tmp_path: Path) -> None:
    _trained(engine)
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "insights", "--from", "2024-02-01", "--to", "2024-02-29", "--lang",
                                 "zh", "--out", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "市场洞察" in page and "17 条客户互动" in page


def test_without_the_topics_model_the_report_says_so(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "insights", "--from", "2024-02-01", "--to", "2024-02-29", "--format",
                                 "md", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "bizpilot train topics" in target.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "insights", "--from", "2024-02-31", "--to", "2024-03-01"])
    assert bad.exit_code == 2 and "--from" in bad.stderr


def test_the_pdf_report_when_a_local_chromium_is_there(engine: Engine, workspace: Path, tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="PDF needs Playwright (a dev dependency)")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no local Chromium at /usr/bin/chromium")
    _trained(engine)
    target = tmp_path / "r.pdf"
    result = runner.invoke(app, ["report", "insights", "--from", "2024-02-01", "--to", "2024-02-29", "--format",
                                 "pdf", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:5] == b"%PDF-"
