"""A small pipeline worked out by hand, shared by the pipeline service, API and page tests.

Users: alice and bob (sales), maria (manager), vera (viewer). Accounts: ACME (alice's), BOREALIS (bob's).
Open deals (stage probabilities 0.1 / 0.25 / 0.5 / 0.75 by default; "discovery" is no stage of the pipeline):
  mugs  ACME      prospecting  1000 EUR  alice  created 2024-03-01  expected close 2024-04-15
  tea   ACME      proposal     2000 EUR  alice  created 2024-03-10  (no date: + 40 days -> 2024-04-19)
  cups  BOREALIS  negotiation  4000 EUR  bob    created 2024-02-01  expected close 2024-05-20
  odd   BOREALIS  discovery     500 EUR  bob    created 2024-03-01  (no date: + 40 days -> 2024-04-10)
Closed: three won deals that took 20, 40 and 60 days (median 40), 3000 + 1500 + 2500 = 7000; one lost, 800.
Weighted by stage: 1000*0.1 + 2000*0.5 + 4000*0.75 + 500*0 = 4100 (alice 1100, bob 3000);
by month: 2024-04 three deals, 3500, weighted 1100 (one date set); 2024-05 one deal, 4000, weighted 3000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.config import reset_settings
from bizpilot.domain import Account, Opportunity
from bizpilot.domain.user import User
from bizpilot.services.auth import Principal

AS_OF = "2024-03-31"
WEIGHTED = 4100.0
OPEN_AMOUNT = 7500.0


@dataclass(frozen=True)
class Seeded:
    users: dict[str, int]
    accounts: dict[str, int]
    deals: dict[str, int]

    def principal(self, name: str, role: str) -> Principal:
        """The principal a signed-in user gets (as authentication builds it)."""
        return Principal(kind="session", name=name, role=role, user_id=self.users[name])


ROLES = {"alice": "sales", "bob": "sales", "maria": "manager", "vera": "viewer"}


def _deal(ext: str, account: int | None, stage: str, amount: float, owner: int | None, created: datetime,
          outcome: str = "open", closed: datetime | None = None, expected: date | None = None) -> Opportunity:
    return Opportunity(external_id=ext, account_id=account, name=ext.title(), stage=stage, amount=amount,
                       currency="EUR", owner_id=owner, created_at=created, outcome=outcome, closed_at=closed,
                       expected_close=expected, next_step=f"Call about {ext}" if outcome == "open" else None)


def seed_pipeline(engine: Engine) -> Seeded:
    """Commit the users, accounts and deals above; returns their ids by name."""
    with Session(engine) as session:
        users = {name: User(name=name, email=f"{name}@example.com", role=role) for name, role in ROLES.items()}
        session.add_all(users.values())
        session.flush()
        acme = Account(external_id="ACME", name="Acme Trading Co", created_at=datetime(2023, 1, 5),
                       owner_id=users["alice"].id)
        borealis = Account(external_id="BOREALIS", name="Borealis Foods GmbH", created_at=datetime(2023, 3, 1),
                           owner_id=users["bob"].id)
        session.add_all([acme, borealis])
        session.flush()
        a, b = users["alice"].id, users["bob"].id
        deals = [
            _deal("mugs", acme.id, "prospecting", 1000, a, datetime(2024, 3, 1), expected=date(2024, 4, 15)),
            _deal("tea", acme.id, "proposal", 2000, a, datetime(2024, 3, 10)),
            _deal("cups", borealis.id, "negotiation", 4000, b, datetime(2024, 2, 1), expected=date(2024, 5, 20)),
            _deal("odd", borealis.id, "discovery", 500, b, datetime(2024, 3, 1)),
            _deal("won1", acme.id, "closed", 3000, a, datetime(2024, 1, 1), "won", datetime(2024, 1, 21)),
            _deal("won2", borealis.id, "closed", 1500, b, datetime(2024, 1, 10), "won", datetime(2024, 2, 19)),
            _deal("won3", borealis.id, "closed", 2500, b, datetime(2023, 12, 1), "won", datetime(2024, 1, 30)),
            _deal("lost1", acme.id, "closed", 800, a, datetime(2024, 1, 5), "lost", datetime(2024, 2, 1)),
        ]
        session.add_all(deals)
        session.commit()
        return Seeded({n: u.id for n, u in users.items()}, {"ACME": acme.id, "BOREALIS": borealis.id},
                      {d.external_id: d.id for d in deals})


def pin_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today is 2024-03-31 and no model is trained on the request (the board weighs deals by their stage)."""
    monkeypatch.setenv("BIZPILOT_AS_OF", AS_OF)
    monkeypatch.setenv("BIZPILOT_TRAIN_ON_DEMAND", "0")
    reset_settings()
