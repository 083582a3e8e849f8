"""The workspace's remote endpoint: checked and stored without the key (admins only, audited), tested against a
real loopback OpenAI-compatible server (reachable and probed, unreachable, key refused), shown beside the local
models, and used by content generation with personal data redacted before the prompt leaves the machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bizpilot.db.engine import session_scope
from bizpilot.domain.account import Account
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.contact import Contact
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.errors import Forbidden, ValidationFailed
from bizpilot.llm.registry import clear_cache
from bizpilot.services.auth import Principal
from bizpilot.services.content import generate_content
from bizpilot.services.llmprobe import load_results, model_key
from bizpilot.services.llmprobe.endpoint import (
    SETTING_KEY,
    check_endpoint,
    clear_endpoint,
    endpoint_backend,
    generation_backend,
    get_endpoint,
    save_endpoint,
)
from bizpilot.services.llmprobe.jobs import job_state, request_test, run_endpoint_test, wait_for_tests
from bizpilot.services.llmprobe.overview import configured_models
from tests.services.content.data import seed_small
from tests.services.llmprobe.openai_loopback import MODEL, openai_loopback

ADMIN = Principal(kind="session", name="owner", role="admin")
SALES = Principal(kind="key", name="rep-key", role="write")
SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh_backends() -> None:
    clear_cache()
    yield
    clear_cache()


@pytest.mark.parametrize(("field", "values"), [
    ("base_url", {"base_url": "ftp://example.com/v1"}),
    ("base_url", {"base_url": "https://user:pw@example.com/v1"}),
    ("model", {"model": "two words"}),
    ("api_key_env", {"api_key_env": "DATABASE_URL"}),
    ("api_key_env", {"api_key_env": "BIZPILOT_SECRET_API_KEY"}),
    ("api_key_env", {"api_key_env": "sk-live-abc"}),
])
def test_the_form_values_are_checked_naming_the_field(field: str, values: dict[str, str]) -> None:
    args = {"base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat", "api_key_env": "DEEPSEEK_API_KEY",
            **values}
    with pytest.raises(ValidationFailed) as caught:
        check_endpoint(**args)
    assert caught.value.details[0]["field"] == field


def test_saved_by_admins_only_audited_and_never_with_a_key(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", SECRET)
    with session_scope(engine) as session:
        with pytest.raises(Forbidden):
            save_endpoint(session=session, base_url="https://api.deepseek.com/v1/", model="deepseek-chat",
                          principal=SALES, channel="api")
        saved = save_endpoint(session=session, base_url="https://api.deepseek.com/v1/", model="deepseek-chat",
                              api_key_env="DEEPSEEK_API_KEY", use_for_generation=True, principal=ADMIN,
                              channel="page")
    assert saved.base_url == "https://api.deepseek.com/v1" and saved.api_key_set
    assert saved.key == "openai:deepseek-chat@https://api.deepseek.com/v1"
    with session_scope(engine) as session:
        row = session.get(WorkspaceSetting, SETTING_KEY)
        assert row.value == {"base_url": "https://api.deepseek.com/v1", "model": "deepseek-chat",
                             "api_key_env": "DEEPSEEK_API_KEY", "use_for_generation": True}
        audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "settings")).all()
        assert [(a.action, a.actor, a.channel) for a in audit] == [("update", "owner", "page")]
        assert audit[0].changes[SETTING_KEY][0] is None and audit[0].changes[SETTING_KEY][1] == row.value
        assert SECRET not in json.dumps(row.value) + json.dumps(audit[0].changes)
        assert model_key(endpoint_backend(get_endpoint(session=session))) == saved.key
        assert clear_endpoint(session=session, principal=ADMIN, channel="page") is True
        assert get_endpoint(session=session) is None
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "settings")
                               .order_by(AuditEntry.id)).all() == ["update", "delete"]


def test_a_reachable_endpoint_is_probed_and_its_result_stored(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPBACK_API_KEY", SECRET)
    with openai_loopback() as server:
        endpoint = check_endpoint(base_url=server.url, model=MODEL, api_key_env="LOOPBACK_API_KEY")
        state = run_endpoint_test(endpoint, home=workspace)
    assert state["state"] == "done" and state["reachable"] is True and state["passed"] is True
    assert state["served_models"] == [MODEL] and state["error"] is None
    stored = load_results(home=workspace)[endpoint.key]
    assert stored["passed"] is True and stored["capabilities"] == {"voice": True, "language": True, "facts": True,
                                                                    "form": True}
    assert stored["endpoint"] == {"base_url": server.url, "model": MODEL}
    # the key went only into the Authorization header, and nowhere on disk
    assert {r["headers"].get("Authorization") for r in server.requests} == {f"Bearer {SECRET}"}
    assert len(server.chat_bodies()) == 5   # the one-token check, then the four probe prompts
    for name in ("llm_probe.json", "llm_probe_jobs.json"):
        assert SECRET not in (workspace / name).read_text(encoding="utf-8")


def test_an_unreachable_endpoint_and_a_refused_key_are_told_apart(workspace: Path) -> None:
    with openai_loopback() as server:
        closed = server.url
    gone = check_endpoint(base_url=closed, model=MODEL)
    state = run_endpoint_test(gone, home=workspace)
    assert state["state"] == "failed" and state["reachable"] is False
    assert state["error"].startswith(f"cannot reach {closed}")
    with openai_loopback(status=401) as server:
        refused = check_endpoint(base_url=server.url, model=MODEL)
        state = run_endpoint_test(refused, home=workspace)
    assert state["state"] == "failed" and state["reachable"] is True
    assert "refused the credentials" in state["error"] and state["served_models"] is None
    assert load_results(home=workspace) == {}   # nothing probed, nothing stored


def test_the_background_test_and_the_models_overview(engine: Engine, workspace: Path) -> None:
    with openai_loopback() as server:
        with session_scope(engine) as session:
            endpoint = save_endpoint(session=session, base_url=server.url, model=MODEL, use_for_generation=True,
                                     principal=ADMIN, channel="page")
        assert request_test(endpoint, home=workspace) is True
        wait_for_tests()
    assert job_state(endpoint.key, home=workspace)["state"] == "done"
    with session_scope(engine) as session:
        overview = configured_models(session=session)
    rows = {r["key"]: r for r in overview["models"]}
    assert overview["active"] == endpoint.key and rows[endpoint.key]["active"] is True
    row = rows[endpoint.key]
    assert row["writes"] == "llm" and row["probe"]["passed"] is True and row["test"]["state"] == "done"
    assert row["api_key_env"] == "BIZPILOT_LLM_API_KEY" and row["api_key_set"] is False
    local = rows["local:smollm2"]   # the suite's configured local model, not in use while the endpoint writes
    assert local["configured"] is True and local["active"] is False and local["where"] == "local"


def test_content_goes_to_the_endpoint_with_personal_data_redacted(engine: Engine) -> None:
    seed_small(engine)
    with session_scope(engine) as session:
        account = session.scalar(select(Account).where(Account.external_id == "ACC-T1"))
        session.add(Contact(external_id="C-T1", account_id=account.id, name="Anna Schmidt",
                            email="anna.schmidt@evergreen.example", phone="+49 30 1234 5678"))
    seen: list[str] = []

    def reply(body: dict) -> str:
        seen.append(body["messages"][-1]["content"])
        return ("Hello [NAME_1],\n\nThank you for your question about Thread Locker 400 mL grey.\n\nBest regards,\n"
                "The sales team")

    with openai_loopback(reply=reply) as server, session_scope(engine) as session:
        save_endpoint(session=session, base_url=server.url, model=MODEL, use_for_generation=True,
                      principal=ADMIN, channel="page")
        backend = generation_backend(session=session)
        assert backend.remote and model_key(backend) == f"openai:{MODEL}@{server.url}"
        result = generate_content(session=session, kind="inquiry_reply", account_id="ACC-T1",
                                  product_id="ADH-2001",
                                  inquiry="Hi, Anna Schmidt here (anna.schmidt@evergreen.example, "
                                          "+49 30 1234 5678): is Thread Locker 400 mL grey in stock?")
        sent = "\n".join(server.chat_bodies())
    assert len(seen) == 1 and result.draft is not None
    assert "anna.schmidt@evergreen.example" not in sent and "+49 30 1234 5678" not in sent
    assert "Anna Schmidt" not in sent and "Schmidt" not in sent
    assert "[EMAIL_1]" in seen[0] and "[PHONE_1]" in seen[0] and "[NAME_1]" in seen[0]
    assert result.draft.startswith("Hello Anna Schmidt,")   # the placeholder put back in the answer
