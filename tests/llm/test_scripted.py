"""The scripted backend: prepared answers chosen by rule or queue, errors on cue, every request recorded, and
the base's retries, token accounting and call log around it exactly as for the other backends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bizpilot.config import Settings, reset_settings
from bizpilot.errors import ConfigError, LLMError, LLMTimeout, LLMUnavailable
from bizpilot.llm import BACKENDS, CallLog, ChatOptions, Message, get_backend
from bizpilot.llm.scripted import ScriptedBackend


def test_registered_by_importing_the_registry_alone() -> None:
    """Whatever a caller imports first, the registry knows the built-in backends (no import-order surprises)."""
    code = ("from bizpilot.llm.registry import BACKENDS, backend_class; "
            "print(backend_class('scripted').__name__, sorted(BACKENDS))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "ScriptedBackend ['local', 'openai', 'scripted']"
    assert BACKENDS["scripted"] is ScriptedBackend and not ScriptedBackend.remote


def test_queue_is_played_in_order_and_every_request_is_recorded() -> None:
    backend = ScriptedBackend(["first", "second"], call_log=CallLog())
    one = backend.generate([Message.system("Be brief."), Message.user("Question one?")], ChatOptions(tag="t@v1"))
    two = backend.generate("Question two?", ChatOptions(max_tokens=50, seed=3))
    assert (one.text, two.text) == ("first", "second")
    assert one.backend == "scripted" and one.model == "scripted" and one.attempts == 1
    first, second = backend.requests
    assert first.system == "Be brief." and first.user == "Question one?" and first.tag == "t@v1"
    assert first.prompt == "Be brief.\n\nQuestion one?" and first.reply == "first" and first.error is None
    assert second.options.max_tokens == 50 and second.options.seed == 3 and backend.last_request() is second
    with pytest.raises(LLMError, match="no reply left for this request.*'Question three"):
        backend.generate("Question three?")
    assert isinstance(backend.requests[-1].error, LLMError) and backend.requests[-1].reply is None


def test_rules_match_by_tag_glob_and_prompt_pattern_before_the_queue() -> None:
    backend = ScriptedBackend(["from the queue"], default="default answer")
    backend.add_rule("content answer", tag="content.*").add_rule("about pumps", pattern=r"\bpumps?\b")
    backend.add_rule("tagged and about glue", tag="suggest-*", pattern="glue")
    assert backend.generate("anything", ChatOptions(tag="content.en@v1+abc")).text == "content answer"
    assert backend.generate("Do you sell pumps?").text == "about pumps"
    assert backend.generate("glue?", ChatOptions(tag="suggest-v1")).text == "tagged and about glue"
    assert backend.generate("glue?", ChatOptions(tag="other")).text == "from the queue"  # tag does not match
    assert backend.generate("glue?").text == "default answer"  # queue empty
    assert backend.generate("glue?").text == "default answer"


def test_the_liveness_check_answers_without_consuming_the_queue() -> None:
    backend = ScriptedBackend(["kept for the real call"])
    check = backend.check()
    assert check.text == "OK" and check.usage.completion_tokens == 1
    assert backend.generate("real call").text == "kept for the real call"


def test_transient_errors_are_retried_and_the_retry_takes_the_next_reply() -> None:
    backend = ScriptedBackend([LLMUnavailable("server busy"), "after the retry"], max_retries=2, call_log=CallLog())
    completion = backend.generate("hi")
    assert completion.text == "after the retry" and completion.attempts == 2
    assert [type(r.error) for r in backend.requests] == [LLMUnavailable, type(None)]
    assert backend.call_log.last()["retry_delays"] == [0.0]  # a script has nothing to wait for


def test_a_rule_can_fail_a_set_number_of_times() -> None:
    backend = ScriptedBackend(max_retries=3).add_rule(LLMUnavailable, pattern="hi", times=2)
    backend.add_rule("third time lucky", pattern="hi")
    assert backend.generate("hi").attempts == 3
    assert backend.generate("hi").attempts == 1  # the failing rule is used up


def test_timeouts_and_permanent_errors_are_not_retried_and_are_logged() -> None:
    backend = ScriptedBackend([LLMTimeout("scripted: model too slow"), "never reached"], max_retries=3,
                              call_log=CallLog())
    with pytest.raises(LLMTimeout, match="too slow"):
        backend.generate("hi")
    assert len(backend.requests) == 1 and list(backend.replies) == ["never reached"]
    record = backend.call_log.last()
    assert record["ok"] is False and record["error"] == "llm_timeout" and record["attempts"] == 1
    assert backend.totals.failures == 1 and backend.totals.calls == 1


def test_max_tokens_stop_and_streaming_behave_like_a_model() -> None:
    backend = ScriptedBackend(default="Once upon a time there was a warehouse.")
    cut = backend.generate("story", ChatOptions(max_tokens=5))
    assert cut.text == "Once upon a time" and cut.finish_reason == "length" and cut.usage.completion_tokens == 5
    whole = backend.generate("story", ChatOptions(max_tokens=100))
    assert whole.text == "Once upon a time there was a warehouse." and whole.finish_reason == "stop"
    assert whole.usage.estimated and whole.usage.completion_tokens == backend.estimate_tokens(whole.text)
    stopped = backend.generate("story", ChatOptions(stop=(" there", "xyz")))
    assert stopped.text == "Once upon a time" and stopped.finish_reason == "stop"
    chunks = list(backend.stream("story"))
    assert chunks == ["Once", " upon", " a", " time", " there", " was", " a", " warehouse."]
    assert list(ScriptedBackend(default="库存充足 ok").stream("x")) == ["库", "存", "充", "足", " ok"]


def test_json_schema_answers_are_checked_by_the_base() -> None:
    schema = {"type": "object", "properties": {"qty": {"type": "integer"}}, "required": ["qty"]}
    backend = ScriptedBackend(['{"qty": 3}', '{"qty": "three"}'])
    assert backend.generate("hi", ChatOptions(json_schema=schema)).json() == {"qty": 3}
    with pytest.raises(LLMError, match="does not match the JSON schema at qty"):
        backend.generate("hi", ChatOptions(json_schema=schema))


def test_token_totals_and_call_log_come_from_the_base(tmp_path: Path) -> None:
    log = tmp_path / "llm_calls.jsonl"
    backend = ScriptedBackend(["x" * 40, "short"], call_log=CallLog(log))
    backend.generate("prompt text", ChatOptions(tag="demo@v1"))
    backend.generate("prompt text")
    assert backend.totals.calls == 2 and backend.totals.completion_tokens == 10 + 1
    first = json.loads(log.read_text().splitlines()[0])
    assert first["backend"] == "scripted" and first["tag"] == "demo@v1" and first["completion_tokens"] == 10
    assert "x" * 40 not in log.read_text()  # timing and tokens, never text


def _write_script(path: Path, script: object) -> Path:
    path.write_text(json.dumps(script), encoding="utf-8")
    return path


def test_settings_select_it_with_a_script_file(tmp_path: Path) -> None:
    script = _write_script(tmp_path / "demo-script.json", {
        "rules": [{"tag": "content.*", "reply": "Prepared copy."},
                  {"pattern": "slow", "error": "timeout", "message": "scripted slowness"}],
        "replies": ["one", {"error": "unavailable"}, {"reply": "two"}],
        "default": "fallback text"})
    settings = Settings(home=tmp_path / "ws", llm_backend="scripted", llm_model_path=script, llm_max_retries=1,
                        llm_call_log=False)
    backend = get_backend(settings)
    assert isinstance(backend, ScriptedBackend) and backend.model_name == "demo-script"
    assert backend.describe() == {"backend": "scripted", "model": "demo-script", "remote": False, "rules": 2,
                                  "replies_left": 3, "default": True}
    assert backend.generate("x", ChatOptions(tag="content.en@v1")).text == "Prepared copy."
    assert backend.generate("x").text == "one"
    retried = backend.generate("x")
    assert retried.text == "two" and retried.attempts == 2
    with pytest.raises(LLMTimeout, match="scripted slowness"):
        backend.generate("too slow")
    assert backend.generate("x").text == "fallback text"
    assert get_backend(settings) is backend  # built once per configuration...
    _write_script(script, ["edited"])
    rebuilt = get_backend(settings)  # ...and again once the script file changed
    assert rebuilt is not backend and rebuilt.generate("x").text == "edited"


def test_without_a_script_only_the_check_answers(tmp_path: Path) -> None:
    backend = get_backend(Settings(home=tmp_path, llm_backend="scripted", llm_call_log=False), cached=False)
    assert backend.check().text == "OK"
    with pytest.raises(LLMError, match="no reply left"):
        backend.generate("Write an ad.")


@pytest.mark.parametrize("script,message", [
    ({"rules": [{"reply": "x", "when": "always"}]}, "rules\\[0\\]: unknown keys when"),
    ({"rules": [{"pattern": "(", "reply": "x"}]}, "not a regular expression"),
    ({"rules": [{"reply": "x", "times": 0}]}, "rules\\[0\\].times must be a positive integer"),
    ({"replies": [{"error": "boom"}]}, "replies\\[0\\].error must be one of timeout, unavailable, error"),
    ({"replies": [42]}, "replies\\[0\\] must be a string"),
    ({"answers": []}, "unknown keys in the script: answers"),
])
def test_bad_scripts_name_the_entry(tmp_path: Path, script: object, message: str) -> None:
    path = _write_script(tmp_path / "bad.json", script)
    with pytest.raises(ConfigError, match=message):
        ScriptedBackend.from_file(path)


def test_missing_or_broken_script_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="script file not found.*BIZPILOT_LLM_MODEL_PATH"):
        ScriptedBackend.from_file(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        ScriptedBackend.from_file(broken)


def test_cli_chat_and_models_with_the_scripted_backend(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bizpilot.cli.main import app

    script = _write_script(workspace.parent / "cli-script.json",
                           {"rules": [{"pattern": "fasteners", "reply": "Bolts, nuts and washers."}]})
    monkeypatch.setenv("BIZPILOT_LLM_BACKEND", "scripted")
    monkeypatch.setenv("BIZPILOT_LLM_MODEL_PATH", str(script))
    reset_settings()
    runner = CliRunner()
    chat = runner.invoke(app, ["llm", "chat", "Name three fasteners"])
    assert chat.exit_code == 0, chat.output
    assert chat.stdout.strip() == "Bolts, nuts and washers."
    models = runner.invoke(app, ["llm", "models", "--json"])
    assert models.exit_code == 0, models.output
    info = json.loads(models.stdout)
    assert info["backend"] == "scripted" and info["model"] == "cli-script" and info["answers"] is True
    assert "scripted" in info["available"]
