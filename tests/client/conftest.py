"""A live server (real uvicorn on loopback) over the sample workspace, with a team whose keys the client uses:
adm (admin), max (manager), sam and rita (sales; sam owns ACME and its deal, rita BOREALIS and hers) and vic
(viewer). No model trains on a request here (``BIZPILOT_TRAIN_ON_DEMAND=0``) and today is 2024-03-31."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, update

from bizpilot.client import Client
from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain import Account, Opportunity
from bizpilot.services.auth import create_api_key
from bizpilot.services.users import create_user
from tests.live_server import live_server
from tests.services.sample_data import load_sample

ROLES = {"adm": "admin", "max": "manager", "sam": "sales", "rita": "sales", "vic": "viewer"}


@dataclass
class Team:
    url: str
    ids: dict[str, int]  # accounts and deals by external id
    users: dict[str, int]
    keys: dict[str, str]

    def client(self, name: str) -> Client:
        """A client with the write key of ``name`` (admin key for adm), acting with that user's role."""
        return Client(self.url, self.keys[name])


@pytest.fixture
def team(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    monkeypatch.setenv("BIZPILOT_AS_OF", "2024-03-31")
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
    ids = load_sample(engine)
    users: dict[str, int] = {}
    keys: dict[str, str] = {}
    with session_scope(engine) as session:
        for name, role in ROLES.items():
            users[name] = create_user(session=session, name=name, email=f"{name}@example.com", role=role).id
            keys[name], _ = create_api_key(session=session, name=f"{name}-key", user_id=users[name],
                                           role="admin" if role == "admin" else "write")
        for account, deal, owner in (("ACME", "opp-1", "sam"), ("BOREALIS", "opp-2", "rita")):
            session.execute(update(Account).where(Account.id == ids[account]).values(owner_id=users[owner]))
            session.execute(update(Opportunity).where(Opportunity.external_id == deal).values(owner_id=users[owner]))
        ids |= {ext: id_ for ext, id_ in session.execute(select(Opportunity.external_id, Opportunity.id))}
    with live_server() as url:
        yield Team(url, ids, users, keys)
