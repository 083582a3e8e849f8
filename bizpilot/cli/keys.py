"""Access from the command line: `bizpilot keys create|list|revoke` (keys of a user, `--user`), `bizpilot login-link`
(for a user, `--user`), the workspace password and the checks `bizpilot serve` runs before it opens a port.

Secrets go to stdout exactly once (so scripts can capture them); everything else goes to stderr.
"""

from __future__ import annotations

import sys

import typer

from bizpilot.cli._common import err_console, prepare_workspace, print_json, print_table, workspace_session
from bizpilot.errors import ConfigError

PASSWORD_ENV = "BIZPILOT_PASSWORD"

keys_app = typer.Typer(help="API keys for the REST API (only their hashes are stored).", no_args_is_help=True)


@keys_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Unique name: who or what uses the key"),
    role: str = typer.Option("read", "--role", help="read, write or admin (read < write < admin): the key acts "
                             "with its user's role capped by this (read: as a viewer; write: at most as a manager)"),
    user: str | None = typer.Option(None, "--user", help="The user it belongs to (name, e-mail or id); default: "
                                    "the workspace's first admin (nobody while there are no users)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object {key, name, role, prefix, ...}"),
) -> None:
    """Create an API key and print it once on stdout; it cannot be shown again."""
    from bizpilot.services.auth import FIRST_ADMIN, UserRef, create_api_key
    from bizpilot.services.users import get_user

    with workspace_session() as session:
        owner: UserRef = get_user(session=session, ref=user).id if user is not None else FIRST_ADMIN
        key, info = create_api_key(session=session, name=name, role=role, user_id=owner)
    if as_json:
        print_json({"key": key, **info.model_dump(mode="json")})
    else:
        sys.stdout.write(key + "\n")
        sys.stdout.flush()
    err_console.print(f"created API key '{info.name}' (role {info.role}, user {info.user or 'none'}, prefix "
                      f"{info.prefix}). Store it now: it is "
                      "shown only once. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
                      highlight=False, markup=False)


@keys_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print one JSON object {keys: [...]}")) -> None:
    """Name, role, user, prefix, when created and last used, and whether revoked (never the keys)."""
    from bizpilot.services.auth import list_api_keys

    with workspace_session() as session:
        keys = list_api_keys(session=session)
    if as_json:
        print_json({"keys": [k.model_dump(mode="json") for k in keys]})
        return
    if not keys:
        err_console.print("no API keys yet; create one with `bizpilot keys create --name NAME --role read`",
                          highlight=False, markup=False)
        return
    print_table("API keys", ("name", "role", "user", "prefix", "created", "last used", "revoked"),
                ((k.name, k.role, k.user or "-", k.prefix, _when(k.created_at), _when(k.last_used_at) or "never",
                  _when(k.revoked_at) or "-") for k in keys))


@keys_app.command("revoke")
def revoke(name_or_prefix: str = typer.Argument(..., help="The key's name or prefix (bp_xxxxxxxx)")) -> None:
    """Revoke a key: requests with it get 401 from now on. The record stays in `keys list`."""
    from bizpilot.services.auth import revoke_api_key

    with workspace_session() as session:
        info = revoke_api_key(session=session, name_or_prefix=name_or_prefix)
    err_console.print(f"revoked API key '{info.name}' ({info.prefix}) at {_when(info.revoked_at)} UTC",
                      highlight=False, markup=False)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""  # type: ignore[union-attr]


# --- dashboard login ----------------------------------------------------------------------------------------

def set_password_interactively() -> None:
    """`bizpilot init --password`: BIZPILOT_PASSWORD for scripts, else a hidden prompt asked twice."""
    from bizpilot.config import get_settings
    from bizpilot.db import get_engine, session_scope
    from bizpilot.services.auth import set_password

    secret = get_settings().password
    password = secret.get_secret_value() if secret else None
    if password:
        source = PASSWORD_ENV
    else:
        password = typer.prompt("Dashboard password", hide_input=True, confirmation_prompt=True, err=True)
        source = "prompt"
    with session_scope(get_engine()) as session:
        set_password(session=session, password=password)
    err_console.print(f"workspace password set (from {source}); the browsers it signed in (the workspace owner's "
                      "and the first admin's) were signed out",
                      highlight=False, markup=False)


def link_host(host: str) -> str:
    """A host for a clickable URL: wildcard binds become loopback, IPv6 literals get brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def new_login_link(host: str, port: int, user: str | None = None) -> str:
    """A fresh one-time login URL (single use, valid for ``login_link_minutes``), committed before it is shown; it
    signs in ``user`` (name, e-mail or id), by default the first admin (the workspace owner without users)."""
    from bizpilot.db import get_engine, session_scope
    from bizpilot.services.auth import FIRST_ADMIN, create_login_token
    from bizpilot.services.users import get_user

    with session_scope(get_engine()) as session:
        owner = get_user(session=session, ref=user).id if user is not None else FIRST_ADMIN
        token = create_login_token(session=session, user_id=owner)
    return f"http://{link_host(host)}:{port}/login/token/{token}"


def check_open_reads(host: str | None, open_reads: bool) -> None:
    """Never an open API on a non-loopback address: refuse to start instead (exit 2).

    ``host``/``open_reads`` are the command-line values; the settings fill in what they leave out.
    """
    from bizpilot.api.security import is_loopback_host
    from bizpilot.config import get_settings

    settings = get_settings()
    host, open_reads = host or settings.host, open_reads or settings.auth_open_reads
    if open_reads and not is_loopback_host(host):
        raise ConfigError(
            f"open reads (--open-reads / BIZPILOT_AUTH_OPEN_READS) are only allowed on a loopback host "
            f"(127.0.0.1, ::1, localhost), not on {host}; serve on 127.0.0.1 or use API keys and the login link",
            details=[{"field": "host", "reason": "not a loopback address"}])


def announce_access(host: str, port: int, *, open_reads: bool) -> None:
    """What `bizpilot serve`/`demo` print before serving: the one-time login link and how the API is protected."""
    from bizpilot.config import get_settings

    check_open_reads(host, open_reads)
    minutes = get_settings().login_link_minutes
    err_console.print(f"dashboard login link (single use, valid {minutes} min): {new_login_link(host, port)}",
                      highlight=False, markup=False, soft_wrap=True)
    if open_reads:
        err_console.print("open reads: GET requests from this machine need no key; writes still do",
                          highlight=False, markup=False)
    err_console.print("REST API: create a key with `bizpilot keys create --name NAME --role read|write|admin`",
                      highlight=False, markup=False)


def login_link(host: str | None = typer.Option(None, "--host"), port: int | None = typer.Option(None, "--port"),
               user: str | None = typer.Option(None, "--user", help="Whom it signs in (name, e-mail or id); "
                                               "default: the first admin, or the workspace owner without users"),
               ) -> None:
    """Print a new one-time dashboard login link on stdout (for a server that is already running)."""
    from bizpilot.config import get_settings

    prepare_workspace()
    settings = get_settings()
    sys.stdout.write(new_login_link(host or settings.host, port or settings.port, user) + "\n")
    sys.stdout.flush()
    who = f" for {user}" if user else ""
    err_console.print(f"single use{who}, valid {settings.login_link_minutes} minutes", highlight=False, markup=False)
