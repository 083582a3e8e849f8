"""Signing in to the dashboard: the password form, the one-time login link, and signing out.

The form takes a user's e-mail or name with their password; left without a name, the password is the workspace
password, which signs in as the first admin (or as the workspace owner where there are no users). A login link
signs in the user it was made for. Wrong names and wrong passwords get one answer, so the form does not tell
which names exist; only the right password of a deactivated user hears that they are deactivated.

These routes are public (they are how one gets a session); every other page sits behind ``access_guard`` and
sends an anonymous browser here with ``?next=`` so it comes back to where it was going. Each handler is one
transaction that is committed before the redirect goes out, so the browser's next request already finds its
session (or finds it gone).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from bizpilot.api.deps import ensure_database
from bizpilot.api.ratelimit import limiter, rate_keys
from bizpilot.api.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    clear_session_cookie,
    set_session_cookie,
)
from bizpilot.db.engine import session_scope
from bizpilot.errors import Forbidden
from bizpilot.services.auth import (
    consume_login_token,
    create_session,
    end_session,
    has_password,
    session_principal,
)
from bizpilot.services.users import anyone_has_password, has_users, sign_in
from bizpilot.web.i18n import request_lang, t
from bizpilot.web.pages import render, safe_next

router = APIRouter()

# Failed sign-ins (passwords and login links) are counted per client IP and per account name in a sliding window
# (``api.ratelimit``; BIZPILOT_LOGIN_RATE_LIMIT per BIZPILOT_LOGIN_RATE_WINDOW_S): past it, 429 with Retry-After.
LIMIT = "login"


def _page(request: Request, session: Session, *, next_path: str = "/", error: str | None = None,
          status_code: int = 200, login: str = "") -> Response:
    lang = request_lang(request)
    response = render(request, "login.html", status_code=status_code, title=t("login.title", lang),
                      has_password=anyone_has_password(session=session),
                      workspace_password=has_password(session=session),
                      has_users=has_users(session=session), login=login,
                      next=next_path, error=error, signed_out=request.query_params.get("signed_out") == "1")
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in(request: Request, session: Session, target: str, user_id: int | None) -> Response:
    """A fresh session id on every sign-in (no fixation), then on to the page the user wanted."""
    ticket = create_session(session=session, user_id=user_id)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, ticket)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", name="login")
def login_page(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    with session_scope(ensure_database()) as session:
        if token and session_principal(session=session, token=token) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return _page(request, session, next_path=safe_next(next))


@router.post("/login", name="login_submit")
def login_submit(request: Request, password: Annotated[str, Form(max_length=1024)] = "",
                 login: Annotated[str, Form(max_length=255)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    lang = request_lang(request)
    target = safe_next(next)
    window, keys = limiter(request, LIMIT), rate_keys(request, login)
    with session_scope(ensure_database()) as session:
        wait = window.retry_after(keys)
        if wait is not None:
            response = _page(request, session, next_path=target, error=t("login.too_many", lang), status_code=429,
                             login=login)
            response.headers["Retry-After"] = str(wait)
            return response
        result = sign_in(session=session, login=login, password=password)
        if not result.ok:
            window.hit(keys)
            key = {"no_password": "login.no_password", "inactive": "users.login_inactive"}.get(
                result.reason or "", "users.login_wrong" if login.strip() else "login.wrong_password")
            return _page(request, session, next_path=target, error=t(key, lang), status_code=401, login=login)
        window.clear(keys[1:])  # the account's failures; the address keeps its count
        return _signed_in(request, session, target, result.user_id)


@router.get("/login/token/{token}", name="login_token")
def login_with_token(request: Request, token: str, next: str | None = None) -> Response:
    """The one-time link printed by ``bizpilot serve``: works once, for a few minutes.

    Using the link and creating the session are one transaction: a failure leaves the link unused.
    """
    window, keys = limiter(request, LIMIT), rate_keys(request)
    with session_scope(ensure_database()) as session:
        wait = window.retry_after(keys)
        if wait is not None:
            response = _page(request, session, error=t("login.too_many", request_lang(request)), status_code=429)
            response.headers["Retry-After"] = str(wait)
            return response
        grant = consume_login_token(session=session, token=token)
        if grant is None:
            window.hit(keys)
            return _page(request, session, error=t("login.link_invalid", request_lang(request)), status_code=401)
        return _signed_in(request, session, safe_next(next), grant.user_id)


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    """End the session (the form carries the CSRF token, so another site cannot sign the user out)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with session_scope(ensure_database()) as session:
            principal = session_principal(session=session, token=token)
            if principal is not None:
                sent = (csrf_token or request.headers.get(CSRF_HEADER) or "").encode("utf-8")
                if not hmac.compare_digest(sent, (principal.csrf_token or "").encode("utf-8")) or not sent:
                    raise Forbidden("signing out needs the page's CSRF token; reload the page and try again",
                                    details=[{"field": CSRF_FIELD, "reason": "missing or invalid CSRF token"}])
                end_session(session=session, token=token)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    clear_session_cookie(response, request)
    return response
