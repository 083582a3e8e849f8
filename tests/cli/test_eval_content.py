"""`bizpilot eval content` on the small catalog: one JSON object with the rates overall and per kind, nothing
stored, an unknown kind named; and a scripted model whose draft writes as the buyer is counted in the drafts'
lint rate, never in what is shown."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.domain.ops import GeneratedContent
from tests.llm.scripted_env import scripted_llm
from tests.services.content.data import seed_small

runner = CliRunner()
KEYS = {"n", "lint_fail_rate", "lint_fail_rate_draft", "fact_error_rate", "fallback_rate", "llm_kept_rate",
        "seconds_per_item"}


def test_eval_content_deterministic(engine: Engine) -> None:
    seed_small(engine)
    result = runner.invoke(app, ["eval", "content", "--kinds", "sales-email,call_script,ad", "--sample", "2",
                                 "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert KEYS <= set(out) and set(out["by_kind"]) == {"sales_email", "call_script", "ad"}
    assert out["n"] == 1 + 1 + 2  # the one account; two of the three products
    assert (out["lint_fail_rate"], out["lint_fail_rate_draft"], out["fact_error_rate"]) == (0.0, 0.0, 0.0)
    assert (out["fallback_rate"], out["llm_kept_rate"]) == (1.0, 0.0)
    assert out["by_kind"]["ad"]["n"] == 2 and KEYS <= set(out["by_kind"]["call_script"])
    with Session(engine) as s:
        assert s.scalar(select(func.count(GeneratedContent.id))) == 0  # nothing is stored
    bad = runner.invoke(app, ["eval", "content", "--kinds", "poem", "--json"])
    assert bad.exit_code == 2 and "poem" in bad.output


def test_eval_content_counts_a_buyer_voice_draft_but_never_shows_it(engine: Engine, tmp_path: Path,
                                                                    monkeypatch) -> None:  # noqa: ANN001
    seed_small(engine)
    draft = ("Hello Evergreen Hospitality Group Ltd,\n\nWe would like to order more Thread Locker 400 mL grey for "
             "our order.\n\nPlease reply to this email.\n\nBest regards,\n[NAME_1]")
    with scripted_llm(monkeypatch, tmp_path / "s.json", {"rules": [{"tag": "letter.*", "reply": draft}]}):
        result = runner.invoke(app, ["eval", "content", "--kinds", "sales_email", "--sample", "1", "--llm",
                                     "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["n"], out["lint_fail_rate_draft"], out["lint_fail_rate"], out["fact_error_rate"]) == (1, 1.0, 0.0,
                                                                                                     0.0)
    assert out["fallback_rate"] == 1.0 and {"voice", "placeholders"} <= set(out["failed_checks_draft"])


def test_eval_content_seed_and_a_shortened_product_name(engine: Engine, tmp_path: Path,
                                                        monkeypatch) -> None:  # noqa: ANN001
    """``--seed`` is reported (null without it, the sample as before); a draft that shortens the product's name so
    it fits both thread lockers fails ``product_names`` and is replaced, with the model seeded through the proxy."""
    seed_small(engine)
    plain = json.loads(runner.invoke(app, ["eval", "content", "--kinds", "ad", "--sample", "2", "--json"]).stdout)
    seeded = runner.invoke(app, ["eval", "content", "--kinds", "ad", "--sample", "2", "--seed", "3", "--json"])
    assert seeded.exit_code == 0, seeded.output
    assert (plain["seed"], json.loads(seeded.stdout)["seed"], json.loads(seeded.stdout)["n"]) == (None, 3, 2)
    draft = ("Hello Evergreen Hospitality Group Ltd,\n\nThank you for your order of 8 units of Thread Locker 400 mL "
             "grey on 2024-06-01. I hope the Thread Locker arrived as you needed it.\n\nIs there anything else we "
             "can add? Just reply to this email.\n\nBest regards,\nThe sales team")
    with scripted_llm(monkeypatch, tmp_path / "s.json", {"rules": [{"tag": "letter.*", "reply": draft}]}):
        result = runner.invoke(app, ["eval", "content", "--kinds", "sales_email", "--sample", "1", "--llm",
                                     "--seed", "5", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["seed"], out["n"], out["llm_kept_rate"], out["lint_fail_rate"]) == (5, 1, 0.0, 0.0)
    assert out["failed_checks_draft"] == {"product_names": 1}
