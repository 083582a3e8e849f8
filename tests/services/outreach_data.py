"""Shared set-ups of the outreach tests (follow-ups, outbox, sequences): tasks of each source on the sample data,
users with roles, and a real SMTP server on a loopback port (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pandas as pd
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bizpilot.domain import Opportunity, Product, Task
from bizpilot.domain.user import User
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.auth import Principal

ACTIVE, LAPSED = 12, 8


def seed_lapsing_workspace(engine: Engine) -> None:
    """Twelve accounts ordering every month of 2024 (A00..A11) and eight that stopped after May (L00..L07), each
    with a contact, and the repurchase (churn) model trained on them: the lapsed ones score well below 0.3."""
    from bizpilot.services.intelligence.specs import CHURN
    from bizpilot.services.models.jobs import run_training

    accounts = [{"external_id": f"A{n:02d}", "name": f"Active {n}", "language": "en"} for n in range(ACTIVE)]
    accounts += [{"external_id": f"L{n:02d}", "name": f"Lapsed {n}", "language": "en"} for n in range(LAPSED)]
    contacts = [{"external_id": f"c-{a['external_id']}", "account_external_id": a["external_id"],
                 "name": f"Buyer {a['external_id']}", "email": f"buyer@{a['external_id'].lower()}.example"}
                for a in accounts]
    products = [{"sku": "P1", "name": "Widget", "price": 10.0, "currency": "EUR"}]
    lines = []
    for a in accounts:
        offset = int(a["external_id"][1:])
        for k in range(12 if a["external_id"].startswith("A") else 5):
            lines.append({"external_id": f"{a['external_id']}-{k}", "account_external_id": a["external_id"],
                          "ordered_at": datetime(2024, 1, 5, 9) + timedelta(days=30 * k + offset), "sku": "P1",
                          "quantity": 5, "unit_price": 10.0, "kind": "sale", "currency": "EUR", "line_no": 1})
    for entity, rows in (("accounts", accounts), ("contacts", contacts), ("products", products),
                         ("orders", lines)):
        report = import_frame(entity, pd.DataFrame(rows), source=f"test-{entity}.csv", strict=True, engine=engine)
        assert not report.rejected, (entity, report.rejected)
    outcome = run_training(CHURN, engine=engine, trigger="test")
    assert outcome.status == "finished", outcome


def make_task(session: Session, account_id: int, source: str = "manual", **links: Any) -> Task:
    """An open task of ``source`` for the account (links: product_id, opportunity_id, ticket_id, owner_id...)."""
    task = Task(title=f"{source} task", account_id=account_id, source=source, status="open", **links)
    session.add(task)
    session.flush()
    return task


def product_id(session: Session, sku: str) -> int:
    return int(session.scalar(select(Product.id).where(Product.sku == sku)))


def opportunity_id(session: Session, external_id: str) -> int:
    return int(session.scalar(select(Opportunity.id).where(Opportunity.external_id == external_id)))


def make_user(session: Session, name: str, role: str, email: str | None = None) -> tuple[User, Principal]:
    """A user and the principal of a key of theirs."""
    user = User(name=name, email=email, role=role, active=True)
    session.add(user)
    session.flush()
    return user, Principal(kind="key", name=name, role=role, user_id=user.id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the SMTP server accepted (envelope and parsed message), and the logins it saw."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: str | None = None  # an SMTP reply to give to RCPT TO instead of accepting it

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.login == b"rep" and auth_data.password == b"s3cret":
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtp_server(*, auth: bool = False) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 (no TLS offered); with ``auth``, it asks for and checks a login."""
    inbox = Inbox()
    port = free_port()
    extra: dict[str, Any] = {"authenticator": inbox.authenticate, "auth_required": True,
                             "auth_require_tls": False} if auth else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
