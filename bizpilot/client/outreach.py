"""Outreach through the client: the outbox (drafts from tasks and sequences, edited, discarded, sent) and follow-up
sequences (define, enrol an account, stop, advance). Drafting a task's follow-up is ``client.tasks.follow_up``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bizpilot.client._http import Connection, body, query

MessageStatus = Literal["draft", "queued", "sent", "failed", "discarded", "unsent"]


class Outbox:
    """Messages waiting to go out and those sent. ``send`` answers with ``outcome`` sent, or queued when the server
    has no SMTP settings; a refusal by the mail server raises ``SendFailed`` (the message is stored as failed)."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def list(self, *, status: MessageStatus | None = None, task_id: int | None = None,
             account_id: int | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """A page (``items``, ``total``...); ``status="unsent"``: drafts, queued and failed messages."""
        params = {"status": status, "task_id": task_id, "account_id": account_id, "limit": limit, "offset": offset}
        return self._client.request("GET", "/outbox", params=query(params))

    def get(self, message_id: int) -> dict[str, Any]:
        """One message with ``check``: its text checked sentence by sentence against the facts it was written from."""
        return self._client.request("GET", f"/outbox/{message_id}")

    def update(self, message_id: int, *, subject: str | None = None, body: str | None = None,
               to_address: str | None = None) -> dict[str, Any]:
        """Edit an unsent message (what is given changes; ``to_address=""`` clears the address)."""
        payload = {k: v for k, v in {"subject": subject, "body": body, "to_address": to_address}.items()
                   if v is not None}
        return self._client.request("PATCH", f"/outbox/{message_id}", json=payload)

    def discard(self, message_id: int) -> None:
        self._client.request("DELETE", f"/outbox/{message_id}")

    def send(self, message_id: int, *, complete_task: bool = True) -> dict[str, Any]:
        """Send by SMTP (logged as an outbound e-mail; its task done unless ``complete_task=False``):
        ``{"outcome": "sent"|"queued", "note", "message"}``."""
        return self._client.request("POST", f"/outbox/{message_id}/send", json={"complete_task": complete_task})


class Sequences:
    """Follow-up sequences: ordered steps (``{"kind": "email"|"call", "delay_days", "purpose"}``) run for an
    account until the customer orders or replies. Defining, changing and advancing need a manager or admin."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def list(self) -> list[dict[str, Any]]:
        return self._client.request("GET", "/sequences")

    def get(self, sequence_id: int) -> dict[str, Any]:
        return self._client.request("GET", f"/sequences/{sequence_id}")

    def create(self, *, name: str, steps: Sequence[Mapping[str, Any]],
               trigger: Literal["manual", "churn_risk"] = "manual", active: bool = True) -> dict[str, Any]:
        """A new sequence; ``trigger="churn_risk"`` enrols accounts whose repurchase chance falls."""
        return self._client.request("POST", "/sequences", json=body({"name": name, "steps": list(steps),
                                                                      "trigger": trigger, "active": active}))

    def update(self, sequence_id: int, *, name: str | None = None, steps: Sequence[Mapping[str, Any]] | None = None,
               trigger: Literal["manual", "churn_risk"] | None = None, active: bool | None = None) -> dict[str, Any]:
        fields = {"name": name, "steps": None if steps is None else list(steps), "trigger": trigger,
                  "active": active}
        return self._client.request("PATCH", f"/sequences/{sequence_id}",
                                    json=body({k: v for k, v in fields.items() if v is not None}))

    def delete(self, sequence_id: int) -> None:
        """Delete a sequence nobody is going through (else ``Conflict``)."""
        self._client.request("DELETE", f"/sequences/{sequence_id}")

    def enroll(self, sequence_id: int, *, account_id: int, start: bool = True) -> dict[str, Any]:
        """Start the sequence for an account (``start``: do a first step that is due at once now)."""
        return self._client.request("POST", f"/sequences/{sequence_id}/enroll",
                                    json={"account_id": account_id, "start": start})

    def enrollments(self, sequence_id: int, *, status: Literal["active", "stopped", "completed"] | None = None,
                    limit: int = 200) -> list[dict[str, Any]]:
        return self._client.request("GET", f"/sequences/{sequence_id}/enrollments",
                                    params=query({"status": status, "limit": limit}))

    def stop(self, enrollment_id: int) -> dict[str, Any]:
        """Stop an enrolment by hand (its unsent drafts are discarded, its open tasks closed)."""
        return self._client.request("POST", f"/enrollments/{enrollment_id}/stop")

    def advance(self, *, auto_enroll: bool = True, threshold: float = 0.3) -> dict[str, Any]:
        """Enrol accounts at churn risk, do the due steps, stop and complete enrolments; returns the counts."""
        return self._client.request("POST", "/sequences/advance",
                                    json={"auto_enroll": auto_enroll, "threshold": threshold})


__all__ = ["Outbox", "Sequences"]
