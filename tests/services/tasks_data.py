"""A workspace where every task source has something to say, for the task tests (service, API, page, CLI).

On top of the recommendation workspace (``recommend_data.py``: builders and offices reordering every 30 days), with
the workspace's today pinned to 1 July 2025 (the last regular orders were early June, so those reorders are due):
- users: ann and bob (sales), mia (manager), vic (viewer); ann owns the builders, bob the offices;
- GONE, a strategic account of ann's that bought big early in the year and then stopped (repurchase chance low);
- a deal on B01 nobody has talked about since May (quiet), a fresh one on O01, and closed deals (won and lost);
- an unhappy, analysed e-mail from O02 on 28 June (a dissatisfaction alert);
- an open hand-off ticket from a B02 conversation.
Models are trained for real: the recommender (hashed text features), reorder cycles and repurchase.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Interaction, User
from bizpilot.domain.conversation import Conversation, HandoffTicket
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.intelligence.specs import CHURN
from bizpilot.services.models.jobs import run_training

from .recommend_data import seed_recommend_workspace, train_recommend_models

AS_OF = "2025-07-01"
USERS = {"ann": "sales", "bob": "sales", "mia": "manager", "vic": "viewer"}


def _import(engine: Engine, entity: str, rows: list[dict]) -> None:
    report = import_frame(entity, pd.DataFrame(rows), source=f"test-{entity}.csv", strict=True, engine=engine)
    assert not report.rejected, (entity, report.rejected)


def seed_tasks_workspace(engine: Engine, monkeypatch: pytest.MonkeyPatch, *, train: bool = True) -> dict[str, int]:
    """Build and train the workspace; returns ids by name: users (ann, bob...) and accounts (B01, GONE...)."""
    monkeypatch.setenv("BIZPILOT_AS_OF", AS_OF)
    reset_settings()
    seed_recommend_workspace(engine, train=False)
    _import(engine, "accounts", [{"external_id": "GONE", "name": "Gone Quiet Construction", "tier": "strategic",
                                  "industry": "construction"}])
    _import(engine, "orders", [
        {"external_id": f"GONE-{k}", "account_external_id": "GONE", "ordered_at": datetime(2025, 1, 10 + 14 * k, 9),
         "sku": "DRL-0", "quantity": 40, "unit_price": 90.0, "kind": "sale", "currency": "EUR", "line_no": 1}
        for k in range(2)])
    _import(engine, "opportunities", [
        {"external_id": "quiet", "account_external_id": "B01", "name": "Drill fleet renewal", "stage": "proposal",
         "amount": 10000.0, "currency": "EUR", "created_at": datetime(2025, 5, 2), "outcome": "open"},
        {"external_id": "fresh", "account_external_id": "O01", "name": "Paper contract", "stage": "qualification",
         "amount": 2000.0, "currency": "EUR", "created_at": datetime(2025, 6, 25), "outcome": "open"},
        {"external_id": "won-1", "account_external_id": "O03", "name": "Won deal", "stage": "closed",
         "amount": 500.0, "created_at": datetime(2025, 2, 1), "closed_at": datetime(2025, 3, 1), "outcome": "won"},
        {"external_id": "lost-1", "account_external_id": "B03", "name": "Lost deal", "stage": "closed",
         "amount": 800.0, "created_at": datetime(2025, 2, 1), "closed_at": datetime(2025, 3, 1),
         "outcome": "lost"}])
    with Session(engine) as session:
        ids = {}
        for name, role in USERS.items():
            user = User(name=name, email=f"{name}@example.com", role=role, active=True)
            session.add(user)
            session.flush()
            ids[name] = user.id
        accounts = dict(session.execute(select(Account.external_id, Account.id)).all())
        session.execute(update(Account).where(Account.external_id.like("B%") | (Account.external_id == "GONE"))
                        .values(owner_id=ids["ann"]))
        session.execute(update(Account).where(Account.external_id.like("O%")).values(owner_id=ids["bob"]))
        session.add(Interaction(external_id="unhappy", channel="email", direction="inbound",
                                text="Third late delivery this month, we are very unhappy.",
                                occurred_at=datetime(2025, 6, 28, 10), account_id=accounts["O02"],
                                sentiment="negative", sentiment_score=-0.8, intent="complaint",
                                intent_confidence=0.9, analysed_at=utcnow()))
        conv = Conversation(account_id=accounts["B02"], channel="chat", status="handed_off")
        session.add(conv)
        session.flush()
        ticket = HandoffTicket(conversation_id=conv.id, account_id=accounts["B02"], status="open",
                               reason="asked_for_human", summary="Wants a quote for 40 drills by Friday.")
        session.add(ticket)
        session.commit()
        ids |= accounts | {"ticket": ticket.id}
    if train:
        train_task_models(engine)
    return ids


def train_task_models(engine: Engine) -> None:
    train_recommend_models(engine)
    outcome = run_training(CHURN, engine=engine, trigger="test")
    assert outcome.status == "finished", outcome
