"""Sending follow-ups: by SMTP to a real server on loopback (aiosmtpd), never a mock of smtplib. What the server
receives (headers, UTF-8 Chinese text), the sent message logged as an outbound e-mail Interaction and its task
completed, a login, refusals and an unreachable server recorded as failures, and no SMTP settings: queued."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.config import Settings
from bizpilot.domain import Account, Interaction, Task
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.outreach import OutboxMessage
from bizpilot.errors import ConflictError, Forbidden, ValidationFailed
from bizpilot.services.auth import SYSTEM
from bizpilot.services.followups import draft_followup
from bizpilot.services.mail import NOT_CONFIGURED, Envelope, build_message
from bizpilot.services.outbox import (
    discard_message,
    note_for,
    send_message,
    send_queued,
    update_message,
)
from tests.services.outreach_data import free_port, make_task, make_user, product_id, smtp_server

FROM = "sales@bizpilot.example"


def smtp(port: int, **extra: object) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from=FROM, smtp_timeout_s=10, **extra)  # type: ignore[arg-type]


def _reorder_draft(session: Session, account_id: int, **task: object) -> OutboxMessage:
    t = make_task(session, account_id, "reorder", product_id=product_id(session, "MUG-01"), **task)
    return draft_followup(session=session, task_id=t.id, principal=SYSTEM, use_llm=False)


def test_a_sent_message_arrives_in_utf8_and_is_logged_as_an_outbound_email(
        sample_session: Session, sample: dict[str, int], engine: Engine) -> None:
    rep, principal = make_user(sample_session, "mia", "sales", "mia@bizpilot.example")
    sample_session.get(Account, sample["ACME"]).owner_id = rep.id  # Mia's account, Mia's task
    message = _reorder_draft(sample_session, sample["ACME"], owner_id=rep.id)
    assert message.language == "zh"
    with smtp_server() as (inbox, port):
        result = send_message(session=sample_session, message_id=message.id, principal=principal,
                              settings=smtp(port))
    assert result.outcome == "sent" and result.note is None
    [(mail_from, rcpt_tos, received)] = inbox.received
    assert mail_from == FROM and rcpt_tos == ["li.wei@acme.example"]
    assert received["From"] == FROM and received["Reply-To"] == "mia@bizpilot.example"
    assert received["To"].addresses[0].display_name == "Li Wei"
    assert received["To"].addresses[0].addr_spec == "li.wei@acme.example"
    assert received["Subject"] == "Ceramic mug补货提醒" and received["Message-ID"] and received["Date"]
    assert received.get_content_type() == "text/plain" and received.get_content_charset() == "utf-8"
    assert received.get_content().rstrip("\n") == message.body
    assert "根据您以往的采购周期，Ceramic mug差不多该补货了。" in received.get_content()

    assert (message.status, message.error) == ("sent", None) and message.sent_at is not None
    ix = sample_session.get(Interaction, message.interaction_id)
    assert (ix.channel, ix.direction, ix.subject, ix.text, ix.language) == (
        "email", "outbound", message.subject, message.body, "zh")
    assert (ix.account_id, ix.contact_id, ix.user_id, ix.outcome) == (sample["ACME"], message.contact_id, rep.id,
                                                                      "sent")
    assert ix.occurred_at == message.sent_at and ix.external_id == f"outbox-{message.id}"
    task = sample_session.get(Task, message.task_id)
    assert task.status == "done" and task.completed_at == message.sent_at
    actions = sample_session.execute(select(AuditEntry.entity, AuditEntry.action, AuditEntry.user_id,
                                            AuditEntry.channel)
                                     .where(AuditEntry.entity.in_(("interactions", "tasks")))).all()
    assert sorted(actions) == [("interactions", "create", rep.id, "api"), ("tasks", "complete", rep.id, "api")]

    with Session(engine) as other:  # the service only flushed: nothing is stored until the caller commits
        assert other.get(OutboxMessage, message.id) is None
    sample_session.commit()
    with Session(engine) as other:
        assert other.get(OutboxMessage, message.id).status == "sent"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_it_logs_in_when_a_user_name_is_set(sample_session: Session, sample: dict[str, int]) -> None:
    good, bad = _reorder_draft(sample_session, sample["ACME"]), _reorder_draft(sample_session, sample["BOREALIS"])
    with smtp_server(auth=True) as (inbox, port):
        ok = send_message(session=sample_session, message_id=good.id, principal=SYSTEM,
                          settings=smtp(port, smtp_username="rep", smtp_password=SecretStr("s3cret")))
        refused = send_message(session=sample_session, message_id=bad.id, principal=SYSTEM,
                               settings=smtp(port, smtp_username="rep", smtp_password=SecretStr("wrong")))
    assert ok.outcome == "sent" and inbox.logins == ["rep"] and len(inbox.received) == 1
    assert refused.outcome == "failed" and bad.status == "failed" and "535" in bad.error
    assert "wrong" not in bad.error and "s3cret" not in bad.error


def test_a_refused_recipient_is_recorded_as_failed(sample_session: Session, sample: dict[str, int]) -> None:
    message = _reorder_draft(sample_session, sample["ACME"])
    with smtp_server() as (inbox, port):
        inbox.refuse = "550 5.1.1 mailbox unavailable"
        result = send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=smtp(port))
    assert result.outcome == "failed" and message.status == "failed" and message.sent_at is None
    assert message.error == (f"the mail server 127.0.0.1:{port} did not accept the message: recipient refused: "
                             "li.wei@acme.example: 550 5.1.1 mailbox unavailable")
    assert inbox.received == [] and message.interaction_id is None
    assert sample_session.get(Task, message.task_id).status == "open"


def test_an_unreachable_server_is_recorded_as_failed_and_it_can_be_sent_again(
        sample_session: Session, sample: dict[str, int]) -> None:
    message = _reorder_draft(sample_session, sample["ACME"])
    closed = free_port()  # nothing listens here: the connection is refused
    result = send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=smtp(closed))
    assert result.outcome == "failed" and message.status == "failed"
    assert message.error.startswith(f"the mail server 127.0.0.1:{closed} did not accept the message: ")
    assert "ConnectionRefusedError" in message.error
    assert sample_session.scalar(select(Interaction.id).where(Interaction.direction == "outbound",
                                                              Interaction.channel == "email")) is None
    with smtp_server() as (inbox, port):
        again = send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=smtp(port))
    assert again.outcome == "sent" and message.error is None and len(inbox.received) == 1


def test_without_smtp_settings_the_message_waits_queued_with_a_note(sample_session: Session,
                                                                    sample: dict[str, int]) -> None:
    message = _reorder_draft(sample_session, sample["ACME"])
    result = send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=Settings())
    assert (result.outcome, result.note, message.status) == ("queued", NOT_CONFIGURED, "queued")
    assert note_for(message, Settings()) == NOT_CONFIGURED
    assert message.sent_at is None and message.interaction_id is None
    assert sample_session.get(Task, message.task_id).status == "open"
    with smtp_server() as (inbox, port):  # once SMTP is configured, the queue goes out
        counts = send_queued(session=sample_session, principal=SYSTEM, settings=smtp(port))
    assert counts == {"sent": 1, "failed": 0, "queued": 0} and message.status == "sent" and len(inbox.received) == 1


def test_what_cannot_be_sent_is_refused_before_anything_is_sent(sample_session: Session,
                                                                sample: dict[str, int]) -> None:
    task = make_task(sample_session, sample["CEDAR"], "churn")  # Cedar has no contact with an e-mail
    message = draft_followup(session=sample_session, task_id=task.id, principal=SYSTEM, use_llm=False)
    with smtp_server() as (inbox, port):
        with pytest.raises(ValidationFailed) as no_recipient:
            send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=smtp(port))
        assert no_recipient.value.details[0]["field"] == "to_address" and message.status == "draft"
        with pytest.raises(ValidationFailed):
            update_message(session=sample_session, message_id=message.id, principal=SYSTEM, to_address="not-mail")
        with pytest.raises(ValidationFailed):
            update_message(session=sample_session, message_id=message.id, principal=SYSTEM,
                           subject="Hi\r\nBcc: everyone@example.com")
        update_message(session=sample_session, message_id=message.id, principal=SYSTEM,
                       to_address="buyer@cedar.example")
        assert send_message(session=sample_session, message_id=message.id, principal=SYSTEM,
                            settings=smtp(port)).outcome == "sent"
        with pytest.raises(ConflictError):
            send_message(session=sample_session, message_id=message.id, principal=SYSTEM, settings=smtp(port))
        with pytest.raises(ConflictError):
            discard_message(session=sample_session, message_id=message.id, principal=SYSTEM)
    assert [r[1] for r in inbox.received] == [["buyer@cedar.example"]]


def test_sales_users_send_only_for_their_accounts(sample_session: Session, sample: dict[str, int]) -> None:
    owner, _ = make_user(sample_session, "ann", "sales", "ann@bizpilot.example")
    sample_session.get(Account, sample["ACME"]).owner_id = owner.id
    assignee, helper = make_user(sample_session, "tom", "sales", "tom@bizpilot.example")
    _, outsider = make_user(sample_session, "bob", "sales", "bob@bizpilot.example")
    message = _reorder_draft(sample_session, sample["ACME"], owner_id=assignee.id)
    with smtp_server() as (inbox, port):
        with pytest.raises(Forbidden):  # not his account, not his task
            update_message(session=sample_session, message_id=message.id, principal=outsider, subject="Hi")
        # Tom's task: he edits the draft, but only the account's owner logs activity on it, so he cannot send it
        update_message(session=sample_session, message_id=message.id, principal=helper, subject="Restock?")
        with pytest.raises(Forbidden):
            send_message(session=sample_session, message_id=message.id, principal=helper, settings=smtp(port))
    assert inbox.received == [] and (message.status, message.subject) == ("draft", "Restock?")


def test_headers_are_encoded_and_never_take_line_breaks() -> None:
    mail = build_message(Envelope("rep@example.com", "li.wei@acme.example", "李伟"), subject="补货提醒",
                         body="您好")
    raw = mail.as_bytes()
    assert b"=?utf-8?" in raw and "李伟".encode() not in raw.split(b"\n\n", 1)[0]
    with pytest.raises(ValidationFailed):
        build_message(Envelope("rep@example.com", "x@example.com"), subject="a\nBcc: y@example.com", body="b")
