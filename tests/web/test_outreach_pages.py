"""The follow-up page of a task and the outbox: draft with CSRF, read the draft with the facts behind each sentence
and the model that wrote it, edit, send (queued without SMTP, sent to a real SMTP server on loopback), discard,
errors shown on the form, read-only for a role that only reads, and the Chinese texts."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Task
from bizpilot.domain.outreach import OutboxMessage
from tests.api.conftest import auth_headers, new_key
from tests.services.outreach_data import make_task, product_id, smtp_server
from tests.services.sample_data import load_sample
from tests.web.conftest import csrf_token


@pytest.fixture
def task_id(engine: Engine) -> int:
    ids = load_sample(engine)
    with session_scope(engine) as session:
        task = make_task(session, ids["ACME"], "reorder", product_id=product_id(session, "MUG-01"))
        task.reason = "Ceramic mug is due for a reorder (every 30 days)."
        return task.id


def _message(engine: Engine, task_id: int) -> OutboxMessage:
    with Session(engine) as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.task_id == task_id)
                               .order_by(OutboxMessage.id.desc())).first()


def _draft(client: TestClient, task_id: int, token: str, **form: str) -> str:
    resp = client.post(f"/tasks/{task_id}/follow-up", data={"csrf_token": token, **form}, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]
    assert resp.headers["location"] == f"/tasks/{task_id}/follow-up?done=drafted"
    return client.get(resp.headers["location"]).text


def test_draft_edit_and_send_from_a_task(engine: Engine, browser_client: TestClient, task_id: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    page = browser_client.get(f"/tasks/{task_id}/follow-up").text
    assert 'id="draft-form"' in page and 'id="no-draft"' in page and 'id="message-form"' not in page
    assert '<option value="reorder_reminder" selected>' in page  # the purpose of a reorder task
    assert "Ceramic mug is due for a reorder (every 30 days)." in page
    token = csrf_token(browser_client, f"/tasks/{task_id}/follow-up")
    assert browser_client.post(f"/tasks/{task_id}/follow-up", data={"language": "en"}).status_code == 403  # no CSRF
    page = html.unescape(_draft(browser_client, task_id, token, language="en"))
    assert 'id="done"' in page and "Draft written" in page
    assert 'value="Time to reorder Ceramic mug?"' in page and 'value="li.wei@acme.example"' in page
    assert "Based on your usual ordering rhythm, Ceramic mug should be due for a reorder soon." in page
    assert "product.name = Ceramic mug" in page and "order.last.date = 2024-03-02" in page
    assert "deterministic" in page and 'id="fallback"' in page
    message = _message(engine, task_id)

    saved = browser_client.post(f"/outbox/{message.id}", data={
        "csrf_token": token, "action": "save", "subject": "Mugs for the spring fair?",
        "to_address": "li.wei@acme.example", "body": message.body}, follow_redirects=False)
    assert saved.headers["location"] == f"/tasks/{task_id}/follow-up?done=saved"
    queued = browser_client.post(f"/outbox/{message.id}", data={
        "csrf_token": token, "action": "send", "subject": "Mugs for the spring fair?",
        "to_address": "li.wei@acme.example", "body": message.body}, follow_redirects=False)
    assert queued.headers["location"] == f"/tasks/{task_id}/follow-up?done=queued"
    page = browser_client.get(queued.headers["location"]).text
    assert 'id="note"' in page and "sending is not configured" in page and 'data-status="queued"' in page

    with smtp_server() as (inbox, port):
        monkeypatch.setenv("BIZPILOT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("BIZPILOT_SMTP_PORT", str(port))
        monkeypatch.setenv("BIZPILOT_SMTP_FROM", "sales@bizpilot.example")
        reset_settings()
        sent = browser_client.post(f"/outbox/{message.id}", data={
            "csrf_token": token, "action": "send", "subject": "Mugs for the spring fair?",
            "to_address": "li.wei@acme.example", "body": message.body + "\n\nPS: 谢谢！"}, follow_redirects=False)
    assert sent.headers["location"] == f"/tasks/{task_id}/follow-up?done=sent"
    [(_, _, received)] = inbox.received
    assert received["Subject"] == "Mugs for the spring fair?" and received.get_content().rstrip().endswith("谢谢！")
    page = browser_client.get(sent.headers["location"]).text
    assert 'id="sent-info"' in page and 'id="message-form"' not in page and 'data-status="sent"' in page
    with Session(engine) as session:
        assert session.get(Task, task_id).status == "done"
    outbox = browser_client.get("/outbox").text
    sent_rows = outbox.split('id="sent-h"')[1]
    assert f'href="/outbox/{message.id}"' in sent_rows and "Mugs for the spring fair?" in sent_rows
    assert 'id="outbox-failed"' not in outbox and "Nothing failed." in outbox


def test_errors_keep_what_was_typed_and_discard(engine: Engine, browser_client: TestClient, task_id: int) -> None:
    token = csrf_token(browser_client, f"/tasks/{task_id}/follow-up")
    _draft(browser_client, task_id, token)
    message = _message(engine, task_id)
    assert message.language == "zh" and message.subject == "Ceramic mug补货提醒"
    bad = browser_client.post(f"/outbox/{message.id}", data={
        "csrf_token": token, "action": "save", "subject": "Typed subject", "to_address": "not-an-address",
        "body": "Typed body"})
    assert bad.status_code == 422 and 'id="outreach-error"' in bad.text and "not-an-address" in bad.text
    assert 'value="Typed subject"' in bad.text and ">Typed body</textarea>" in bad.text
    assert _message(engine, task_id).subject == "Ceramic mug补货提醒"  # nothing was stored
    outbox = browser_client.get("/outbox").text
    assert f'href="/outbox/{message.id}"' in outbox.split('id="drafts-h"')[1].split('id="failed-h"')[0]
    gone = browser_client.post(f"/outbox/{message.id}", data={"csrf_token": token, "action": "discard"},
                               follow_redirects=False)
    assert gone.headers["location"] == f"/tasks/{task_id}/follow-up?done=discarded"
    page = browser_client.get(gone.headers["location"]).text
    assert 'id="no-draft"' in page and "Draft discarded." in page
    assert _message(engine, task_id).status == "discarded"
    assert browser_client.get("/tasks/987654/follow-up").status_code == 404


def test_read_only_roles_see_no_controls_and_chinese(engine: Engine, browser_client: TestClient,
                                                     task_id: int) -> None:
    token = csrf_token(browser_client, f"/tasks/{task_id}/follow-up")
    _draft(browser_client, task_id, token)
    message = _message(engine, task_id)
    reader = TestClient(create_app(), headers=auth_headers(new_key(engine, "read")))
    page = reader.get(f"/tasks/{task_id}/follow-up").text
    assert 'id="draft-form"' not in page and 'id="message-form"' not in page
    assert 'id="body-text"' in page and html.escape(message.subject) in page
    assert reader.post(f"/outbox/{message.id}", data={"action": "discard"}).status_code == 403
    zh = browser_client.get(f"/outbox/{message.id}?lang=zh").text
    assert "跟进邮件" in zh and "保存草稿" in zh and "尚未配置邮件发送" in zh
    outbox = browser_client.get("/outbox?lang=zh").text
    assert "发件箱" in outbox and "草稿与待发送" in outbox
    assert re.search(r'<span class="tag status-draft">草稿</span>', outbox)
