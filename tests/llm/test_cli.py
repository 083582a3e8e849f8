"""`bizpilot llm models|chat` as scripts use them: JSON or text on stdout, statistics on stderr, exit 2 on errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import reset_settings
from tests.llm.conftest import require_llama
from tests.llm.servers import MODEL_ALIAS, RecordingProxy

runner = CliRunner()


@pytest.fixture
def llm_env(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with the default (local, bundled) model on one thread (see conftest.THREADS)."""
    require_llama()
    monkeypatch.setenv("BIZPILOT_LLM_THREADS", "1")
    monkeypatch.setenv("BIZPILOT_LLM_CONTEXT", "2048")
    reset_settings()
    return workspace


def test_models_json_for_the_bundled_model(llm_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_LLM_MODEL", "smollm2")   # the fast one, even where the 1.5B is installed
    reset_settings()
    result = runner.invoke(app, ["llm", "models", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["backend"] == "local" and info["loads"] and info["answers"] and info["error"] is None
    assert info["packaged"] == "smollm2" and info["model_path"].endswith(".gguf") and info["n_threads"] == 1
    assert {"local", "openai"} <= set(info["available"]) and info["check"]["completion_tokens"] <= 1
    log = llm_env / "logs" / "llm_calls.jsonl"
    assert json.loads(log.read_text().splitlines()[-1])["tag"] == "check"


def test_models_json_for_an_openai_endpoint(llm_env: Path, monkeypatch: pytest.MonkeyPatch,
                                            proxy_session: tuple[RecordingProxy, str]) -> None:
    _, url = proxy_session
    monkeypatch.setenv("BIZPILOT_LLM_BACKEND", "openai")
    monkeypatch.setenv("BIZPILOT_LLM_BASE_URL", url)
    reset_settings()
    result = runner.invoke(app, ["llm", "models", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["backend"] == "openai" and info["remote"] and info["base_url"] == url
    assert info["api_key"] == "not set" and info["answers"] and info["check"]["model"] == MODEL_ALIAS


def test_models_reports_a_model_that_does_not_load(llm_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZPILOT_LLM_MODEL_PATH", str(llm_env / "missing.gguf"))
    reset_settings()
    result = runner.invoke(app, ["llm", "models", "--json"])
    assert result.exit_code == 2
    info = json.loads(result.stdout)
    assert info["loads"] is False and "missing.gguf" in info["error"]["message"]


def test_chat_prints_the_answer_on_stdout_and_stats_on_stderr(llm_env: Path) -> None:
    args = ["llm", "chat", "Name one tool.", "--system", "default", "--max-tokens", "8"]
    plain = runner.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip() and "tok/s" in plain.stderr and "local" in plain.stderr
    streamed = runner.invoke(app, [*args, "--stream"])
    assert streamed.exit_code == 0, streamed.output
    assert streamed.stdout == plain.stdout  # temperature 0: the same answer, delivered in pieces


def test_chat_with_a_json_schema(llm_env: Path, tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"colour": {"type": "string", "maxLength": 12}},
              "required": ["colour"], "additionalProperties": False}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    result = runner.invoke(app, ["llm", "chat", "What colour is the sky? Answer in JSON.", "--json-schema",
                                 str(path), "--max-tokens", "32", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    jsonschema.validate(json.loads(out["text"]), schema)
    assert out["stats"]["backend"] == "local"


def test_chat_rejects_a_bad_schema_file(llm_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["llm", "chat", "hi", "--json-schema", str(path)])
    assert result.exit_code == 2 and "is not valid JSON" in result.stderr


def test_probe_stores_its_result_and_models_shows_it(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.llm.models import PACKAGED_MODELS, default_model
    from bizpilot.services.llmprobe.probe import CASES
    from tests.llm.scripted_env import scripted_llm
    from tests.services.llmprobe.test_probe import BUYER, GOOD

    def script(replies: dict[str, str]) -> dict[str, object]:
        return {"rules": [
            {"tag": "llm.probe", "pattern": re.escape(c.prompt[:30]), "reply": replies[c.id]} for c in CASES]}

    with scripted_llm(monkeypatch, workspace / "script.json", script(GOOD)):
        result = runner.invoke(app, ["llm", "probe", "--json"])
        assert result.exit_code == 0, result.output
        probe = json.loads(result.stdout)
        assert probe["model"] == "scripted:script" and probe["passed"] and probe["score"] == 1.0
        assert [c["id"] for c in probe["cases"]] == [c.id for c in CASES]
        assert "email_en: ok" in result.stderr
        stored = json.loads((workspace / "llm_probe.json").read_text())
        assert stored["scripted:script"]["passed"] is True

        models = runner.invoke(app, ["llm", "models", "--json"])
        assert models.exit_code == 0, models.output
        info = json.loads(models.stdout)
        assert info["probe"]["passed"] is True and info["probe"]["date"] == probe["date"]
        assert info["probe"]["capabilities"] == {"voice": True, "language": True, "facts": True, "form": True}
        catalogue = {row["name"]: row for row in info["catalogue"]}
        assert list(catalogue) == list(PACKAGED_MODELS)
        assert [n for n, row in catalogue.items() if row["default"]] == [default_model()]
        assert catalogue["qwen2.5-coder-1.5b"]["extra"] == "llm-large"

    with scripted_llm(monkeypatch, workspace / "script.json", script({**GOOD, "email_en": BUYER})):
        result = runner.invoke(app, ["llm", "probe"])
        assert result.exit_code == 1
        assert "email_en: failed: voice, facts, form" in result.stderr and "scripted:script: failed" in result.stderr
    stored = json.loads((workspace / "llm_probe.json").read_text())
    assert stored["scripted:script"]["passed"] is False
