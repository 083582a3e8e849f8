"""The client covers the work API: every route of the users, records, pipeline, tasks, outreach, webhooks and
industry areas (read from the app's OpenAPI schema) has its client method, so a route added there without one
fails here with the route named."""

from __future__ import annotations

from bizpilot.app import create_app
from bizpilot.client import Client

AREAS = {"users", "pipeline", "tasks", "outreach", "webhooks", "industry"}
RECORDS = ("accounts", "contacts", "products", "opportunities", "interactions")
RECORD_ROUTES = {("POST", ""): "create", ("GET", ""): "list", ("GET", "/{item_id}"): "get",
                 ("PATCH", "/{item_id}"): "update", ("DELETE", "/{item_id}"): "archive",
                 ("POST", "/{item_id}/restore"): "restore", ("PUT", "/by-external-id/{external_id}"): "upsert",
                 ("GET", "/{item_id}/audit"): "audit"}
ROUTES = {
    ("GET", "/users"): "users.list", ("POST", "/users"): "users.create", ("GET", "/users/me"): "users.me",
    ("GET", "/users/{user_id}"): "users.get", ("PATCH", "/users/{user_id}"): "users.update",
    ("PUT", "/orders/by-external-id/{external_id}"): "orders.upsert", ("GET", "/orders"): "orders.list",
    ("GET", "/orders/{item_id}"): "orders.get",
    ("GET", "/pipeline"): "pipeline.board", ("GET", "/pipeline/totals"): "pipeline.totals",
    ("GET", "/pipeline/forecast"): "pipeline.forecast", ("GET", "/pipeline/stages"): "pipeline.stages",
    ("PUT", "/pipeline/stages"): "pipeline.set_stages", ("POST", "/opportunities/{opportunity_id}/stage"):
        "pipeline.move",
    ("GET", "/tasks"): "tasks.list", ("POST", "/tasks"): "tasks.create", ("POST", "/tasks/refresh"): "tasks.refresh",
    ("PATCH", "/tasks/{task_id}"): "tasks.update", ("POST", "/tasks/{task_id}/done"): "tasks.done",
    ("POST", "/tasks/{task_id}/snooze"): "tasks.snooze", ("POST", "/tasks/{task_id}/reopen"): "tasks.reopen",
    ("POST", "/tasks/{task_id}/follow-up"): "tasks.follow_up", ("GET", "/tasks/{task_id}/invite.ics"): "tasks.invite",
    ("GET", "/interactions/{interaction_id}/invite.ics"): "interactions.invite",
    ("GET", "/outbox"): "outbox.list", ("GET", "/outbox/{message_id}"): "outbox.get",
    ("PATCH", "/outbox/{message_id}"): "outbox.update", ("DELETE", "/outbox/{message_id}"): "outbox.discard",
    ("POST", "/outbox/{message_id}/send"): "outbox.send",
    ("GET", "/sequences"): "sequences.list", ("POST", "/sequences"): "sequences.create",
    ("POST", "/sequences/advance"): "sequences.advance", ("GET", "/sequences/{sequence_id}"): "sequences.get",
    ("PATCH", "/sequences/{sequence_id}"): "sequences.update",
    ("DELETE", "/sequences/{sequence_id}"): "sequences.delete",
    ("POST", "/sequences/{sequence_id}/enroll"): "sequences.enroll",
    ("GET", "/sequences/{sequence_id}/enrollments"): "sequences.enrollments",
    ("POST", "/enrollments/{enrollment_id}/stop"): "sequences.stop",
    ("GET", "/webhooks"): "webhooks.list", ("POST", "/webhooks"): "webhooks.create",
    ("PATCH", "/webhooks/{subscription_id}"): "webhooks.update",
    ("DELETE", "/webhooks/{subscription_id}"): "webhooks.delete",
    ("GET", "/webhooks/{subscription_id}/deliveries"): "webhooks.deliveries",
    ("POST", "/webhooks/{subscription_id}/test"): "webhooks.test",
    ("GET", "/industry/taxonomy"): "industry.taxonomy", ("PUT", "/industry/taxonomy"): "industry.set_taxonomy",
    ("DELETE", "/industry/taxonomy"): "industry.reset_taxonomy",
    ("GET", "/industry/review-queue"): "industry.review_queue",
    ("GET", "/accounts/{account_id}/industry"): "industry.account",
    ("POST", "/accounts/{account_id}/industry"): "industry.review",
    **{(method, f"/{entity}{suffix}"): f"{entity}.{name}" for entity in RECORDS
       for (method, suffix), name in RECORD_ROUTES.items()},
}


def _work_routes() -> set[tuple[str, str]]:
    routes = set()
    for path, operations in create_app().openapi()["paths"].items():
        for method, operation in operations.items():
            if set(operation.get("tags", ())) & (AREAS | set(RECORDS) | {"orders"}):
                routes.add((method.upper(), path.removeprefix("/api/v1")))
    return routes


def test_every_work_route_has_a_client_method() -> None:
    routes = _work_routes()
    missing = sorted(routes - ROUTES.keys())
    assert missing == [], f"routes without a client method (add one in bizpilot/client/ and to ROUTES): {missing}"
    gone = sorted(ROUTES.keys() - routes)
    assert gone == [], f"client methods of routes the API no longer has: {gone}"
    with Client("http://127.0.0.1:9") as bp:
        for route, dotted in ROUTES.items():
            area, method = dotted.split(".")
            assert callable(getattr(getattr(bp, area), method, None)), (route, dotted)
