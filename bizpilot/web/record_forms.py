"""What the record pages (accounts, contacts, activities, products) share: who may change a record (the controls a
page shows; the records service enforces the same rule and answers 403), turning a posted form into the fields a
change sets, and how a failed save is shown again with nothing the person typed lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from bizpilot.errors import BizpilotError, ConflictError
from bizpilot.services.accounts import owner_choices
from bizpilot.services.auth import Principal
from bizpilot.services.policy import may_change, owner_of
from bizpilot.services.records import history

NOTICES = ("saved", "created", "archived", "restored", "contact_added", "contact_saved", "contact_archived",
           "activity_logged")


def principal_of(request: Request) -> Principal:
    """The signed-in principal (the page guard resolved it before the handler runs)."""
    principal = getattr(request.state, "principal", None)
    return principal if principal is not None else Principal(kind="open", name="anonymous", role="read")


def can_change(principal: Principal, *, session: Session, record: Any) -> bool:
    """Whether the page offers edit controls for ``record`` (the policy the service enforces)."""
    return may_change(principal, owner_id=owner_of(session=session, record=record))


def can_create_unowned(principal: Principal) -> bool:
    """Products and other records nobody owns: managers and admins only."""
    return may_change(principal, owner_id=None)


def form_values(form: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The posted ``fields`` (absent ones left out), trimmed; an empty box clears the field (None)."""
    out: dict[str, Any] = {}
    for name in fields:
        if name in form:
            value = form[name]
            value = value.strip() if isinstance(value, str) else value
            out[name] = None if value == "" else value
    return out


def version_of(form: Mapping[str, Any]) -> int | None:
    """The version the form was rendered with (its hidden field)."""
    text = str(form.get("version") or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


@dataclass
class FormState:
    """A form shown again after a failed save: what was typed, why it failed, and (after a 409) what is stored now."""

    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    fields: list[str] = field(default_factory=list)
    current: dict[str, Any] | None = None

    @classmethod
    def failed(cls, values: dict[str, Any], exc: BizpilotError, record: Any = None) -> FormState:
        fields = [str(d.get("field")) for d in exc.details if d.get("field")]
        current = None
        if isinstance(exc, ConflictError) and record is not None:
            current = {name: getattr(record, name, None) for name in values}
            current["version"] = record.version
        return cls(values=values, error=exc.message, fields=fields, current=current)

    @property
    def conflict(self) -> bool:
        return self.current is not None

    def differs(self, name: str) -> bool:
        """A field someone else changed to something other than what this person typed."""
        if self.current is None or name not in self.current:
            return False
        return _text(self.current[name]) != _text(self.values.get(name))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def users_to_pick(*, session: Session, keep: int | None = None) -> list[Any]:
    """Active users (and the current owner ``keep``), for owner drop-downs."""
    return owner_choices(session=session, keep=keep)


def trail(*, session: Session, entity: str, record_id: int, limit: int = 50) -> list[Any]:
    return history(session=session, entity=entity, record_id=record_id, limit=limit)


def notice_of(request: Request) -> str | None:
    notice = request.query_params.get("notice")
    return notice if notice in NOTICES else None


__all__ = ["NOTICES", "FormState", "can_change", "can_create_unowned", "form_values", "notice_of", "principal_of",
           "trail", "users_to_pick", "version_of"]
