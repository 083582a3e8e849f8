"""`bizpilot tasks refresh|list`: open and close the tasks the intelligence suggests (reorders due, repurchase
chances dropping, unhappy customers, waiting hand-offs, quiet deals, products worth offering), and list tasks."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from bizpilot.cli._common import JsonOpt, err_console, handle_errors, print_json, print_table, workspace_session
from bizpilot.errors import NotFoundError, ValidationFailed

tasks_app = typer.Typer(help="Tasks: what to do for which customer, created by the intelligence or by hand.",
                        no_args_is_help=True)


@tasks_app.command("refresh")
@handle_errors
def refresh(as_json: JsonOpt = False) -> None:
    """Create tasks for what the trained models see now, keep the ones whose cause stands and close those whose
    cause is gone (the customer ordered, the ticket closed...), and advance the follow-up sequences (their steps:
    source "sequence"). Reads model outputs only; trains nothing."""
    from bizpilot.services.tasks import refresh_tasks

    with workspace_session() as session:
        result = refresh_tasks(session=session, channel="cli")
    if as_json:
        print_json(result)
        return
    rows = [(source, str(result["created"][source]), str(result["kept"][source]), str(result["closed"][source]))
            for source in result["created"]]
    print_table("tasks refreshed", ("source", "created", "kept", "closed"), rows, right=("created", "kept", "closed"))
    for source, note in result["skipped"].items():
        err_console.print(f"[yellow]skipped[/yellow] {source}: {note}", highlight=False)


@tasks_app.command("list")
@handle_errors
def list_(
    mine: Annotated[bool, typer.Option("--mine", help="Only the tasks of the user named like your login")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tasks (name, e-mail or id)")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, snoozed, done, closed or active (open and "
                                               "snoozed ones due again)")] = None,
    source: Annotated[str | None, typer.Option("--source", help="reorder, churn, alert, handoff, stale_deal, "
                                               "recommendation, manual...")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Tasks, soonest due first (then the most valuable)."""
    from bizpilot.services.tasks import list_tasks, views
    from bizpilot.services.users import get_user

    if mine and user:
        raise ValidationFailed("give --mine or --user, not both", details=[{"field": "--mine", "reason": "exclusive"}])
    with workspace_session() as session:
        owner_id = None
        if mine or user:
            login = user or getpass.getuser()
            try:
                owner_id = get_user(session=session, ref=login).id
            except NotFoundError:
                if user:
                    raise
                raise NotFoundError(f"--mine: no bizpilot user named '{login}' (your login name); use --user NAME",
                                    details=[{"field": "--mine", "reason": "no such user", "value": login}]) from None
        tasks, total = list_tasks(session=session, owner_id=owner_id, status=status, source=source, limit=limit)
        items = views(session=session, tasks=tasks)
    if as_json:
        print_json({"items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()}
                              for item in items], "total": total})
        return
    print_table(f"tasks: {len(items)} of {total}", ("id", "due", "priority", "status", "source", "owner", "account",
                                                    "title", "value"),
                ((str(t["id"]), t["due_date"].isoformat() if t["due_date"] else "", t["priority"], t["status"],
                  t["source"], t["owner_name"] or "", t["account_name"] or "", t["title"],
                  f"{t['expected_value']:,.0f}" if t["expected_value"] is not None else "") for t in items),
                right=("id", "value"))


__all__ = ["tasks_app"]
