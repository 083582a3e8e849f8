"""Settings page: workspace facts, language, API keys (admin) and the dashboard password.

Every form here posts with the session's CSRF token (checked by the page guard before these handlers run).
A new API key is shown once, on the response to the form that created it; it is never stored or shown again.
The forms' handlers commit their transaction before answering, so the key, the revocation or the new password
(and this browser's fresh session) are in force for the very next request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.security import (
    SESSION_COOKIE,
    authenticate,
    require_role,
    set_session_cookie,
)
from bizpilot.config import get_settings
from bizpilot.db.engine import session_scope
from bizpilot.db.migrate import current_revision
from bizpilot.domain.security import ROLES
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Principal,
    check_password,
    create_api_key,
    create_session,
    has_password,
    list_api_keys,
    revoke_api_key,
    set_password,
)
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import VERSION, render

router = APIRouter()

PrincipalDep = Annotated[Principal, Depends(authenticate)]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
NOTICES = ("key_revoked", "password_changed", "password_set")


def workspace_facts(engine: Engine, *, admin: bool) -> dict[str, Any]:
    """What a person checks when something looks wrong: which directory and database this server uses.

    The directory and database URL (password always hidden) are host details, so only an admin sees them.
    """
    settings = get_settings()
    try:
        revision = current_revision(engine)
    except SQLAlchemyError:
        revision = None
    return {"home": str(settings.resolved_home) if admin else None,
            "dialect": engine.dialect.name, "driver": engine.driver,
            "url": engine.url.render_as_string(hide_password=True) if admin else None,
            "revision": revision, "version": VERSION}


def _page(request: Request, principal: Principal, session: Session, *, status_code: int = 200,
          key_error: str | None = None, password_error: str | None = None, key_name: str = "",
          key_role: str = "read") -> Response:
    lang = request_lang(request)
    engine = ensure_database()
    admin = principal.allows("admin")
    notice = request.query_params.get("notice")
    response = render(request, "settings/index.html", status_code=status_code, title=t("settings.title", lang),
                      facts=workspace_facts(engine, admin=admin), admin=admin, roles=ROLES,
                      keys=list_api_keys(session=session) if admin else [], has_password=has_password(session=session),
                      min_password=MIN_PASSWORD_LENGTH, notice=notice if notice in NOTICES else None,
                      key_error=key_error, password_error=password_error, key_name=key_name, key_role=key_role)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/settings", name="settings")
def settings_page(request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    return _page(request, principal, session)


@router.post("/settings/keys", name="settings_create_key")
def create_key(request: Request, principal: AdminDep, name: Annotated[str, Form(max_length=200)] = "",
               role: Annotated[str, Form(max_length=16)] = "read") -> Response:
    """Create a key and show it on this response only (no-store, so neither the cache nor history keeps it)."""
    lang = request_lang(request)
    with session_scope(ensure_database()) as session:
        try:
            key, info = create_api_key(session=session, name=name, role=role)
        except ConflictError:
            return _page(request, principal, session, status_code=409, key_name=name, key_role=role,
                         key_error=t("settings.err_key_exists", lang, name=name))
        except ValidationFailed as exc:
            field = exc.details[0].get("field") if exc.details else None
            message = t("settings.err_key_role" if field == "role" else "settings.err_key_name", lang)
            return _page(request, principal, session, status_code=422, key_error=message, key_name=name,
                         key_role=role)
    response = render(request, "settings/key_created.html", title=t("settings.key_created", lang), key=key,
                      info=info)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/keys/{key_id}/revoke", name="settings_revoke_key")
def revoke_key(key_id: int, principal: AdminDep) -> Response:
    with session_scope(ensure_database()) as session:
        info = next((k for k in list_api_keys(session=session) if k.id == key_id), None)
        if info is None:
            raise NotFoundError(f"API key {key_id} not found", details=[{"field": "key_id", "reason": "no such key"}])
        revoke_api_key(session=session, name_or_prefix=info.name)  # names are unique, and a name match wins
    return RedirectResponse("/settings?notice=key_revoked#keys", status_code=303)


@router.post("/settings/password", name="settings_password")
def change_password(request: Request, principal: AdminDep,
                    current: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                    new: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                    repeat: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "") -> Response:
    """Change (or first set) the password; every browser is signed out, then this one gets a fresh session."""
    lang = request_lang(request)
    with session_scope(ensure_database()) as session:
        had_password = has_password(session=session)

        def failed(key: str) -> Response:
            return _page(request, principal, session, status_code=422,
                         password_error=t(key, lang, min=MIN_PASSWORD_LENGTH))

        if had_password and not check_password(session=session, password=current):
            return failed("settings.err_current")
        if len(new) < MIN_PASSWORD_LENGTH:
            return failed("settings.err_short")
        if new != repeat:
            return failed("settings.err_mismatch")
        set_password(session=session, password=new)  # signs every browser out, this one included...
        response = RedirectResponse(
            f"/settings?notice={'password_changed' if had_password else 'password_set'}#password", status_code=303)
        if principal.kind == "session" and request.cookies.get(SESSION_COOKIE):
            set_session_cookie(response, request, create_session(session=session))  # ...which signs in again
    return response
