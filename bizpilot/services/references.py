"""One answer to "which record does this reference name?", used by every service, the API, the pages and the CLI.

People and integrations refer to an account by its external id (``ACC-00257``, a customer number from the ERP)
or by bizpilot's own id; products by SKU or id. The rule is the same everywhere:

* a Python ``int`` is bizpilot's own id (typed path parameters, foreign keys);
* text is matched against the external key first (external id, SKU), and only when nothing has that key and the
  text is all digits, against bizpilot's id. So ``"42"`` is the account whose customer number is 42 when there is
  one (imports from ERPs use numeric customer numbers), else the account with id 42.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Product
from bizpilot.errors import NotFoundError

Row = TypeVar("Row", Account, Product)


def _resolve(session: Session, entity: type[Row], ref: int | str, key: str, noun: str, field: str) -> Row:
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise NotFoundError(f"{noun} {ref!r} not found (give its id or {key.replace('_', ' ')})",
                            details=[{"field": field, "reason": f"unknown {noun}", "value": repr(ref)}])
    row: Row | None = None
    if isinstance(ref, int):
        row = session.get(entity, ref)
    else:
        text = ref.strip()
        if text:
            row = session.scalar(select(entity).where(getattr(entity, key) == text).limit(1))
            if row is None and text.isdigit() and len(text) <= 18:
                row = session.get(entity, int(text))
    if row is None:
        raise NotFoundError(f"{noun} {str(ref).strip()!r} not found (give its id or {key.replace('_', ' ')})",
                            details=[{"field": field, "reason": f"unknown {noun}", "value": str(ref)}])
    return row


def resolve_account(*, session: Session, ref: int | str) -> Account:
    """The account ``ref`` names (see the module docstring for the rule); ``NotFoundError`` otherwise."""
    return _resolve(session, Account, ref, "external_id", "account", "account")


def resolve_product(*, session: Session, ref: int | str) -> Product:
    """The product ``ref`` names: SKU first, then id (see the module docstring); ``NotFoundError`` otherwise."""
    return _resolve(session, Product, ref, "sku", "product", "product")


__all__ = ["resolve_account", "resolve_product"]
