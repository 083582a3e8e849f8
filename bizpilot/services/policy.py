"""Who may change which record: the one ownership rule every write route, page and service applies.

Viewers change nothing. Managers and admins (and the system: the CLI, imports, background jobs) change everything.
Sales and service users change what they own: an account whose owner they are, that account's contacts, deals,
interactions and tasks, an opportunity or task assigned to them; products and unowned records belong to nobody, so
only managers and admins change them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bizpilot.domain import Account, Contact, Interaction, Opportunity, Product, Task
from bizpilot.errors import Forbidden
from bizpilot.services.auth import Principal


def owner_of(*, session: Session, record: Any) -> int | None:
    """The user who owns ``record``: its own owner, or its account's owner (None for products and unowned rows)."""
    if isinstance(record, Account):
        return record.owner_id
    if isinstance(record, Opportunity | Task) and record.owner_id is not None:
        return record.owner_id
    if isinstance(record, Product):
        return None
    account_id = getattr(record, "account_id", None)
    if account_id is None:
        return None
    account = session.get(Account, account_id)
    return account.owner_id if account is not None else None


def may_change(principal: Principal, *, owner_id: int | None) -> bool:
    """Whether ``principal`` may change a record owned by ``owner_id`` (see the module docstring)."""
    if not principal.allows("write"):
        return False
    if principal.changes_everything:
        return True
    return principal.user_id is not None and owner_id == principal.user_id


def _their_accounts_task(principal: Principal, session: Session, record: Any) -> bool:
    """A task of an account the principal owns is theirs to work on, whoever it is assigned to."""
    if not isinstance(record, Task) or record.account_id is None:
        return False
    account = session.get(Account, record.account_id)
    return account is not None and may_change(principal, owner_id=account.owner_id)


def require_change(principal: Principal, *, session: Session, record: Any, what: str) -> None:
    """Raise ``Forbidden`` (403) naming the record when ``principal`` may not change it."""
    owner_id = owner_of(session=session, record=record)
    if not may_change(principal, owner_id=owner_id) and not _their_accounts_task(principal, session, record):
        reason = ("your role only reads" if not principal.allows("write") else
                  "you may change only what you own" if owner_id is not None else
                  "only managers and admins change records nobody owns")
        raise Forbidden(f"{principal.name} may not change {what}: {reason}",
                        details=[{"field": "owner_id", "reason": reason, "value": owner_id}])


EDITABLE_TYPES = (Account, Contact, Product, Opportunity, Interaction, Task)

__all__ = ["EDITABLE_TYPES", "may_change", "owner_of", "require_change"]
