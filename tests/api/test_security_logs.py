"""No secret in any log: sign-ins, login links, key creation, webhook secrets, the SMTP password and requests with
keys, against a real uvicorn at DEBUG (its access log included), must leave none of them in the captured records."""

from __future__ import annotations

import logging
import threading
import time
from email.message import EmailMessage

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine

from bizpilot.api.logfilter import redact
from bizpilot.app import create_app
from bizpilot.config import Settings, reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.errors import BizpilotError
from bizpilot.services.auth import create_login_token, set_password
from bizpilot.services.mail import deliver
from bizpilot.services.users import create_user
from tests.api.conftest import new_key
from tests.live_server import free_port
from tests.services.outreach_data import smtp_server

PASSWORD = "Sup3r-secret-pw!"
SMTP_PASSWORD = "smtp-Pa55word-xyz"
# The test's own HTTP client logs the URLs it requests; it is not the product.
CLIENT_LOGGERS = ("httpx", "httpcore")


def test_redact_covers_links_keys_and_secret_parameters() -> None:
    line = 'GET /login/token/AbCdEfGhIjKlMnOp123?next=/&token=zzz999&key=bp_12_secretsecret HTTP/1.1'
    out = redact(line)
    assert "AbCdEfGhIjKlMnOp123" not in out and "/login/token/AbCd" in out
    assert "zzz999" not in out and "secretsecret" not in out and "next=/" in out
    assert "abcdefghijkl" not in redact("Authorization: Bearer bp_1_abcdefghijkl")
    assert redact("Bearer 0123456789abcdef") == "Bearer [redacted]"


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Engine:
    monkeypatch.setenv("BIZPILOT_SMTP_PASSWORD", SMTP_PASSWORD)  # as settings read it from the environment
    monkeypatch.setenv("BIZPILOT_LOG_LEVEL", "DEBUG")
    reset_settings()
    return engine


def test_no_secret_reaches_the_logs(smtp_env: Engine, caplog: pytest.LogCaptureFixture) -> None:
    engine = smtp_env
    with session_scope(engine) as session:
        create_user(session=session, name="alice", email="alice@example.com", role="admin", password=PASSWORD)
        set_password(session=session, password=PASSWORD)
        link = create_login_token(session=session)
    admin_key = new_key(engine, "admin", "log-admin")
    caplog.set_level(logging.DEBUG)
    app = create_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug", access_log=True))
    # uvicorn's own logging config (applied above, as `bizpilot serve` does) stops its loggers from propagating:
    # listen on them directly, behind the filters they carry
    server_loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    for logger in server_loggers:
        logger.addHandler(caplog.handler)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    base = f"http://127.0.0.1:{port}"
    secrets = [PASSWORD, SMTP_PASSWORD, link, admin_key, admin_key.split("_")[-1]]
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as web:
            assert web.post("/login", data={"login": "alice", "password": "wrong " + PASSWORD}).status_code == 401
            assert web.post("/login", data={"login": "alice", "password": PASSWORD}).status_code == 303
            assert httpx.get(f"{base}/login/token/{link}?next=/settings", follow_redirects=False).status_code == 303
        headers = {"Authorization": f"Bearer {admin_key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            made = api.post("/api/v1/keys", json={"name": "made-in-test", "role": "write"})
            assert made.status_code == 201
            secrets.append(made.json()["key"])
            hook = api.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
            assert hook.status_code == 201, hook.text
            secrets += [v for k, v in hook.json().items() if k == "secret" and isinstance(v, str)]
            # a secret pasted into a query string still stays out of the access log
            assert api.get("/api/v1/health", params={"key": admin_key, "token": link}).status_code == 200
            assert api.get("/api/v1/accounts", headers={"X-API-Key": made.json()["key"]}).status_code == 200
        # the SMTP password is sent to a real loopback server, which refuses it: the failure is logged, not it
        message = EmailMessage()
        message["To"], message["From"], message["Subject"] = "x@example.com", "y@example.com", "hi"
        message.set_content("hello")
        with smtp_server(auth=True) as (inbox, smtp_port):
            settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_username="mailer",
                                smtp_password=SecretStr(SMTP_PASSWORD), smtp_starttls=False)
            with pytest.raises(BizpilotError):
                deliver(message, settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for logger in server_loggers:
            logger.removeHandler(caplog.handler)
    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert any(r.name == "uvicorn.access" for r in records)  # the access log was captured
    assert any("/login/token/" in r.getMessage() for r in records)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    leaked = [s[:6] + "…" for s in secrets if s and s in logged]
    assert leaked == []
