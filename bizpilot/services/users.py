"""Users: the named people who sign in, own accounts and deals, and hold API keys.

A user has a unique name and (optional) unique e-mail, both matched without regard to case, so "Emily Carter",
"emily carter" and "EMILY@harborline.example" are one person at the sign-in form and in an import's owner column.
Passwords are salted scrypt hashes (``services/passwords.py``, as the workspace password). Deactivating a user
signs out their browsers and spends their login links; their keys stop working while they are deactivated (and
work again if they are reactivated), and what they own and did stays theirs. The workspace always keeps one active
admin: the last one can be neither demoted nor deactivated.

Like every service, these take the caller's ``session`` and only flush; the edge commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.security import ApiKey, LoginToken
from bizpilot.domain.user import USER_ROLES, User, UserCreate
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    _begin_outer,
    check_password,
    end_sessions,
    first_admin,
    has_password,
)
from bizpilot.services.passwords import hash_password, verify_password


def _invalid(exc: ValidationError) -> ValidationFailed:
    """A pydantic error as one ValidationFailed whose details name each field."""
    details = [{"field": ".".join(str(p) for p in err["loc"]) or "user", "reason": err["msg"]}
               for err in exc.errors()]
    fields = ", ".join(d["field"] for d in details)
    return ValidationFailed(f"invalid user ({fields}): {details[0]['reason']}", details=details)


def check_user_role(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in USER_ROLES:
        raise ValidationFailed(f"unknown role '{role}'; choose one of {', '.join(USER_ROLES)}",
                               details=[{"field": "role", "reason": f"must be one of {', '.join(USER_ROLES)}",
                                         "value": role}])
    return value


def _normalised(*, name: str, email: str | None, role: str) -> UserCreate:
    try:
        data = UserCreate(name=(name or "").strip(), email=(email or "").strip().lower() or None,
                          role=(role or "").strip().lower())
    except ValidationError as exc:
        raise _invalid(exc) from None
    if not data.name.isprintable():
        raise ValidationFailed("a user name must be printable", details=[{"field": "name", "reason": "not printable"}])
    return data


def _taken(session: Session, *, name: str | None = None, email: str | None = None,
           other_than: int | None = None) -> ConflictError | None:
    """The conflict a name or e-mail already in use would cause (compared without regard to case)."""
    checks = ((("name", name), func.lower(User.name)), (("email", email), func.lower(User.email)))
    for (field, value), column in checks:
        if value is None:
            continue
        query = select(User.id).where(column == value.lower())
        if other_than is not None:
            query = query.where(User.id != other_than)
        if session.scalar(query.limit(1)) is not None:
            label = "name" if field == "name" else "e-mail"
            return ConflictError(f"a user with the {label} '{value}' already exists",
                                 details=[{"field": field, "reason": "already used", "value": value}])
    return None


def create_user(*, session: Session, name: str, email: str | None = None, role: str = "sales",
                password: str | None = None) -> User:
    """Add a user; a duplicate name or e-mail is a ConflictError naming the field (also against a concurrent add).

    Without a password the user signs in with a one-time login link (``create_login_token(user_id=...)``)."""
    data = _normalised(name=name, email=email, role=role)
    stored = hash_password(password) if password is not None else None
    conflict = _taken(session, name=data.name, email=data.email)
    if conflict is not None:
        raise conflict
    user = User(name=data.name, email=data.email, role=data.role, password=stored, active=True, created_at=utcnow())
    _begin_outer(session)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:  # a concurrent add with the same name or e-mail got there first
        raise _taken(session, name=data.name, email=data.email) or ConflictError(
            f"a user named '{data.name}' already exists", details=[{"field": "name", "reason": "already used"}]
        ) from None
    return user


def list_users(*, session: Session, include_inactive: bool = True, role: str | None = None) -> list[User]:
    query = select(User).order_by(User.id)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    if role is not None:
        query = query.where(User.role == check_user_role(role))
    return list(session.scalars(query))


def find_user(*, session: Session, ref: str | int) -> User | None:
    """The user ``ref`` names: an int is the id; text is a name, then an e-mail (without regard to case), then an
    id written as digits. None when nobody matches."""
    if isinstance(ref, int):
        return session.get(User, ref)
    text = (ref or "").strip()
    if not text:
        return None
    user = session.scalar(select(User).where(func.lower(User.name) == text.lower()).limit(1))
    if user is None and "@" in text:
        user = session.scalar(select(User).where(func.lower(User.email) == text.lower()).limit(1))
    if user is None and text.isdigit():
        user = session.get(User, int(text))
    return user


def get_user(*, session: Session, ref: str | int, field: str = "user") -> User:
    """Like ``find_user``, but a NotFoundError naming ``field`` when nobody matches."""
    user = find_user(session=session, ref=ref)
    if user is None:
        raise NotFoundError(f"no user '{ref}' (give a name, an e-mail or an id; `bizpilot users list` shows them)",
                            details=[{"field": field, "reason": "no such user", "value": str(ref)}])
    return user


def resolve_owner(*, session: Session, ref: str | int, field: str = "owner") -> User:
    """The user an owner field of a record names (name, e-mail or id, as imports match them); a ValidationFailed
    naming ``field`` when nobody matches (for input checks: a 422, where ``get_user`` is a 404)."""
    user = find_user(session=session, ref=ref)
    if user is None:
        raise ValidationFailed(f"unknown owner '{ref}': no user has this name, e-mail or id",
                               details=[{"field": field, "reason": "unknown user", "value": ref}])
    return user


def _active_admins(session: Session, *, other_than: int) -> int:
    return int(session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != other_than)) or 0)


def _keep_an_admin(session: Session, user: User, what: str) -> None:
    if user.role == "admin" and user.active and _active_admins(session, other_than=user.id) == 0:
        raise ConflictError(f"{user.name} is the only active admin and cannot be {what}; make another user admin first",
                            details=[{"field": "role", "reason": "last active admin", "value": user.name}])


def change_role(*, session: Session, user: User, role: str) -> User:
    """Give ``user`` another role (effective on their next request: sessions and keys read it each time)."""
    role = check_user_role(role)
    if role != "admin":
        _keep_an_admin(session, user, f"made {role}")
    user.role = role
    session.flush()
    return user


def update_user(*, session: Session, user: User, name: str | None = None, email: str | None = None) -> User:
    """Rename ``user`` or change their e-mail (``""`` removes it); the same checks as ``create_user``."""
    data = _normalised(name=user.name if name is None else name,
                       email=user.email if email is None else email, role=user.role)
    conflict = _taken(session, name=data.name if data.name.lower() != user.name.lower() else None,
                      email=data.email, other_than=user.id)
    if conflict is not None:
        raise conflict
    user.name, user.email = data.name, data.email
    session.flush()
    return user


def set_user_password(*, session: Session, user: User, password: str, keep_session: int | None = None) -> None:
    """Set ``user``'s password and sign out their other browsers (all but ``keep_session``)."""
    user.password = hash_password(password)
    end_sessions(session=session, user_id=user.id, keep=keep_session)
    session.flush()


def check_user_password(*, user: User, password: str) -> bool:
    return verify_password(user.password, password)


def deactivate_user(*, session: Session, user: User) -> User:
    """Stop ``user`` signing in: their browsers are signed out, their login links spent, their keys refused."""
    _keep_an_admin(session, user, "deactivated")
    user.active = False
    end_sessions(session=session, user_id=user.id)
    session.execute(delete(LoginToken).where(LoginToken.user_id == user.id, LoginToken.used_at.is_(None)))
    session.flush()
    return user


def activate_user(*, session: Session, user: User) -> User:
    """Let ``user`` sign in again (their unrevoked keys work again too)."""
    user.active = True
    session.flush()
    return user


def active_keys(*, session: Session, user: User) -> int:
    """How many unrevoked API keys ``user`` holds (what deactivating them stops)."""
    return int(session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))) or 0)


# --- signing in ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    """The outcome of the password form: ``ok`` with whom to sign in (``user_id`` None: the workspace owner), or
    why not: ``wrong`` (no such user or a wrong password: the form never says which), ``inactive`` (the right
    password of a deactivated user) or ``no_password`` (nothing to check against)."""

    ok: bool
    user_id: int | None = None
    reason: str | None = None


@cache
def _decoy() -> dict[str, Any]:
    """A hash to check against when no user matches, so a wrong name costs as long as a wrong password."""
    return hash_password("decoy-password-never-used")


def sign_in(*, session: Session, login: str, password: str) -> SignIn:
    """Check the sign-in form: ``login`` is a user's name or e-mail and ``password`` theirs; an empty ``login``
    means the workspace password, which signs in as the first admin (or as the workspace owner without one)."""
    login = (login or "").strip()
    if not login:
        if not has_password(session=session):
            return SignIn(ok=False, reason="no_password")
        if not check_password(session=session, password=password):
            return SignIn(ok=False, reason="wrong")
        admin = first_admin(session=session)
        return SignIn(ok=True, user_id=admin.id if admin is not None else None)
    user = session.scalar(select(User).where(or_(func.lower(User.name) == login.lower(),
                                                 func.lower(User.email) == login.lower())).limit(1))
    if not verify_password(user.password if user is not None and user.password else _decoy(), password) \
            or user is None or not user.password:
        return SignIn(ok=False, reason="wrong")
    if not user.active:
        return SignIn(ok=False, reason="inactive")
    return SignIn(ok=True, user_id=user.id)


def has_users(*, session: Session) -> bool:
    """Whether the workspace has any users (else it is a single-person install, signed in as its owner)."""
    return session.scalar(select(User.id).limit(1)) is not None


def anyone_has_password(*, session: Session) -> bool:
    """Whether the sign-in form can succeed at all: a workspace password or a user with a password."""
    return has_password(session=session) or session.scalar(
        select(User.id).where(User.password.is_not(None), User.active.is_(True)).limit(1)) is not None


__all__ = [
    "SignIn", "activate_user", "active_keys", "anyone_has_password", "change_role", "check_user_password",
    "check_user_role", "create_user", "deactivate_user", "find_user", "first_admin", "get_user", "has_users",
    "list_users", "resolve_owner", "set_user_password", "sign_in", "update_user",
]
