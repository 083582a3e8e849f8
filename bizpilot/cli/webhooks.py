"""`bizpilot webhooks add|list|deliveries|deliver|remove`: subscriptions of integrations to the workspace's events,
and their deliveries (sent by `bizpilot serve` in the background, or now with `deliver`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bizpilot.cli._common import JsonOpt, handle_errors, print_json, print_outcome, print_table, workspace_session
from bizpilot.domain.webhook import EVENTS

webhooks_app = typer.Typer(help="Webhooks: signed POSTs to your integrations when things happen.",
                           no_args_is_help=True)
EVENTS_HELP = f"Comma-separated events ({', '.join(EVENTS)}) or * for all"


def _subscription(sub: Any) -> dict[str, Any]:
    return {"id": sub.id, "url": sub.url, "events": list(sub.events or []), "active": bool(sub.active),
            "created_at": sub.created_at.isoformat() if sub.created_at else None}


@webhooks_app.command("add")
@handle_errors
def add(
    url: Annotated[str, typer.Argument(help="The http(s) URL that receives the POSTs")],
    events: Annotated[str, typer.Option("--events", help=EVENTS_HELP)] = "*",
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a URL to events; prints the signing secret once (it is not shown again)."""
    from bizpilot.services.webhooks import create_subscription

    with workspace_session() as session:
        sub, secret = create_subscription(session=session, url=url, events=events, channel="cli")
        data = {**_subscription(sub), "secret": secret}
    print_outcome(as_json, data, f"webhook {data['id']} -> {data['url']} for {', '.join(data['events'])}\n"
                                 f"signing secret (shown once): {secret}")


@webhooks_app.command("list")
@handle_errors
def list_(as_json: JsonOpt = False) -> None:
    """The subscriptions (never their secrets)."""
    from bizpilot.services.webhooks import list_subscriptions

    with workspace_session() as session:
        subs = [_subscription(s) for s in list_subscriptions(session=session)]
    if as_json:
        print_json({"items": subs, "total": len(subs)})
        return
    print_table(f"webhooks: {len(subs)}", ("id", "url", "events", "active"),
                ((str(s["id"]), s["url"], ",".join(s["events"]), "yes" if s["active"] else "no") for s in subs),
                right=("id",))


@webhooks_app.command("deliveries")
@handle_errors
def deliveries(
    subscription: Annotated[int | None, typer.Option("--subscription", help="Only this subscription's")] = None,
    status: Annotated[str | None, typer.Option("--status", help="pending, delivered or failed")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many, newest first")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Recent deliveries with their status, attempts and the receiver's last answer."""
    from bizpilot.domain.webhook import WebhookDeliveryPublic
    from bizpilot.services.webhooks import attempt_log, list_deliveries

    with workspace_session() as session:
        rows = list_deliveries(session=session, subscription_id=subscription, status=status, limit=limit)
        log = attempt_log(session=session, delivery_ids=[d.id for d in rows])
        items = [{**WebhookDeliveryPublic.model_validate(d).model_dump(mode="json"),
                  "attempt_log": [{**a, "at": a["at"].isoformat()} for a in log[d.id]]} for d in rows]
    if as_json:
        print_json({"items": items, "total": len(items)})
        return
    print_table(f"webhook deliveries: {len(items)}", ("id", "sub", "event", "status", "attempts", "last answer",
                                                      "next attempt"),
                ((str(d["id"]), str(d["subscription_id"]), d["event"], d["status"], str(d["attempts"]),
                  d["last_error"] or (str(d["last_status_code"]) if d["last_status_code"] else "-"),
                  (d["next_attempt_at"] or "-")[:19]) for d in items), right=("id", "sub", "attempts"))


@webhooks_app.command("deliver")
@handle_errors
def deliver(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Send the deliveries that are due now (what `bizpilot serve` does every few seconds)."""
    from bizpilot.cli._common import prepare_workspace
    from bizpilot.db import get_engine
    from bizpilot.services.webhook_delivery import deliver_due

    prepare_workspace()
    report = deliver_due(engine=get_engine(), limit=limit).to_dict()
    print_outcome(as_json, report, f"{report['attempted']} sent: {report['delivered']} delivered, "
                                   f"{report['retrying']} to retry, {report['failed']} failed for good")


@webhooks_app.command("remove")
@handle_errors
def remove(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id (see `webhooks list`)")],
    as_json: JsonOpt = False,
) -> None:
    """Delete a subscription and its deliveries."""
    from bizpilot.services.webhooks import delete_subscription

    with workspace_session() as session:
        delete_subscription(session=session, subscription_id=subscription_id, channel="cli")
    print_outcome(as_json, {"deleted": subscription_id}, f"webhook {subscription_id} deleted")


__all__ = ["webhooks_app"]
