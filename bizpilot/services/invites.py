"""Calendar invitations (.ics, RFC 5545) for a call or meeting: a task to do by a date, or a logged call/meeting.

Written by hand (a VCALENDAR with one VEVENT is a few lines): times in UTC (``...Z``), text values escaped
(backslash, semicolon, comma, line breaks), parameter values quoted where they must be, lines folded at 75 octets
without splitting a UTF-8 character, CRLF line ends. The UID is stable per record, and SEQUENCE is the record's
version, so importing the invitation again after a change updates the same calendar event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain import Account, Contact, Interaction, Task
from bizpilot.domain.user import User
from bizpilot.errors import NotFoundError, ValidationFailed

PRODID = "-//bizpilot//Follow-ups//EN"
INVITE_CHANNELS = ("call", "meeting")
DEFAULT_MINUTES = 30
DEFAULT_HOUR_UTC = 9  # a task's call, without a time given: its due date at 09:00 UTC
MAX_LINE_OCTETS = 75


@dataclass(frozen=True)
class Person:
    name: str | None
    email: str


@dataclass(frozen=True)
class Invite:
    uid: str
    start: datetime  # UTC (naive values are taken as UTC)
    end: datetime
    summary: str
    description: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    sequence: int = 0
    location: str | None = None


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param_value(value: str) -> str:
    """A parameter value (3.2): quoted when it holds ``:;,``; DQUOTE and control characters cannot appear."""
    clean = "".join(c for c in value if c != '"' and (c == "\t" or ord(c) >= 32) and ord(c) != 127)
    return f'"{clean}"' if any(c in clean for c in ":;,") else clean


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets (3.1), never inside a UTF-8 character."""
    out, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = MAX_LINE_OCTETS if not out else MAX_LINE_OCTETS - 1  # continuation lines start with a space
        if size + width > limit:
            out.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y%m%dT%H%M%SZ")


def _person(prop: str, person: Person, extra: str = "") -> str:
    cn = f";CN={param_value(person.name)}" if person.name else ""
    return f"{prop}{cn}{extra}:mailto:{person.email}"


def render_invite(invite: Invite, *, now: datetime | None = None) -> str:
    """The invitation as an iCalendar document (CRLF line ends, folded)."""
    if invite.end <= invite.start:
        raise ValidationFailed("an event must end after it starts", details=[{"field": "minutes", "reason": "> 0"}])
    method = "REQUEST" if invite.organizer is not None and invite.attendees else "PUBLISH"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", f"METHOD:{method}",
             "BEGIN:VEVENT", f"UID:{invite.uid}", f"DTSTAMP:{_stamp(now or utcnow())}",
             f"DTSTART:{_stamp(invite.start)}", f"DTEND:{_stamp(invite.end)}", f"SEQUENCE:{invite.sequence}",
             f"SUMMARY:{escape_text(invite.summary)}"]
    if invite.description:
        lines.append(f"DESCRIPTION:{escape_text(invite.description)}")
    if invite.location:
        lines.append(f"LOCATION:{escape_text(invite.location)}")
    if invite.organizer is not None:
        lines.append(_person("ORGANIZER", invite.organizer))
    for attendee in invite.attendees:
        lines.append(_person("ATTENDEE", attendee, ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"))
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


def _user(session: Session, user_id: int | None) -> Person | None:
    user = session.get(User, user_id) if user_id is not None else None
    return Person(user.name, user.email) if user is not None and user.email else None


def _contact_person(contact: Contact | None) -> Person | None:
    return Person(contact.name, contact.email) if contact is not None and contact.email else None


def main_contact(*, session: Session, account_id: int | None) -> Contact | None:
    """The account's main contact: its first contact (not archived) with an e-mail address."""
    if account_id is None:
        return None
    return session.scalar(select(Contact).where(Contact.account_id == account_id, Contact.email.is_not(None),
                                                Contact.archived_at.is_(None)).order_by(Contact.id).limit(1))


def _window(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    if not 1 <= minutes <= 24 * 60:
        raise ValidationFailed("minutes must be between 1 and 1440", details=[{"field": "minutes", "reason": "1-1440"}])
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    return start, start + timedelta(minutes=minutes)


def _uid(kind: str, record_id: int, salt: str) -> str:
    """Stable for the record, and distinct across workspaces (the salt is something only this record has)."""
    return f"{kind}-{record_id}-{hashlib.sha1(salt.encode('utf-8')).hexdigest()[:12]}@bizpilot"


def task_invite(*, session: Session, task_id: int, start: datetime | None = None, minutes: int = DEFAULT_MINUTES,
                organizer_user_id: int | None = None) -> Invite:
    """An invitation for the call or meeting a task asks for: at ``start`` (default: its due date, or tomorrow, at
    09:00 UTC), organised by the task's owner (else ``organizer_user_id``), with the account's main contact."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} not found", details=[{"field": "id", "reason": "not found"}])
    day: date = task.due_date or (utcnow().date() + timedelta(days=1))
    begin, end = _window(start or datetime.combine(day, time(DEFAULT_HOUR_UTC)), minutes)
    account = session.get(Account, task.account_id) if task.account_id is not None else None
    contact = _contact_person(main_contact(session=session, account_id=task.account_id))
    lines = [task.reason or ""]
    if account is not None:
        lines.append(f"Account: {account.name} ({account.external_id})")
    return Invite(uid=_uid("task", task.id, f"{task.created_at}"), start=begin, end=end,
                  summary=task.title if account is None or account.name in task.title
                  else f"{task.title} – {account.name}",
                  description="\n".join(x for x in lines if x),
                  organizer=_user(session, task.owner_id) or _user(session, organizer_user_id),
                  attendees=(contact,) if contact else (), sequence=max(0, (task.version or 1) - 1))


def interaction_invite(*, session: Session, interaction_id: int, minutes: int = DEFAULT_MINUTES,
                       organizer_user_id: int | None = None) -> Invite:
    """An invitation for a logged or planned call/meeting, at its time, with its contact (else the account's
    main contact), organised by who logged it (else ``organizer_user_id``)."""
    ix = session.get(Interaction, interaction_id)
    if ix is None:
        raise NotFoundError(f"interaction {interaction_id} not found",
                            details=[{"field": "id", "reason": "not found"}])
    if ix.channel not in INVITE_CHANNELS:
        raise ValidationFailed(f"only calls and meetings export as invitations; interaction {ix.id} is "
                               f"{ix.channel!r}", details=[{"field": "channel", "reason": "not a call or meeting",
                                                            "value": ix.channel}])
    begin, end = _window(ix.occurred_at, minutes)
    account = session.get(Account, ix.account_id) if ix.account_id is not None else None
    contact = session.get(Contact, ix.contact_id) if ix.contact_id is not None else None
    attendee = _contact_person(contact) or _contact_person(main_contact(session=session, account_id=ix.account_id))
    what = "Meeting" if ix.channel == "meeting" else "Call"
    summary = ix.subject or (f"{what} with {account.name}" if account is not None else what)
    description = "\n".join(x for x in (ix.text or "", f"Account: {account.name}" if account else "") if x)
    return Invite(uid=_uid("interaction", ix.id, ix.external_id), start=begin, end=end, summary=summary,
                  description=description,
                  organizer=_user(session, ix.user_id) or _user(session, organizer_user_id),
                  attendees=(attendee,) if attendee else (), sequence=max(0, (ix.version or 1) - 1))


__all__ = ["INVITE_CHANNELS", "Invite", "Person", "escape_text", "fold", "interaction_invite", "main_contact",
           "param_value", "render_invite", "task_invite"]
