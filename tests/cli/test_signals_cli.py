"""`bizpilot signals analyse`: the CLI owns the session and commits every batch, so a run that stops half way
keeps the batches it finished; rows without text never stall it; `--all` goes over analysed rows once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import bizpilot.services.signals.analysis as analysis
from bizpilot.cli.main import app
from bizpilot.db import get_engine
from bizpilot.db.engine import session_scope
from bizpilot.domain import Interaction

runner = CliRunner()
TEXTS = ["   ", "where is my parcel", "I want a refund, this is terrible", "thanks, great service",
         "my order is late again", "love the product"]


def _seed() -> None:
    with session_scope(get_engine()) as session:
        for i, text in enumerate(TEXTS):
            session.add(Interaction(external_id=f"I{i}", channel="email", text=text,
                                    occurred_at=datetime(2025, 1, 1) + timedelta(days=i)))


def _analysed() -> list[str]:
    with session_scope(get_engine()) as session:
        return list(session.execute(select(Interaction.external_id).where(Interaction.analysed_at.is_not(None))
                                    .order_by(Interaction.id)).scalars())


def test_an_interrupted_run_keeps_its_finished_batches(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    real = analysis.analyse_texts
    calls: list[int] = []

    def third_batch_fails(texts: list[str], **kwargs: Any) -> Any:
        calls.append(len(texts))
        if len(calls) == 3:
            raise RuntimeError("stopped during the third batch")
        return real(texts, **kwargs)

    monkeypatch.setattr(analysis, "analyse_texts", third_batch_fails)
    result = runner.invoke(app, ["signals", "analyse", "--batch-size", "2"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert calls == [1, 2, 2]  # the blank first row is skipped, not sent to the models
    assert _analysed() == ["I1", "I2", "I3"]  # batches one and two were committed

    monkeypatch.setattr(analysis, "analyse_texts", real)
    result = runner.invoke(app, ["signals", "analyse", "--batch-size", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["analysed"], report["skipped_empty"]) == (2, 1)  # the rest, and the blank row again
    assert _analysed() == ["I1", "I2", "I3", "I4", "I5"]
    assert result.stderr == "  3/3\n"  # progress on stderr (three rows selected: I0, I4, I5)


def test_all_reanalyses_once_within_the_limit(workspace: Path) -> None:
    _seed()
    assert json.loads(runner.invoke(app, ["signals", "analyse", "--json"]).stdout)["analysed"] == 5
    result = runner.invoke(app, ["signals", "analyse", "--all", "--limit", "4", "--batch-size", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["analysed"], report["skipped_empty"]) == (3, 1)
    nothing_new = json.loads(runner.invoke(app, ["signals", "analyse", "--json"]).stdout)
    assert (nothing_new["analysed"], nothing_new["skipped_empty"]) == (0, 1)
