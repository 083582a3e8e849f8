"""Filter, search, sort and paginate any registry entity: the one list implementation the API and pages share.

Everything here takes keyword-only arguments and plain values (no web types), validates names against the
entity registry and raises :class:`~bizpilot.errors.ValidationFailed` with the allowed choices, so every edge
reports a bad parameter the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from bizpilot.domain import ENTITIES, EntityInfo
from bizpilot.domain.user import User
from bizpilot.errors import NotFoundError, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_ID = 2**63 - 1
ARCHIVED = ("exclude", "include", "only")  # archived records: left out (default), listed too, listed alone
_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f"}


@dataclass(frozen=True)
class Page:
    """One page of rows plus the total matching count, so callers can draw pagination without a second query."""

    items: list[Any]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_prev(self) -> bool:
        return self.offset > 0


def entity_info(entity: str | EntityInfo) -> EntityInfo:
    """Registry entry by name (or pass-through), with a clear error listing the known names."""
    if isinstance(entity, EntityInfo):
        return entity
    info = ENTITIES.get(entity)
    if info is None:
        raise NotFoundError(f"unknown entity '{entity}'; known: {', '.join(ENTITIES)}")
    return info


def _column(info: EntityInfo, name: str) -> ColumnElement[Any]:
    return info.model.__table__.c[name]


def coerce_value(info: EntityInfo, name: str, value: Any) -> Any:
    """Turn a query-string value into the column's Python type (bool/int/float/str); reject what does not fit."""
    if value is None or not isinstance(value, str):
        return value
    try:
        py_type = _column(info, name).type.python_type
    except NotImplementedError:
        return value
    text = value.strip()
    try:
        if py_type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(text)
        if py_type is int:
            return int(text)
        if py_type is float:
            return float(text)
    except ValueError:
        raise ValidationFailed(
            f"invalid value {value!r} for filter '{name}' (expected {py_type.__name__})",
            details=[{"field": name, "reason": f"expected {py_type.__name__}"}],
        ) from None
    return value


def apply_filters(stmt: Select[Any], *, entity: str | EntityInfo, filters: Mapping[str, Any] | None) -> Select[Any]:
    """Exact-match filters on the registry's filterable columns; ``None``/empty values are ignored."""
    info = entity_info(entity)
    for name, value in (filters or {}).items():
        if name not in info.filterable:
            raise ValidationFailed(
                f"cannot filter {info.name} by '{name}'; filterable: {', '.join(info.filterable) or '(none)'}",
                details=[{"field": name, "reason": "not a filterable column"}],
            )
        if value is None or value == "":
            continue
        stmt = stmt.where(_column(info, name) == coerce_value(info, name, value))
    return stmt


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def apply_search(stmt: Select[Any], *, entity: str | EntityInfo, q: str | None) -> Select[Any]:
    """Case-insensitive substring match over the searchable columns (any column may match)."""
    info = entity_info(entity)
    if q is None or not q.strip():
        return stmt
    if not info.searchable:
        raise ValidationFailed(f"{info.name} has no searchable columns; use filters instead",
                               details=[{"field": "q", "reason": "search not supported here"}])
    pattern = _like_pattern(q.strip())
    return stmt.where(or_(*(_column(info, c).ilike(pattern, escape="\\") for c in info.searchable)))


def parse_sort(*, entity: str | EntityInfo, sort: str | None) -> list[tuple[str, bool]]:
    """``"name"``, ``"-created_at"`` or ``"country,-name"`` -> [(column, descending)], validated."""
    info = entity_info(entity)
    spec = sort if sort and sort.strip() else info.default_sort
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        desc = part.startswith("-")
        name = part.lstrip("+-")
        if name not in info.sortable:
            raise ValidationFailed(
                f"cannot sort {info.name} by '{name}'; sortable: {', '.join(info.sortable)} "
                "(prefix with '-' for descending)",
                details=[{"field": "sort", "reason": f"'{name}' is not sortable"}],
            )
        keys.append((name, desc))
    return keys


def apply_sort(stmt: Select[Any], *, entity: str | EntityInfo, sort: str | None) -> Select[Any]:
    """Order by the requested keys, then by id so pages are stable when keys tie."""
    info = entity_info(entity)
    keys = parse_sort(entity=info, sort=sort)
    order = [_column(info, n).desc() if d else _column(info, n).asc() for n, d in keys]
    if "id" not in {n for n, _ in keys}:
        order.append(_column(info, "id").asc())
    return stmt.order_by(*order)


def check_paging(*, limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}",
                               details=[{"field": "limit", "reason": f"must be 1..{MAX_LIMIT}"}])
    if offset < 0:
        raise ValidationFailed("offset must be >= 0", details=[{"field": "offset", "reason": "must be >= 0"}])


def paginate(*, session: Session, stmt: Select[Any], limit: int = DEFAULT_LIMIT, offset: int = 0,
             scalars: bool = True) -> Page:
    """Run ``stmt`` for one page and count all matches (the count ignores ORDER BY, which it does not need)."""
    check_paging(limit=limit, offset=offset)
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    result = session.execute(stmt.limit(limit).offset(offset))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items=items, total=int(total), limit=limit, offset=offset)


def archivable(entity: str | EntityInfo) -> bool:
    """Whether the entity's records can be archived (soft-deleted), so lists leave those out by default."""
    return "archived_at" in entity_info(entity).model.__table__.c


def owned(entity: str | EntityInfo) -> bool:
    """Whether the entity's records have an owner (accounts, opportunities), so lists filter by ``owner``."""
    return "owner_id" in entity_info(entity).model.__table__.c


def apply_archived(stmt: Select[Any], *, entity: str | EntityInfo, archived: str = "exclude") -> Select[Any]:
    """Leave archived records out (``exclude``), keep them (``include``) or list only them (``only``)."""
    info = entity_info(entity)
    if archived not in ARCHIVED:
        raise ValidationFailed(f"archived must be one of {', '.join(ARCHIVED)}",
                               details=[{"field": "archived", "reason": f"one of {', '.join(ARCHIVED)}",
                                         "value": archived}])
    if not archivable(info) or archived == "include":
        return stmt
    column = _column(info, "archived_at")
    return stmt.where(column.is_(None) if archived == "exclude" else column.is_not(None))


def owner_condition(*, entity: str | EntityInfo, owner: str | int, user_id: int | None) -> ColumnElement[bool]:
    """``owner=me`` (the caller), ``owner=<user id>``, ``owner=none`` (nobody's), or a user's name or e-mail
    (on opportunities also the owner name as imported)."""
    info = entity_info(entity)
    if not owned(info):
        raise ValidationFailed(f"{info.name} have no owner to filter by",
                               details=[{"field": "owner", "reason": "not an owned entity"}])
    column = _column(info, "owner_id")
    text = str(owner).strip()
    if text.lower() == "me":
        if user_id is None:
            raise ValidationFailed("owner=me needs a caller who is a user (this key or sign-in belongs to no user)",
                                   details=[{"field": "owner", "reason": "the caller is not a user", "value": text}])
        return column == user_id
    if text.lower() in ("none", "nobody"):
        return column.is_(None)
    if text.isdigit():
        if not 1 <= int(text) <= MAX_ID:
            raise ValidationFailed(f"owner {text} is not a user id", details=[{"field": "owner", "reason":
                                                                               "out of range", "value": text}])
        return column == int(text)
    users = select(User.id).where(or_(User.name == text, func.lower(User.email) == text.lower()))
    condition = column.in_(users)
    if "owner" in info.model.__table__.c:  # opportunities keep the owner name their import carried
        condition = or_(condition, _column(info, "owner") == text)
    return condition


def list_rows(*, session: Session, entity: str | EntityInfo, filters: Mapping[str, Any] | None = None,
              q: str | None = None, sort: str | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0,
              base: Select[Any] | None = None, archived: str = "exclude", owner: str | int | None = None,
              user_id: int | None = None) -> Page:
    """One page of ``entity`` ORM rows. ``base`` lets a caller start from its own select of the model.

    Archived records are left out unless ``archived`` is ``include`` or ``only``; ``owner`` filters owned entities
    (see ``owner_condition``; ``user_id`` is the caller, for ``owner=me``). On an owned entity an ``owner`` filter
    means the same."""
    info = entity_info(entity)
    filters = dict(filters or {})
    if owned(info) and "owner" in filters:
        given = filters.pop("owner")
        owner = given if owner in (None, "") else owner
    stmt = base if base is not None else select(info.model)
    stmt = apply_archived(stmt, entity=info, archived=archived)
    if owner not in (None, ""):
        stmt = stmt.where(owner_condition(entity=info, owner=owner, user_id=user_id))
    stmt = apply_filters(stmt, entity=info, filters=filters)
    stmt = apply_search(stmt, entity=info, q=q)
    stmt = apply_sort(stmt, entity=info, sort=sort)
    return paginate(session=session, stmt=stmt, limit=limit, offset=offset)


def get_row(*, session: Session, entity: str | EntityInfo, row_id: int) -> Any:
    """The row with primary key ``row_id`` or :class:`NotFoundError` naming what was missing."""
    info = entity_info(entity)
    row = session.get(info.model, row_id)
    if row is None:
        raise NotFoundError(f"{info.name} {row_id} not found",
                            details=[{"field": "id", "reason": f"no {info.name} row with id {row_id}"}])
    return row


def distinct_values(*, session: Session, entity: str | EntityInfo, column: str, limit: int = 500) -> list[Any]:
    """Sorted distinct non-null values of a filterable column (for filter drop-downs)."""
    info = entity_info(entity)
    if column not in info.filterable:
        raise ValidationFailed(f"'{column}' is not filterable on {info.name}")
    col = _column(info, column)
    stmt = select(col).where(col.is_not(None)).distinct().order_by(col).limit(limit)
    return list(session.execute(stmt).scalars())


def unknown_params(names: Sequence[str], *, entity: str | EntityInfo, reserved: Sequence[str]) -> list[str]:
    """Query names that are neither list controls nor filterable columns (so edges can reject them clearly)."""
    info = entity_info(entity)
    allowed = set(reserved) | set(info.filterable)
    return [n for n in names if n not in allowed]


__all__ = [
    "ARCHIVED", "DEFAULT_LIMIT", "MAX_LIMIT", "Page", "entity_info", "apply_archived", "apply_filters", "apply_search",
    "apply_sort", "archivable", "owned", "owner_condition", "parse_sort", "paginate", "list_rows", "get_row",
    "distinct_values", "unknown_params", "coerce_value",
]
