"""`bizpilot webhooks add|list|deliveries|deliver|remove` against a real receiver on loopback: one JSON object with
--json, the secret printed once, errors as a message and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.db.engine import session_scope
from bizpilot.services.events import emit
from tests.services.webhook_receiver import webhook_receiver

runner = CliRunner()


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_list_deliver_deliveries_and_remove(workspace: Path, engine: Engine) -> None:
    with webhook_receiver() as receiver:
        added = _json(["webhooks", "add", receiver.url, "--events", "task.created,alert.raised"])
        assert added["events"] == ["task.created", "alert.raised"] and added["active"] is True
        receiver.secret = added["secret"]
        listed = _json(["webhooks", "list"])
        assert listed["total"] == 1 and "secret" not in listed["items"][0]
        assert listed["items"][0] == {k: v for k, v in added.items() if k != "secret"}
        with session_scope(engine) as session:
            emit(session=session, event="task.created", data={"task_id": 5})
            emit(session=session, event="record.changed", data={"id": 1})  # not subscribed
        receiver.statuses.append(500)
        assert _json(["webhooks", "deliver"]) == {"attempted": 1, "delivered": 0, "retrying": 1, "failed": 0}
        assert _json(["webhooks", "deliver"]) == {"attempted": 0, "delivered": 0, "retrying": 0, "failed": 0}
        assert [r.answered for r in receiver.received] == [500] and receiver.received[0].signature_ok
    pending = _json(["webhooks", "deliveries"])
    [item] = pending["items"]
    assert (item["event"], item["status"], item["attempts"], item["last_status_code"]) == ("task.created", "pending",
                                                                                           1, 500)
    assert item["payload"]["data"] == {"task_id": 5}
    assert [(a["attempt"], a["status_code"]) for a in item["attempt_log"]] == [(1, 500)]
    assert _json(["webhooks", "deliveries", "--status", "delivered"]) == {"items": [], "total": 0}
    table = runner.invoke(app, ["webhooks", "deliveries"])
    assert table.exit_code == 0 and table.stdout == "" and "task.created" in table.stderr and "HTTP 500" in table.stderr
    text = runner.invoke(app, ["webhooks", "add", "https://example.com/hook"])
    assert text.exit_code == 0 and "signing secret (shown once): whsec_" in text.stderr
    assert _json(["webhooks", "remove", str(added["id"])]) == {"deleted": added["id"]}
    assert [i["url"] for i in _json(["webhooks", "list"])["items"]] == ["https://example.com/hook"]


def test_errors_are_messages_with_exit_code_2(workspace: Path) -> None:
    bad_url = runner.invoke(app, ["webhooks", "add", "ftp://example.com/x"])
    assert bad_url.exit_code == 2 and "http:// or https://" in bad_url.stderr
    bad_event = runner.invoke(app, ["webhooks", "add", "https://example.com/x", "--events", "order.paid"])
    assert bad_event.exit_code == 2 and "unknown event(s) order.paid" in bad_event.stderr
    missing = runner.invoke(app, ["webhooks", "remove", "99"])
    assert missing.exit_code == 2 and "webhook subscription 99 not found" in missing.stderr
    status = runner.invoke(app, ["webhooks", "deliveries", "--status", "lost"])
    assert status.exit_code == 2 and "unknown delivery status" in status.stderr
