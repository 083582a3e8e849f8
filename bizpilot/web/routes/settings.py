"""Settings page: workspace facts, language, your profile and password, the language models with their capability
probe and the remote endpoint (``settings_llm``), the team (admin), API keys (admin) and the workspace password
(admin).

Every form here posts with the session's CSRF token (checked by the page guard before these handlers run). A new
API key and a one-time login link made for someone are shown once, on the response to the form that created them;
they are never stored or shown again. The forms' handlers commit their transaction before answering, so the key,
the user, the revocation or the new password (and this browser's fresh session) are in force for the very next
request. Changing your own password lives on ``profile_router`` (listed with the public routers): every signed-in
user may do it, viewers too, whom the page guard would refuse a POST.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.ratelimit import check, limiter
from bizpilot.api.security import (
    SESSION_COOKIE,
    authenticate,
    key_rate_keys,
    require_role,
    set_session_cookie,
)
from bizpilot.config import get_settings
from bizpilot.db.engine import session_scope
from bizpilot.db.migrate import current_revision
from bizpilot.domain.security import ROLES
from bizpilot.domain.user import USER_ROLES, User
from bizpilot.errors import BizpilotError, ConflictError, Forbidden, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    FIRST_ADMIN,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Principal,
    check_password,
    create_api_key,
    create_login_token,
    create_session,
    first_admin,
    has_password,
    list_api_keys,
    revoke_api_key,
    set_password,
)
from bizpilot.services.llmprobe.endpoint import MAX_MODEL, MAX_URL, clear_endpoint, get_endpoint, save_endpoint
from bizpilot.services.llmprobe.jobs import request_test
from bizpilot.services.users import (
    activate_user,
    change_role,
    check_user_password,
    create_user,
    deactivate_user,
    list_users,
    set_user_password,
)
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import VERSION, render
from bizpilot.web.routes import settings_llm

router = APIRouter()
profile_router = APIRouter()

PrincipalDep = Annotated[Principal, Depends(authenticate)]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
UserId = Annotated[int, Path(ge=1, le=2**63 - 1)]
NOTICES = ("key_revoked", "password_changed", "password_set", "user_added", "role_changed", "user_deactivated",
           "user_activated", "profile_password", *settings_llm.NOTICES)
FORM_DEFAULTS: dict[str, Any] = {"key_error": None, "password_error": None, "key_name": "", "key_role": "read",
                                 "key_user": None, "user_error": None, "user_form": {"role": "sales"},
                                 "profile_error": None}


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


def _team(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The users as the Users section lists them (never a password hash: only whether there is one)."""
    return [{"id": u.id, "name": u.name, "email": u.email, "role": u.role, "active": u.active,
             "has_password": bool(u.password), "me": u.id == principal.user_id} for u in list_users(session=session)]


def _page(request: Request, principal: Principal, session: Session, *, status_code: int = 200,
          **form: Any) -> Response:
    lang = request_lang(request)
    engine = ensure_database()
    admin = principal.allows("admin")
    notice = request.query_params.get("notice")
    me = session.get(User, principal.user_id) if principal.user_id is not None else None
    default_key_user = first_admin(session=session) if admin else None
    team = _team(session, principal) if admin else []
    llm = settings_llm.llm_section(session, admin=admin)
    llm["error"] = form.pop("llm_error", None)
    llm["form"] = form.pop("llm_form", None) or llm["form"]
    response = render(request, "settings/index.html", status_code=status_code, title=t("settings.title", lang),
                      facts=workspace_facts(engine, admin=admin), admin=admin, roles=ROLES, user_roles=USER_ROLES,
                      keys=list_api_keys(session=session) if admin else [], has_password=has_password(session=session),
                      min_password=MIN_PASSWORD_LENGTH, notice=notice if notice in NOTICES else None,
                      me=me, me_has_password=bool(me and me.password), team=team,
                      key_users=[u for u in team if u["active"]], llm=llm, refresh=_llm_refresh(request, llm),
                      **{**FORM_DEFAULTS, "key_user": default_key_user.id if default_key_user else None, **form})
    response.headers["Cache-Control"] = "no-store"
    return response


def _llm_refresh(request: Request, llm: dict[str, Any]) -> str | None:
    """While an endpoint test runs, reload in a few seconds, to a URL without the ``#llm`` fragment: a refresh to
    the same URL with a fragment is only a jump within the page, which would never show the result."""
    if not llm["refresh"]:
        return None
    return f"{llm['refresh']}; url={request.scope.get('root_path', '')}/settings?llm=testing"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/settings", name="settings")
def settings_page(request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    return _page(request, principal, session)


# --- API keys (admin) ---------------------------------------------------------------------------------------

@router.post("/settings/keys", name="settings_create_key")
def create_key(request: Request, principal: AdminDep, name: Annotated[str, Form(max_length=200)] = "",
               role: Annotated[str, Form(max_length=16)] = "read",
               user: Annotated[str, Form(max_length=24)] = "") -> Response:
    """Create a key (for the chosen user, else the first admin) and show it on this response only (no-store, so
    neither the cache nor history keeps it)."""
    lang = request_lang(request)
    limit_keys = key_rate_keys(request)
    check(request, "keys", limit_keys, what="API keys created")
    with session_scope(ensure_database()) as session:
        owner = int(user) if user.isdigit() else FIRST_ADMIN
        form = {"key_name": name, "key_role": role, "key_user": owner if isinstance(owner, int) else None}
        try:
            key, info = create_api_key(session=session, name=name, role=role, user_id=owner)
        except ConflictError:
            return _page(request, principal, session, status_code=409, **form,
                         key_error=t("settings.err_key_exists", lang, name=name))
        except (ValidationFailed, NotFoundError) as exc:
            field = exc.details[0].get("field") if exc.details else None
            message = (t("settings.err_key_role", lang) if field == "role" else exc.message if field == "user"
                       else t("settings.err_key_name", lang))
            return _page(request, principal, session, status_code=422, key_error=message, **form)
    limiter(request, "keys").hit(limit_keys)
    return _no_store(render(request, "settings/key_created.html", title=t("settings.key_created", lang), key=key,
                            info=info))


@router.post("/settings/keys/{key_id}/revoke", name="settings_revoke_key")
def revoke_key(key_id: int, principal: AdminDep) -> Response:
    with session_scope(ensure_database()) as session:
        info = next((k for k in list_api_keys(session=session) if k.id == key_id), None)
        if info is None:
            raise NotFoundError(f"API key {key_id} not found", details=[{"field": "key_id", "reason": "no such key"}])
        revoke_api_key(session=session, name_or_prefix=info.name)  # names are unique, and a name match wins
    return RedirectResponse("/settings?notice=key_revoked#keys", status_code=303)


# --- the team (admin) ---------------------------------------------------------------------------------------

def _user_message(exc: BizpilotError, lang: str) -> str:
    """Why a Users form failed, in the page's language (the service's own words where no text says it)."""
    detail = exc.details[0] if exc.details else {}
    field, reason = detail.get("field"), detail.get("reason")
    if reason == "last active admin":
        key = "users.err_last_admin"
    elif isinstance(exc, ConflictError) and field in ("name", "email"):
        key = f"users.err_taken_{field}"
    elif field in ("name", "email", "role", "password", "user"):
        key = f"users.err_{field}"
    else:
        return exc.message
    return t(key, lang, value=detail.get("value", ""), min=MIN_PASSWORD_LENGTH)


def _user_failed(request: Request, principal: Principal, session: Session, exc: BizpilotError,
                 form: dict[str, Any] | None = None) -> Response:
    """The Users section again with the reason, naming the field."""
    message = _user_message(exc, request_lang(request))
    session.rollback()
    return _page(request, principal, session, status_code=exc.status, user_error=message,
                 user_form=form or FORM_DEFAULTS["user_form"])


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found", details=[{"field": "user_id", "reason": "no such user"}])
    return user


@router.post("/settings/users", name="settings_add_user")
def add_user(request: Request, principal: AdminDep, name: Annotated[str, Form(max_length=200)] = "",
             email: Annotated[str, Form(max_length=300)] = "", role: Annotated[str, Form(max_length=16)] = "sales",
             password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "") -> Response:
    """Add a user; with a password they sign in with it, without one hand them a login link (button per user)."""
    with session_scope(ensure_database()) as session:
        try:
            create_user(session=session, name=name, email=email or None, role=role, password=password or None)
        except (ValidationFailed, ConflictError) as exc:
            return _user_failed(request, principal, session, exc, {"name": name, "email": email, "role": role})
    return RedirectResponse("/settings?notice=user_added#users", status_code=303)


@router.post("/settings/users/{user_id}/role", name="settings_user_role")
def set_role(request: Request, user_id: UserId, principal: AdminDep,
             role: Annotated[str, Form(max_length=16)] = "") -> Response:
    with session_scope(ensure_database()) as session:
        try:
            change_role(session=session, user=_target(session, user_id), role=role)
        except (ValidationFailed, ConflictError) as exc:
            return _user_failed(request, principal, session, exc)
    return RedirectResponse("/settings?notice=role_changed#users", status_code=303)


def _set_status(request: Request, user_id: int, action: str, principal: Principal) -> Response:
    with session_scope(ensure_database()) as session:
        user = _target(session, user_id)
        try:
            (deactivate_user if action == "deactivate" else activate_user)(session=session, user=user)
        except ConflictError as exc:
            return _user_failed(request, principal, session, exc)
    return RedirectResponse(f"/settings?notice=user_{action}d#users", status_code=303)


@router.post("/settings/users/{user_id}/deactivate", name="settings_user_deactivate")
def deactivate(request: Request, user_id: UserId, principal: AdminDep) -> Response:
    """Signed out everywhere, login links spent, keys refused; what they own stays theirs."""
    return _set_status(request, user_id, "deactivate", principal)


@router.post("/settings/users/{user_id}/activate", name="settings_user_activate")
def activate(request: Request, user_id: UserId, principal: AdminDep) -> Response:
    return _set_status(request, user_id, "activate", principal)


@router.post("/settings/users/{user_id}/link", name="settings_user_link")
def login_link(request: Request, user_id: UserId, principal: AdminDep) -> Response:
    """A one-time login link for this user, to hand over (e.g. to a new colleague): shown once, never stored."""
    lang = request_lang(request)
    with session_scope(ensure_database()) as session:
        user = _target(session, user_id)
        try:
            token = create_login_token(session=session, user_id=user.id)
        except ValidationFailed as exc:
            return _user_failed(request, principal, session, exc)
        name = user.name
    link = f"{str(request.base_url).rstrip('/')}/login/token/{token}"
    return _no_store(render(request, "settings/login_link.html", title=t("users.link_title", lang), link=link,
                            user_name=name, minutes=get_settings().login_link_minutes))


# --- passwords ----------------------------------------------------------------------------------------------

@router.post("/settings/password", name="settings_password")
def change_password(request: Request, principal: AdminDep,
                    current: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                    new: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                    repeat: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "") -> Response:
    """Change (or first set) the workspace password; every browser it signed in is signed out, then this one gets a
    fresh session."""
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
        set_password(session=session, password=new)  # signs the browsers it signed in out, maybe this one...
        response = RedirectResponse(
            f"/settings?notice={'password_changed' if had_password else 'password_set'}#password", status_code=303)
        if principal.kind == "session" and request.cookies.get(SESSION_COOKIE):
            ticket = create_session(session=session, user_id=principal.user_id)  # ...which signs in again
            set_session_cookie(response, request, ticket)
    return response


@profile_router.post("/settings/profile/password", name="settings_profile_password")
def change_own_password(request: Request, principal: PrincipalDep,
                        current: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                        new: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
                        repeat: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "") -> Response:
    """A signed-in user changes (or first sets) their own password; their other browsers are signed out."""
    if principal.kind != "session" or principal.user_id is None:
        raise Forbidden("only a signed-in user changes their own password; the workspace owner's is the workspace "
                        "password", details=[{"field": "user", "reason": "not signed in as a user"}])
    lang = request_lang(request)
    with session_scope(ensure_database()) as session:
        user = _target(session, principal.user_id)
        reason = ("settings.err_current" if user.password and not check_user_password(user=user, password=current)
                  else "settings.err_short" if len(new) < MIN_PASSWORD_LENGTH
                  else "settings.err_mismatch" if new != repeat else None)
        if reason is not None:
            return _page(request, principal, session, status_code=422,
                         profile_error=t(reason, lang, min=MIN_PASSWORD_LENGTH))
        set_user_password(session=session, user=user, password=new, keep_session=principal.session_id)
    return RedirectResponse("/settings?notice=profile_password#profile", status_code=303)


# --- language models: the workspace's remote endpoint (admin; section context in settings_llm.py) ----------

def _llm_failed(request: Request, principal: Principal, session: Session, exc: ValidationFailed,
                form: dict[str, Any]) -> Response:
    session.rollback()
    return _page(request, principal, session, status_code=422, llm_error=exc.message, llm_form=form)


@router.post("/settings/llm/endpoint", name="settings_llm_endpoint")
def save_llm_endpoint(request: Request, principal: AdminDep,
                      base_url: Annotated[str, Form(max_length=MAX_URL + 100)] = "",
                      model: Annotated[str, Form(max_length=MAX_MODEL + 100)] = "",
                      api_key_env: Annotated[str, Form(max_length=100)] = "",
                      use_for_generation: Annotated[str, Form(max_length=8)] = "") -> Response:
    """Save the endpoint (admins; audited). The key stays in the environment: only its variable's name is kept."""
    form = {"base_url": base_url, "model": model, "api_key_env": api_key_env,
            "use_for_generation": use_for_generation == "1"}
    with session_scope(ensure_database()) as session:
        try:
            save_endpoint(session=session, base_url=base_url, model=model, api_key_env=api_key_env,
                          use_for_generation=use_for_generation == "1", principal=principal, channel="page")
        except ValidationFailed as exc:
            return _llm_failed(request, principal, session, exc, form)
    return RedirectResponse("/settings?notice=llm_saved#llm", status_code=303)


@router.post("/settings/llm/endpoint/delete", name="settings_llm_endpoint_delete")
def delete_llm_endpoint(principal: AdminDep) -> Response:
    with session_scope(ensure_database()) as session:
        if not clear_endpoint(session=session, principal=principal, channel="page"):
            raise NotFoundError("no language model endpoint is configured",
                                details=[{"field": "endpoint", "reason": "not configured"}])
    return RedirectResponse("/settings?notice=llm_removed#llm", status_code=303)


@router.post("/settings/llm/test", name="settings_llm_test")
def test_llm_endpoint(principal: AdminDep) -> Response:
    """Queue the endpoint's connection test and capability probe on the background worker and come back at once."""
    with session_scope(ensure_database()) as session:
        endpoint = get_endpoint(session=session)
    if endpoint is None:
        raise NotFoundError("no language model endpoint is configured: save one first",
                            details=[{"field": "endpoint", "reason": "not configured"}])
    queued = request_test(endpoint, home=get_settings().resolved_home)
    return RedirectResponse(f"/settings?notice={'llm_test_started' if queued else 'llm_test_running'}#llm",
                            status_code=303)
