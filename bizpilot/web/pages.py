"""Page plumbing: the navigation, the Jinja environment and ``render()``.

To add a page: (1) give it a ``NavItem`` in ``NAV`` (and ``nav.<key>`` texts in ``i18n.py``), (2) write a
router in ``bizpilot/web/routes/<key>.py`` whose handlers ``return render(request, "<key>.html", ...)``,
(3) list that router in ``bizpilot/web/routes/__init__.py::PAGE_ROUTERS``. Nav items whose path no router
serves get a "coming in a later release" page automatically, so the navigation never has broken links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import bizpilot
from bizpilot.web.i18n import (
    EN,
    LANG_COOKIE,
    LANGUAGES,
    normalise_lang,
    request_lang,
    t,
)

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
VERSION = getattr(bizpilot, "__version__", "dev")


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; ``key`` names its i18n text (``nav.<key>``) and its page."""

    key: str
    path: str


NAV: tuple[NavItem, ...] = (
    NavItem("overview", "/"),
    NavItem("today", "/today"),
    NavItem("accounts", "/accounts"),
    NavItem("pipeline", "/pipeline"),
    NavItem("products", "/products"),
    NavItem("recommendations", "/recommendations"),
    NavItem("forecasts", "/forecasts"),
    NavItem("content", "/content"),
    NavItem("service", "/service"),
    NavItem("insights", "/insights"),
    NavItem("imports", "/imports"),
    NavItem("models", "/models"),
    NavItem("settings", "/settings"),
)

# Paths that have a real page; filled in by ``bizpilot.web.web_router`` from the routers it includes.
BUILT_PATHS: set[str] = set()


def active_nav(path: str) -> str | None:
    """The nav key owning ``path`` (longest matching prefix; ``/`` only matches itself)."""
    best: NavItem | None = None
    for item in NAV:
        matches = path == item.path or (item.path != "/" and path.startswith(item.path + "/"))
        if matches and (best is None or len(item.path) > len(best.path)):
            best = item
    return best.key if best else None


def fmt_money(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_num(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


def fmt_dt(value: Any, with_time: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_short(value: Any, length: int = 120) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(money=fmt_money, num=fmt_num, dt=fmt_dt, short=fmt_short)
templates.env.globals.update(NAV=NAV, LANGUAGES=LANGUAGES, VERSION=VERSION, zip=zip)


def static_url(request: Request, path: str) -> str:
    """Root-relative (never absolute) URL of a bundled static file, versioned so upgrades bust caches."""
    return f"{request.scope.get('root_path', '')}/static/{path}?v={VERSION}"


def query_url(request: Request, **changes: Any) -> str:
    """The current page's URL with some query parameters replaced (``None`` removes one)."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, template: str, *, status_code: int = 200, title: str | None = None,
           **context: Any) -> Response:
    """Render ``template`` inside the base layout with the language, nav state and helpers every page needs.

    A ``?lang=`` choice is remembered in a cookie so the following pages keep it.
    """
    lang = request_lang(request)

    def tr(key: str, **values: Any) -> str:
        return t(key, lang, **values)

    ctx = {
        "request": request, "lang": lang, "t": tr, "title": title, "active": active_nav(request.url.path),
        "built": BUILT_PATHS, "static": lambda path: static_url(request, path),
        "url_with": lambda **changes: query_url(request, **changes),
        "auth": getattr(request.state, "principal", None),  # who is signed in (logout form, CSRF token)
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    chosen = normalise_lang(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site (not ``//host``, no scheme, no control characters), else ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or len(value) > 2000:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return "/"
    return value


def login_redirect(request: Request) -> Response:
    """Where an anonymous browser goes: the login page, remembering the page it asked for. (Here rather than in
    ``routes/login.py`` because ``render_error`` needs it and the login routes import this module.)"""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = safe_next(target) if request.method in ("GET", "HEAD") else "/"
    location = "/login" + ("" if target == "/" else f"?next={quote(target, safe='/')}")
    return RedirectResponse(location, status_code=303)


def render_error(request: Request, status: int, error: dict[str, Any]) -> Response:
    """The HTML face of the error model (used by the app's error handlers for non-API paths)."""
    if status == 401:  # a page that needs a signed-in user: sign in, then come back
        return login_redirect(request)
    lang = request_lang(request)
    code = str(error.get("code", "error"))
    heading = t(f"error.{code}" if f"error.{code}" in EN else "error.title", lang)
    return render(request, "error.html", status_code=status, title=heading, heading=heading, status=status,
                  error=error)


def render_placeholder(request: Request, item: NavItem) -> Response:
    lang = request_lang(request)
    return render(request, "placeholder.html", title=t(f"nav.{item.key}", lang), item=item)

