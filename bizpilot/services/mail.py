"""Sending e-mail by SMTP: the one place that talks to a mail server (the outbox's ``send_message`` calls it).

Messages are plain-text UTF-8 (``email.policy.SMTP``: headers such as a Chinese subject or contact name are
encoded as RFC 2047 words, lines end in CRLF). The connection upgrades to TLS with STARTTLS when the server offers
it and ``smtp_starttls`` is on, uses implicit TLS on port 465, logs in only when a user name is set, and is bounded
by ``smtp_timeout_s``. The password is read from settings at the call and never logged or put in an error.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bizpilot.config import Settings, get_settings
from bizpilot.errors import BizpilotError, ValidationFailed

logger = logging.getLogger("bizpilot.mail")
IMPLICIT_TLS_PORT = 465
NOT_CONFIGURED = ("sending is not configured (set BIZPILOT_SMTP_HOST, and BIZPILOT_SMTP_FROM or a user e-mail): "
                  "the message waits in the outbox as a draft")


class MailError(BizpilotError, code="mail_error", status=502):
    """The mail server refused the message or could not be reached; the message names why."""


@dataclass(frozen=True)
class Envelope:
    """Who a message is from and to, as headers show them."""

    from_addr: str
    to_addr: str
    to_name: str | None = None
    reply_to: str | None = None


def smtp_configured(settings: Settings | None = None) -> bool:
    """Whether messages can be sent (an SMTP host is set); without one the outbox keeps drafts."""
    return bool((settings or get_settings()).smtp_host)


def sender_address(settings: Settings | None = None, *, user_email: str | None = None) -> str | None:
    """The From address: ``smtp_from``, else the sending user's e-mail, else the SMTP user name if it is one."""
    settings = settings or get_settings()
    for candidate in (settings.smtp_from, user_email, settings.smtp_username):
        if candidate and "@" in candidate:
            return candidate.strip()
    return None


def build_message(envelope: Envelope, *, subject: str, body: str, message_id_domain: str | None = None) -> EmailMessage:
    """A plain-text UTF-8 message with Date and Message-ID; header values with line breaks are refused (header
    injection)."""
    for name, value in (("from", envelope.from_addr), ("to", envelope.to_addr), ("subject", subject),
                        ("to_name", envelope.to_name), ("reply_to", envelope.reply_to)):
        if value and ("\n" in value or "\r" in value):
            raise ValidationFailed(f"the {name.replace('_', ' ')} must be one line",
                                   details=[{"field": name, "reason": "contains a line break"}])
    msg = EmailMessage()
    try:
        msg["From"] = Address(addr_spec=envelope.from_addr)
        msg["To"] = Address(display_name=envelope.to_name or "", addr_spec=envelope.to_addr)
        if envelope.reply_to and envelope.reply_to != envelope.from_addr:
            msg["Reply-To"] = Address(addr_spec=envelope.reply_to)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise ValidationFailed(f"not an e-mail address: {exc}",
                               details=[{"field": "to_address", "reason": "not an e-mail address"}]) from None
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=message_id_domain or envelope.from_addr.rpartition("@")[2] or None)
    msg.set_content(body, charset="utf-8")
    return msg


def _describe(exc: BaseException) -> str:
    """The server's answer (code and text) or the connection problem, without anything from settings' secrets."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection: {exc}" if str(exc) else "the server closed the connection"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def deliver(message: EmailMessage, *, settings: Settings | None = None) -> None:
    """Hand ``message`` to the configured SMTP server; ``MailError`` (502) with the server's answer or the
    connection problem when it is not accepted."""
    settings = settings or get_settings()
    if not settings.smtp_host:
        raise MailError(NOT_CONFIGURED, details=[{"field": "smtp_host", "reason": "not set"}])
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    try:
        if settings.smtp_port == IMPLICIT_TLS_PORT:
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                    timeout=settings.smtp_timeout_s, context=context)
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
        with server:
            server.ehlo()
            if settings.smtp_starttls and server.has_extn("starttls") and settings.smtp_port != IMPLICIT_TLS_PORT:
                server.starttls(context=context)
                server.ehlo()
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                server.login(settings.smtp_username, password)
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        reason = _describe(exc)
        logger.warning("SMTP delivery to %s via %s failed: %s", message.get("To"), where, reason)
        raise MailError(f"the mail server {where} did not accept the message: {reason}",
                        details=[{"field": "smtp", "reason": reason}]) from None
    logger.info("sent message %s via %s", message.get("Message-ID"), where)


__all__ = ["NOT_CONFIGURED", "Envelope", "MailError", "build_message", "deliver", "sender_address",
           "smtp_configured"]
