"""`bizpilot llm models|chat` as scripts use them: JSON or text on stdout, statistics on stderr, exit 2 on errors."""

from __future__ import annotations

import json
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


def test_models_json_for_the_bundled_model(llm_env: Path) -> None:
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
