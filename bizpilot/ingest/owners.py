"""Owners in imported files: an owner column (a user's name or e-mail, e.g. "Account Owner", "Sales Rep", "负责人")
becomes the record's ``owner_id``, matched without regard to case; deactivated users match too (what they owned
stays theirs after they left, until someone reassigns it).

An owner nobody matches:
- rejects an account row, naming the value, as an unknown account reference does: an account silently left without
  its owner would vanish from its rep's lists and only a manager could change it. Add the user (deactivated, for
  someone who has left) or map the column to nothing, and import the rejects file again.
- keeps an opportunity row: a deal's owner is also its history (who worked it; the win-probability model learns
  from it), so the name stays as text, the deal gets no ``owner_id`` and so belongs to its account's owner
  (``services/policy.py::owner_of``), and the report names the owners it did not find.
A workspace without any users (a single-person install) has nobody to match: no owner is set, opportunities keep
the owner's name as text (as before users existed), and the report says so once.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, select

from bizpilot.domain.user import User
from bizpilot.errors import RowError
from bizpilot.ingest.rows import ValidRow

OWNER_FIELD = "owner"
OWNER_COLUMN = "owner_id"
NO_USERS_NOTE = ("owner column not matched: this workspace has no users yet, so no owner was set (add them with "
                 "`bizpilot users add` and import the file again)")


def user_index(conn: Connection) -> dict[str, tuple[int, str]]:
    """Every user's name and e-mail, casefolded, -> (id, name)."""
    index: dict[str, tuple[int, str]] = {}
    for user_id, name, email in conn.execute(select(User.id, User.name, User.email).order_by(User.id)):
        index.setdefault(name.strip().casefold(), (user_id, name))
        if email:
            index.setdefault(email.strip().casefold(), (user_id, name))
    return index


def resolve_owners(conn: Connection, rows: list[ValidRow], present: set[str], rejects: list[RowError],
                   notes: list[str], *, unknown: str = "reject") -> list[ValidRow]:
    """Set ``owner_id`` (and the user's name as the ``owner`` text) on each row; the rows that keep going.

    ``unknown`` is what an owner who is no user does: "reject" the row or "keep" it without ``owner_id``. An empty
    owner cell clears the owner, as an empty cell clears any other field; ``present`` learns that ``owner_id`` is
    written."""
    if OWNER_FIELD not in present:
        return rows
    index = user_index(conn)
    if not index:
        notes.append(NO_USERS_NOTE)
        return rows
    kept: list[ValidRow] = []
    missing: Counter[str] = Counter()
    for row in rows:
        value = row.data.get(OWNER_FIELD)
        text = "" if value is None else str(value).strip()
        match = index.get(text.casefold()) if text else None
        if match is not None:
            row.data[OWNER_COLUMN], row.data[OWNER_FIELD] = match
        elif not text:
            row.data[OWNER_COLUMN], row.data[OWNER_FIELD] = None, None
        elif unknown == "keep":
            row.data[OWNER_COLUMN], row.data[OWNER_FIELD] = None, text
            missing[text] += 1
        else:
            rejects.append(RowError(row.source_row, OWNER_FIELD,
                                    f"unknown owner '{text}': no user has this name or e-mail (add them with "
                                    f"`bizpilot users add`, deactivated if they have left)", value))
            continue
        kept.append(row)
    if missing:
        names = ", ".join(f"{name} ({count})" for name, count in missing.most_common(10))
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        notes.append(f"{sum(missing.values())} row(s) name an owner who is no user: {names}{more}; the name is kept "
                     f"as text and the record belongs to its account's owner")
    present.add(OWNER_COLUMN)
    return kept


__all__ = ["NO_USERS_NOTE", "OWNER_COLUMN", "OWNER_FIELD", "resolve_owners", "user_index"]
