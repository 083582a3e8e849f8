"""The team from the command line: `bizpilot users add|list|role|password|deactivate|activate`.

A user is named by their name, e-mail or id. Passwords come from BIZPILOT_PASSWORD (for scripts) or a hidden
prompt asked twice, never from an argument (which would stay in the shell history). A user without a password signs
in with a one-time link: `bizpilot login-link --user NAME`.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from bizpilot.cli._common import JsonOpt, print_json, print_outcome, print_table, workspace_session

ROLE_HELP = "admin, manager, sales, service or viewer (viewer < service, sales < manager < admin)"

users_app = typer.Typer(help="Users: who signs in, owns accounts and deals, and holds API keys.",
                        no_args_is_help=True)


def _user_dict(user: Any) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role, "active": user.active,
            "has_password": bool(user.password), "created_at": user.created_at.isoformat(timespec="seconds")}


def read_password(prompt: str) -> tuple[str, str]:
    """(password, where it came from): BIZPILOT_PASSWORD when set, else a hidden prompt asked twice."""
    from bizpilot.config import get_settings

    secret = get_settings().password
    if secret is not None and secret.get_secret_value():
        return secret.get_secret_value(), "BIZPILOT_PASSWORD"
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True), "prompt"


@users_app.command("add")
def add(name: str = typer.Argument(..., help="Unique name (no '@'); they sign in with it or their e-mail"),
        email: str | None = typer.Option(None, "--email", help="Unique e-mail address"),
        role: str = typer.Option("sales", "--role", help=ROLE_HELP),
        password: bool = typer.Option(False, "--password", help="Set a password (BIZPILOT_PASSWORD or a prompt); "
                                      "without one they sign in with `bizpilot login-link --user NAME`"),
        as_json: JsonOpt = False) -> None:
    """Add a user."""
    from bizpilot.services.users import check_user_role, create_user

    check_user_role(role)  # before asking for a password that would be thrown away
    secret, source = read_password(f"Password for {name}") if password else (None, None)
    with workspace_session() as session:
        user = create_user(session=session, name=name, email=email, role=role, password=secret)
        data = _user_dict(user)
    how = (f"signs in with a password (from {source})" if secret else
           f"signs in with a one-time link: bizpilot login-link --user {escape(repr(data['name']))}")
    print_outcome(as_json, data, f"added user {escape(data['name'])} (role {data['role']}, id {data['id']}); {how}")


@users_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every user with their role and status (deactivated ones included)."""
    from bizpilot.services.users import list_users

    with workspace_session() as session:
        users = [_user_dict(u) for u in list_users(session=session)]
    if as_json:
        print_json({"users": users})
        return
    if not users:
        print_outcome(False, None, "no users yet: the workspace password signs in as the workspace owner; add one "
                                   "with `bizpilot users add NAME --email E --role admin`")
        return
    print_table("Users", ("id", "name", "e-mail", "role", "status", "signs in with"),
                ((str(u["id"]), escape(u["name"]), escape(u["email"] or "-"), u["role"],
                  "active" if u["active"] else "deactivated", "password or link" if u["has_password"] else "link")
                 for u in users), right=("id",))


@users_app.command("role")
def role(user: str = typer.Argument(..., help="Name, e-mail or id"),
         new_role: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP), as_json: JsonOpt = False) -> None:
    """Give a user another role (the last active admin keeps theirs)."""
    from bizpilot.services.users import change_role, get_user

    with workspace_session() as session:
        data = _user_dict(change_role(session=session, user=get_user(session=session, ref=user), role=new_role))
    print_outcome(as_json, data, f"{escape(data['name'])} is now {data['role']}")


@users_app.command("password")
def password(user: str = typer.Argument(..., help="Name, e-mail or id"), as_json: JsonOpt = False) -> None:
    """Set a user's password (BIZPILOT_PASSWORD or a prompt); signs them out of every browser."""
    from bizpilot.services.users import get_user, set_user_password

    with workspace_session() as session:
        target = get_user(session=session, ref=user)  # a typo fails before the prompt
        secret, source = read_password(f"New password for {target.name}")
        set_user_password(session=session, user=target, password=secret)
        data = _user_dict(target)
    print_outcome(as_json, data, f"password of {escape(data['name'])} set (from {source}); their browsers were "
                                 "signed out")


@users_app.command("deactivate")
def deactivate(user: str = typer.Argument(..., help="Name, e-mail or id"), as_json: JsonOpt = False) -> None:
    """Stop a user signing in: their browsers are signed out and their keys refused; what they own stays theirs."""
    from bizpilot.services.users import active_keys, deactivate_user, get_user

    with workspace_session() as session:
        target = deactivate_user(session=session, user=get_user(session=session, ref=user))
        keys, data = active_keys(session=session, user=target), _user_dict(target)
    print_outcome(as_json, {**data, "keys_stopped": keys},
                  f"deactivated {escape(data['name'])}: signed out everywhere, {keys} API key(s) stop working")


@users_app.command("activate")
def activate(user: str = typer.Argument(..., help="Name, e-mail or id"), as_json: JsonOpt = False) -> None:
    """Let a deactivated user sign in again (their unrevoked keys work again too)."""
    from bizpilot.services.users import activate_user, get_user

    with workspace_session() as session:
        data = _user_dict(activate_user(session=session, user=get_user(session=session, ref=user)))
    print_outcome(as_json, data, f"{escape(data['name'])} can sign in again")


__all__ = ["read_password", "users_app"]
