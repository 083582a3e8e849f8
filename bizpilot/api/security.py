"""Authentication and roles at the HTTP edge, shared by the JSON API and the dashboard pages.

A request is made by a ``Principal``: an API key (``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; it acts
with its user's role capped by its level), a signed-in dashboard session (cookie; a user with their role, or the
workspace owner with role admin), or - only when open reads are switched on and the request comes from this
machine - an anonymous reader. Access levels are ordered read < write < admin (viewers read; service, sales and
managers write; admins also manage users, keys and settings).

``access_guard`` is attached to whole routers (every ``/api/v1`` data route and every page), so new routes are
protected by default: GET/HEAD/OPTIONS need read, anything that changes state needs write. A route that needs
more asks for it with ``principal: AdminPrincipal`` or ``dependencies=[Depends(require_role("admin"))]``.
Cookie-authenticated writes must carry the session's CSRF token; API-key requests need none (browsers never
attach keys by themselves).
"""

import hmac
import ipaddress
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bizpilot.api.deps import SessionDep, ensure_database
from bizpilot.api.ratelimit import check, client_ip, limiter
from bizpilot.api.schemas import ErrorResponse
from bizpilot.config import get_settings
from bizpilot.db.engine import session_scope
from bizpilot.domain.security import ROLES
from bizpilot.errors import Forbidden, Unauthorized, ValidationFailed
from bizpilot.services.auth import (
    FIRST_ADMIN,
    KeyInfo,
    Principal,
    SessionTicket,
    UserRef,
    authenticate_key,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    session_principal,
)
from bizpilot.services.users import find_user

SESSION_COOKIE = "bizpilot_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
HOW_TO_AUTHENTICATE = ("send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>' (create one with "
                       "`bizpilot keys create --name NAME --role read`), or sign in to the dashboard")

# Declared as FastAPI security schemes so OpenAPI documents them and Swagger's "Authorize" button works.
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="BearerAuth", bearerFormat="bp_<id>_<secret>",
                           description="An API key from `bizpilot keys create`, as `Authorization: Bearer <key>`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKeyAuth",
                              description="The same API key, in the `X-API-Key` header")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing, invalid or revoked credentials"},
    403: {"model": ErrorResponse, "description": "The key's role does not allow this, or a CSRF token is missing"},
}


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped) and ``localhost``: the only hosts where open reads are allowed."""
    value = (host or "").strip().strip("[]").lower()
    if value == "localhost":
        return True
    try:
        address = ipaddress.ip_address(value.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def open_reads_enabled(request: Request) -> bool:
    """Open reads apply only when switched on, for a loopback client that did not come through a proxy.

    ``bizpilot serve`` refuses open reads on a non-loopback bind address; checking the client here as well
    keeps the promise when the app is started some other way (e.g. ``uvicorn --host 0.0.0.0``).
    """
    configured = getattr(request.app.state, "auth_open_reads", None)
    if configured is None:
        configured = get_settings().auth_open_reads
    if not configured or request.client is None or not is_loopback_host(request.client.host):
        return False
    return not any(name in request.headers for name in _PROXY_HEADERS)


def _resolve(request: Request, bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> Principal:
    """Explicit credentials first (a wrong key is a 401, never a fallback), then the session cookie, then open reads.

    The lookup runs in its own short transaction, committed here: the touch of ``last_used_at``/``last_seen_at``
    is stored even on read-only requests and holds no lock while the route runs.
    """
    engine = ensure_database()  # a missing database is a 503 with a hint, not a confusing 401
    if request.headers.get("authorization") is not None and bearer is None:
        raise Unauthorized("the Authorization header must be 'Bearer <API key>'",
                           details=[{"field": "Authorization", "reason": "not a Bearer credential"}])
    if bearer is not None or api_key:
        field = "Authorization" if bearer is not None else "X-API-Key"
        with session_scope(engine) as session:
            principal = authenticate_key(session=session,
                                         key=bearer.credentials if bearer is not None else api_key or "")
        if principal is None:
            raise Unauthorized("invalid or revoked API key", details=[{"field": field, "reason": "invalid or revoked"}])
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with session_scope(engine) as session:
            principal = session_principal(session=session, token=token)
        if principal is not None:
            return principal
    if open_reads_enabled(request):
        return Principal(kind="open", name="anonymous", role="read")
    reason = "session expired" if token else "missing"
    raise Unauthorized(f"authentication required: {HOW_TO_AUTHENTICATE}",
                       details=[{"field": "Authorization", "reason": reason}])


async def _check_csrf(request: Request, principal: Principal) -> None:
    """A state-changing request authenticated by cookie must echo the session's CSRF token (header or form)."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not expected or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise Forbidden(f"a request signed in by the dashboard cookie must carry its CSRF token (form field "
                        f"'{CSRF_FIELD}' or header '{CSRF_HEADER}'); API keys need none",
                        details=[{"field": CSRF_HEADER, "reason": "missing or invalid CSRF token"}])


async def authenticate(request: Request,
                       bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
                       api_key: Annotated[str | None, Security(api_key_scheme)]) -> Principal:
    """The request's principal (401 if none); resolved once per request and kept on ``request.state``."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        principal = await run_in_threadpool(_resolve, request, bearer, api_key)
        if principal.kind == "session" and request.method not in SAFE_METHODS:
            await _check_csrf(request, principal)
        request.state.principal = principal
    return principal


def _enforce(principal: Principal, role: str, action: str) -> None:
    if principal.allows(role):
        return
    if principal.kind == "open":
        raise Unauthorized(f"{action} needs role {role}: {HOW_TO_AUTHENTICATE}",
                           details=[{"field": "Authorization", "reason": f"role {role} required"}])
    who = f"API key '{principal.name}'" if principal.kind == "key" else principal.name
    raise Forbidden(f"{who} has role {principal.role}; {action} needs role {role}",
                    details=[{"field": "role", "reason": f"{role} required, have {principal.role}"}])


@cache
def require_role(role: Literal["read", "write", "admin"]) -> Any:
    """A dependency that returns the principal if its role is at least ``role`` (401/403 otherwise)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {ROLES}")

    async def dependency(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        _enforce(principal, role, f"{request.method} {request.url.path}")
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


async def access_guard(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Router-level default: reads need role read, state-changing methods need role write."""
    _enforce(principal, "read" if request.method in SAFE_METHODS else "write",
             f"{request.method} {request.url.path}")
    return principal


ReadPrincipal = Annotated[Principal, Depends(require_role("read"))]
WritePrincipal = Annotated[Principal, Depends(require_role("write"))]
AdminPrincipal = Annotated[Principal, Depends(require_role("admin"))]


# --- session cookie -----------------------------------------------------------------------------------------

def set_session_cookie(response: Response, request: Request, ticket: SessionTicket) -> None:
    """HttpOnly (no script can read it), SameSite=Lax (no cross-site posts), Secure whenever served over https."""
    response.set_cookie(SESSION_COOKIE, ticket.token, max_age=ticket.max_age, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")


# --- key management over the API (admin) --------------------------------------------------------------------

class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="Unique name, e.g. the script or person using it")
    role: Literal["read", "write", "admin"] = Field(
        "read", description="The key's level, read < write < admin: it acts with its user's role capped by it "
                            "(read: as a viewer; write: at most as a manager)")
    user: str | None = Field(None, min_length=1, max_length=255,
                             description="The user it belongs to (name, e-mail or id); default: the first admin")


class KeyCreated(BaseModel):
    key: str = Field(description="The API key. Shown only in this response; only its hash is stored")
    info: KeyInfo


class KeyList(BaseModel):
    items: list[KeyInfo]


keys_router = APIRouter(prefix="/keys", tags=["keys"], dependencies=[Depends(require_role("admin"))])


@keys_router.get("", response_model=KeyList, operation_id="list_keys", summary="API keys (never the keys)")
def list_keys(session: SessionDep) -> KeyList:
    return KeyList(items=list_api_keys(session=session))


@keys_router.post("", response_model=KeyCreated, status_code=201, operation_id="create_key",
                  summary="Create an API key (returned once)",
                  responses={409: {"model": ErrorResponse, "description": "The name is taken"},
                             422: {"model": ErrorResponse, "description": "No such user, or a deactivated one"},
                             429: {"model": ErrorResponse, "description": "Too many keys created lately from this "
                                   "address or by this user (see Retry-After)"}})
def create_key(request: Request, body: KeyCreate) -> KeyCreated:
    keys = key_rate_keys(request)
    check(request, "keys", keys, what="API keys created")
    # Committed before the 201 goes out (SessionDep commits after the response), so the key works at once.
    with session_scope(ensure_database()) as session:
        user_id: UserRef = FIRST_ADMIN
        if body.user is not None:
            user = find_user(session=session, ref=body.user)
            if user is None:
                raise ValidationFailed(f"no user '{body.user}'", details=[{"field": "user", "reason": "no such user",
                                                                           "value": body.user}])
            user_id = user.id
        key, info = create_api_key(session=session, name=body.name, role=body.role, user_id=user_id)
    limiter(request, "keys").hit(keys)
    return KeyCreated(key=key, info=info)


def key_rate_keys(request: Request) -> list[str]:
    """Key creation is limited per client IP and per creator (user id, else the principal's name)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    who = "" if principal is None else (f"user:{principal.user_id}" if principal.user_id is not None
                                        else f"name:{principal.name}")
    return [f"ip:{client_ip(request)}"] + ([who] if who else [])


@keys_router.delete("/{name_or_prefix}", response_model=KeyInfo, operation_id="revoke_key",
                    summary="Revoke an API key by name or prefix", responses={404: {"model": ErrorResponse}})
def revoke_key(name_or_prefix: str) -> KeyInfo:
    # Committed before the answer goes out: a key reported revoked must not work in the next request.
    with session_scope(ensure_database()) as session:
        return revoke_api_key(session=session, name_or_prefix=name_or_prefix)


__all__ = [
    "Principal", "authenticate", "access_guard", "require_role", "ReadPrincipal", "WritePrincipal",
    "AdminPrincipal", "AUTH_RESPONSES", "SESSION_COOKIE", "CSRF_HEADER", "CSRF_FIELD", "SAFE_METHODS",
    "is_loopback_host", "open_reads_enabled", "set_session_cookie", "clear_session_cookie", "keys_router",
    "key_rate_keys",
]
