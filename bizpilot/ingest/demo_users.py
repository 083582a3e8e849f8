"""The demo's team: an admin, two sales reps who own the accounts between them, and a service agent.

Each rep owns the accounts of their language (Emily Carter the English-speaking customers, 王芳 the Chinese ones),
as most deals in the demo are worked by a rep who speaks the customer's language. The demo's deals were worked by
seven reps over the years: the deals of Emily Carter and 王芳 become theirs (``owner_id``), the others keep their
rep's name as text and belong to their account's owner, exactly as importing the opportunities file again would
leave them (``ingest/owners.py``), so rebuilding the demo changes nothing.

The users get no passwords (no secret is written into the demo): sign in with the workspace password (as the
admin) or with a one-time link, e.g. ``bizpilot login-link --user "Emily Carter"``.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Opportunity
from bizpilot.domain.user import User
from bizpilot.ingest.owners import user_index
from bizpilot.services.users import create_user, find_user

DOMAIN = "harborline.example"
ADMIN = ("Alex Morgan", "alex.morgan", "admin")
REPS = {"en": ("Emily Carter", "emily.carter", "sales"), "zh": ("王芳", "wang.fang", "sales")}
SERVICE = ("Sam Rivera", "sam.rivera", "service")
TEAM = (ADMIN, REPS["en"], REPS["zh"], SERVICE)


def _counts(inserted: int, updated: int, total: int) -> dict[str, int]:
    return {"inserted": inserted, "updated": updated, "unchanged": total - inserted - updated}


def seed_demo_users(session: Session) -> dict[str, dict[str, int]]:
    """Add the demo team (users already there by name are kept as they are), give each rep the accounts of their
    language and their own deals; counts per table, like an import's."""
    added = 0
    for name, mailbox, role in TEAM:
        if find_user(session=session, ref=name) is None:
            email = f"{mailbox}@{DOMAIN}"
            taken = session.scalar(select(User.id).where(User.email == email)) is not None
            create_user(session=session, name=name, email=None if taken else email, role=role)
            added += 1
    owners = {language: find_user(session=session, ref=rep[0]) for language, rep in REPS.items()}
    accounts = session.execute(select(Account.id, Account.language, Account.owner_id)).all()
    moved = 0
    for language, user in owners.items():
        ids = [a.id for a in accounts if (a.language == "zh") == (language == "zh") and a.owner_id != user.id]
        if ids:
            session.execute(update(Account).where(Account.id.in_(ids)).values(owner_id=user.id))
            moved += len(ids)
    index = user_index(session.connection())
    deals = session.execute(select(Opportunity.id, Opportunity.owner, Opportunity.owner_id)).all()
    assigned = 0
    for deal in deals:
        match = index.get((deal.owner or "").strip().casefold()) if deal.owner else None
        owner_id = match[0] if match else None
        if owner_id != deal.owner_id:
            session.execute(update(Opportunity).where(Opportunity.id == deal.id).values(owner_id=owner_id))
            assigned += 1
    session.flush()
    return {"users": _counts(added, 0, len(TEAM)), "accounts": _counts(0, moved, len(accounts)),
            "opportunities": _counts(0, assigned, len(deals))}


def build_demo_users(engine: Engine | None = None) -> dict[str, dict[str, int]]:
    """``seed_demo_users`` in its own committed transaction (the demo builder's step after the imports)."""
    if engine is None:
        from bizpilot.db.engine import get_engine

        engine = get_engine()
    with Session(engine) as session:
        counts = seed_demo_users(session)
        session.commit()
    return counts


__all__ = ["ADMIN", "REPS", "SERVICE", "TEAM", "build_demo_users", "seed_demo_users"]
