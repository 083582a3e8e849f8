"""Write frames into tables by natural key: insert what is new, update what changed, leave the rest alone.

Re-importing the same file therefore changes nothing. Everything runs on the caller's connection, so a whole
import is one transaction: killed half-way, the database is as it was.

On the tables people edit (accounts, contacts, products, opportunities, interactions) every updated row gets its
``version`` bumped, so a person who loaded the record before the import cannot save over it unknowingly, and one
audit row (channel ``import``) with the fields that changed, from what to what: inserted in bulk, in the same
transaction. The import's user, when the caller knows it (``acting_as``), is the author; else the system.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, insert, select, update

from bizpilot.db.base import Base, utcnow
from bizpilot.domain.audit import AuditEntry

BATCH_ROWS = 20_000
Progress = Callable[[str, int, int], None]
# Who an import acts for: (user id, name); the system unless a caller says otherwise with ``acting_as``.
_ACTOR: ContextVar[tuple[int | None, str]] = ContextVar("import_actor", default=(None, "system"))


@contextmanager
def acting_as(user_id: int | None, name: str) -> Iterator[None]:
    """Imports run inside this block are authored by that user in the audit trail (an upload, ``--user``)."""
    token = _ACTOR.set((user_id, name))
    try:
        yield
    finally:
        _ACTOR.reset(token)


def audited(model: type[Base]) -> bool:
    """A table people edit: it carries a version and an archive mark (``domain/record.py::Editable``)."""
    columns = model.__table__.c
    return "version" in columns and "archived_at" in columns


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class TableWrite:
    """Rows for one table. ``rows`` holds table column names; ``key`` the natural-key columns in it."""

    model: type[Base]
    key: tuple[str, ...]
    rows: pd.DataFrame
    json_columns: tuple[str, ...] = field(default=())


def _clean(value: Any) -> Any:
    """numpy/pandas scalars to plain Python, missing to None (DB drivers want plain values)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    out: list[dict[str, Any]] = []
    for values in zip(*(frame[c].tolist() for c in columns), strict=True):
        out.append({c: _clean(v) for c, v in zip(columns, values, strict=True)})
    return out


def _comparable(series: pd.Series, is_json: bool) -> list[Any]:
    """Plain values in which equal cells compare equal across file and database (floats rounded like
    NUMERIC(16,4), JSON serialised with sorted keys, every kind of missing as None). A list, not a Series:
    pandas would turn None back into NaN, and NaN != NaN."""
    def norm(v: Any) -> Any:
        v = _clean(v)
        if v is None:
            return None
        if is_json:
            return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            return round(float(v), 4)
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        return v

    return [norm(v) for v in series.tolist()]


def _column_differs(new: pd.Series, db: pd.Series, is_json: bool) -> np.ndarray:
    """Element-wise "this cell would change the row"; vectorised for numeric columns (the bulk of order lines)."""
    numeric = pd.api.types.is_numeric_dtype
    if not is_json and numeric(new) and numeric(db):
        a = new.to_numpy(dtype=float).round(4)
        b = db.to_numpy(dtype=float).round(4)
        return ~((a == b) | (np.isnan(a) & np.isnan(b)))
    a, b = _comparable(new, is_json), _comparable(db, is_json)
    return np.fromiter((x != y for x, y in zip(a, b, strict=True)), dtype=bool, count=len(a))


def _defaulted_columns(model: type[Base], columns: Iterable[str]) -> dict[str, Any]:
    """NOT NULL columns with a Python-side default: a missing cell there means "default", not NULL."""
    out: dict[str, Any] = {}
    for name in columns:
        col = model.__table__.c[name]
        if not col.nullable and col.default is not None:
            out[name] = col.default.arg
    return out


def _fill_defaults(rows: pd.DataFrame, defaulted: dict[str, Any]) -> pd.DataFrame:
    if not defaulted or rows.empty:
        return rows
    rows = rows.copy()
    for col, default in defaulted.items():
        missing = rows[col].isna()
        if missing.any():
            value = default(None) if callable(default) else default
            rows[col] = rows[col].astype(object).where(~missing, value)
    return rows


def _existing(conn: Connection, model: type[Base], columns: Iterable[str]) -> pd.DataFrame:
    table = model.__table__
    cols = [table.c.id, *(table.c[c] for c in columns)]
    result = conn.execute(select(*cols))
    return pd.DataFrame(result.fetchall(), columns=["id", *columns])


def _audit_value(value: Any) -> Any:
    """A cell as the audit trail stores it (JSON): plain Python, times in ISO format, numbers as stored."""
    value = _clean(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _audit_rows(table_name: str, old: pd.DataFrame, cell_differs: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """One audit row per changed record, with ``{field: [old, new]}`` of the cells that differ."""
    changes: list[dict[str, list[Any]]] = [{} for _ in range(len(old))]
    for col, mask in cell_differs.items():
        if not mask.any():
            continue
        new_values, db_values = old[col].tolist(), old[col + "__db"].tolist()
        for i in np.flatnonzero(mask):
            changes[i][col] = [_audit_value(db_values[i]), _audit_value(new_values[i])]
    user_id, actor = _ACTOR.get()
    now = utcnow()
    ids = old["id"].tolist()
    return [{"entity": table_name, "record_id": int(ids[i]), "action": "update", "changes": diff,
             "user_id": user_id, "actor": actor, "channel": "import", "at": now}
            for i, diff in enumerate(changes) if diff]


def upsert(conn: Connection, write: TableWrite, *, progress: Progress | None = None) -> WriteCounts:
    """Insert new rows and update changed ones, matching on ``write.key`` (versions and audit rows: see above)."""
    rows = write.rows
    counts = WriteCounts()
    if rows.empty:
        return counts
    table = write.model.__table__
    value_cols = [c for c in rows.columns if c not in write.key]
    defaulted = _defaulted_columns(write.model, value_cols)
    existing = _existing(conn, write.model, [*write.key, *value_cols])
    history: list[dict[str, Any]] = []
    if existing.empty:
        new, changed, n_same = _fill_defaults(rows, defaulted), rows.iloc[0:0], 0
    else:
        merged = rows.reset_index(drop=True).merge(existing, on=list(write.key), how="left",
                                                   suffixes=("", "__db"), indicator=True)
        is_new = (merged["_merge"] == "left_only").to_numpy()
        new = _fill_defaults(rows.reset_index(drop=True)[is_new], defaulted)
        old = merged[~is_new].copy()
        for col in defaulted:  # a blank cell in a defaulted NOT NULL column keeps what the database has
            old[col] = old[col].where(old[col].notna(), old[col + "__db"])
        cell_differs = {col: _column_differs(old[col], old[col + "__db"], col in write.json_columns)
                        for col in value_cols}
        differs = np.zeros(len(old), dtype=bool)
        for mask in cell_differs.values():
            differs |= mask
        changed = old[differs]
        n_same = int((~differs).sum())
        if audited(write.model) and differs.any():
            history = _audit_rows(table.name, changed.reset_index(drop=True),
                                  {col: mask[differs] for col, mask in cell_differs.items()})
        if not changed.empty:
            changed = changed[["id", *value_cols]].rename(columns={"id": "_id"})
    total = len(new) + len(changed)
    done = 0
    for start in range(0, len(new), BATCH_ROWS):
        chunk = frame_records(new.iloc[start:start + BATCH_ROWS])
        conn.execute(insert(table), chunk)
        done += len(chunk)
        if progress:
            progress(table.name, done, total)
    if not changed.empty and value_cols:
        values: dict[str, Any] = {c: bindparam(c) for c in value_cols}
        if audited(write.model):  # what the ORM's version counter does, so open edits of these rows get a 409
            values["version"] = table.c.version + 1
        stmt = update(table).where(table.c.id == bindparam("_id")).values(values)
        for start in range(0, len(changed), BATCH_ROWS):
            chunk = frame_records(changed.iloc[start:start + BATCH_ROWS])
            conn.execute(stmt, chunk)
            done += len(chunk)
            if progress:
                progress(table.name, done, total)
    for start in range(0, len(history), BATCH_ROWS):
        conn.execute(insert(AuditEntry.__table__), history[start:start + BATCH_ROWS])
    counts.inserted, counts.updated, counts.unchanged = len(new), len(changed), n_same
    return counts


def key_to_id(conn: Connection, model: type[Base], key: str) -> dict[Any, int]:
    """Map a natural key column to primary keys (used to resolve references after writing parents)."""
    table = model.__table__
    return {k: v for k, v in conn.execute(select(table.c[key], table.c.id))}
