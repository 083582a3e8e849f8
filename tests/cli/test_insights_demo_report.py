"""`bizpilot report insights` on a small generated demo workspace (the demo generator over nine months,
imported through the normal pipeline; topics trained with TF-IDF only, so it stays quick): Markdown, HTML and,
where a local Chromium is there, PDF, each holding the spikes and the product/category performance sections and a
summary whose every sentence passed the check."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.ingest.demo import ENTITY_ORDER, generate_demo
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.models.training import train_model

runner = CliRunner()
START = date(2024, 1, 1)


@pytest.fixture
def small_demo(engine: Engine) -> tuple[str, str]:
    frames = generate_demo(seed=7, start=START, years=0.75)
    for entity in ENTITY_ORDER:
        if entity != "knowledge":
            assert import_frame(entity, frames[entity], source=f"test:{entity}", engine=engine).rejected == 0
    end = max(frames["interactions"]["occurred_at"]).date()
    with Session(engine) as session:
        outcome = train_model(TOPICS, session=session, trigger="test", as_of=datetime.combine(end, datetime.min.time())
                              + timedelta(days=1), params={"n_topics": 4, "tfidf_weight": 1.0, "llm_labels": False})
        session.commit()
        assert outcome.status == "finished", outcome.message
    return (end - timedelta(days=44)).isoformat(), end.isoformat()


def _report(period: tuple[str, str], fmt: str, target: Path, lang: str = "en") -> dict:
    result = runner.invoke(app, ["report", "insights", "--from", period[0], "--to", period[1], "--format", fmt,
                                 "--lang", lang, "--out", str(target), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_report_in_every_format(small_demo: tuple[str, str], workspace: Path, tmp_path: Path) -> None:
    out = _report(small_demo, "md", tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert out["key"]["interactions"] > 0 and out["key"]["topics"] >= 2
    for heading in ("## Sudden spikes", "## Products and categories", "### Top movers up", "### Returns",
                    "### Review sentiment by aspect", "## Topics"):
        assert heading in md
    assert "| Category | Net revenue |" in md and "no cost data" in md  # the demo's products carry no cost
    assert any(line.startswith("Net revenue ") for line in out["summary"])
    assert all(f"- {line}" in md for line in out["summary"])

    zh = _report(small_demo, "html", tmp_path / "r.html", "zh")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h2>突增</h2>" in page and "<h2>产品与品类</h2>" in page and "无成本数据" in page
    assert "<script" not in page and any(line.startswith("净销售额") for line in zh["summary"])

    if Path("/usr/bin/chromium").exists():
        pytest.importorskip("playwright.sync_api", reason="PDF needs Playwright (a dev dependency)")
        _report(small_demo, "pdf", tmp_path / "r.pdf")
        assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
