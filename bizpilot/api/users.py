"""The team over the API: who the users are (any role may read: owners are picked from them), who is calling
(``/users/me``), and, for admins, adding users and changing their name, e-mail, role, password or status.

Writes commit before the answer goes out: a user reported added can sign in (or get a key) with the next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.schemas import ErrorResponse
from bizpilot.api.security import AdminPrincipal, ReadPrincipal
from bizpilot.db.engine import session_scope
from bizpilot.domain.schemas import UTCSchema
from bizpilot.domain.user import User, UserRole
from bizpilot.errors import NotFoundError
from bizpilot.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from bizpilot.services.users import (
    activate_user,
    change_role,
    create_user,
    deactivate_user,
    list_users,
    set_user_password,
    update_user,
)

MAX_ID = 2**63 - 1
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id")]


class UserOut(UTCSchema):
    """A user as anyone may see them (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None
    role: str
    active: bool
    created_at: datetime
    has_password: bool = Field(description="Whether they can sign in with a password (else with a login link)")


class UserList(BaseModel):
    items: list[UserOut]


class Me(BaseModel):
    """Who is calling: the kind of credential, the role it acts with, and its user (none for a key of nobody, the
    workspace owner's session, or open reads)."""

    kind: Literal["key", "session", "open", "system"]
    name: str
    role: str = Field(description="The role it acts with: a key acts with its user's role capped by its level")
    level: Literal["read", "write", "admin"]
    user: UserOut | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="Unique, without '@' (sign in with it or the e-mail)")
    email: str | None = Field(None, max_length=255, description="Unique e-mail address")
    role: UserRole = Field("sales", description="viewer < service, sales < manager < admin")
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="Optional: without one, the user signs in with a one-time link")


class UserPatch(BaseModel):
    """Only the fields sent change; ``email: null`` removes the e-mail."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=64)
    email: str | None = Field(None, max_length=255)
    role: UserRole | None = None
    active: bool | None = Field(None, description="false: signed out everywhere, keys refused until reactivated")
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="A new password; signs the user out of every browser")


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, name=user.name, email=user.email, role=user.role, active=user.active,
                   created_at=user.created_at, has_password=bool(user.password))


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found", details=[{"field": "user_id", "reason": "no such user",
                                                                   "value": user_id}])
    return user


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No user with this id"},
    409: {"model": ErrorResponse, "description": "The name or e-mail is taken, or this would leave no active admin"},
    422: {"model": ErrorResponse, "description": "A field is invalid (named in details)"},
}

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=UserList, operation_id="list_users", summary="Users (any role may read them)",
            responses={422: {"model": ErrorResponse, "description": "An unknown role or flag"}})
def list_(session: SessionDep, role: Annotated[UserRole | None, Query(description="Only this role")] = None,
          active: Annotated[bool | None, Query(description="Only active (true) or deactivated (false)")] = None,
          ) -> UserList:
    users = list_users(session=session, role=role)
    return UserList(items=[user_out(u) for u in users if active is None or u.active == active])


@router.get("/me", response_model=Me, operation_id="who_am_i", summary="Who is calling, and with which role")
def me(principal: ReadPrincipal, session: SessionDep) -> Me:
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    return Me(kind=principal.kind, name=principal.name, role=principal.role,  # type: ignore[arg-type]
              level=principal.level, user=user_out(user) if user is not None else None)  # type: ignore[arg-type]


@router.get("/{user_id}", response_model=UserOut, operation_id="get_user", summary="One user",
            responses={404: ERRORS[404]})
def get(user_id: UserId, session: SessionDep) -> UserOut:
    return user_out(_user(session, user_id))


@router.post("", response_model=UserOut, status_code=201, operation_id="create_user", summary="Add a user (admin)",
             responses={409: ERRORS[409], 422: ERRORS[422]})
def create(body: UserIn, principal: AdminPrincipal) -> UserOut:
    with session_scope(ensure_database()) as session:
        user = create_user(session=session, name=body.name, email=body.email, role=body.role,
                           password=body.password)
        return user_out(user)


@router.patch("/{user_id}", response_model=UserOut, operation_id="update_user",
              summary="Change a user's name, e-mail, role, password or status (admin)", responses=ERRORS)
def patch(user_id: UserId, body: UserPatch, principal: AdminPrincipal) -> UserOut:
    sent = body.model_fields_set
    with session_scope(ensure_database()) as session:
        user = _user(session, user_id)
        if "name" in sent or "email" in sent:
            update_user(session=session, user=user, name=body.name if "name" in sent else None,
                        email=(body.email or "") if "email" in sent else None)
        if body.role is not None:
            change_role(session=session, user=user, role=body.role)
        if body.password is not None:
            set_user_password(session=session, user=user, password=body.password)
        if body.active is True and not user.active:
            activate_user(session=session, user=user)
        elif body.active is False and user.active:
            deactivate_user(session=session, user=user)
        return user_out(user)


__all__ = ["Me", "UserIn", "UserList", "UserOut", "UserPatch", "router", "user_out"]
