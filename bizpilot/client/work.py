"""The team's daily work through the client: users, the deal pipeline and tasks. Results are the API's JSON (dicts
as its OpenAPI schema documents them); downloads and invitations are bytes. Writes that carry ``version`` send it
as ``If-Match``: a stale one raises ``Conflict`` (with ``current_version``) and changes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from bizpilot.client._http import UNSET, Connection, ExportFormat, _Unset, body, if_match, query

Role = Literal["admin", "manager", "sales", "service", "viewer"]
Priority = Literal["low", "normal", "high"]
TaskStatus = Literal["open", "snoozed", "done", "closed", "active"]
Purpose = Literal["reorder_reminder", "win_back", "quote_follow_up", "cross_sell", "service_follow_up", "check_in"]


class Users:
    """The team: anyone reads it (owners are picked from it); admins add users and change them."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def list(self, *, role: Role | None = None, active: bool | None = None) -> list[dict[str, Any]]:
        return self._client.request("GET", "/users", params=query({"role": role, "active": active}))["items"]

    def me(self) -> dict[str, Any]:
        """Who is calling: the credential's kind, the role it acts with, its access level and its user."""
        return self._client.request("GET", "/users/me")

    def get(self, user_id: int) -> dict[str, Any]:
        return self._client.request("GET", f"/users/{user_id}")

    def create(self, *, name: str, email: str | None = None, role: Role = "sales",
               password: str | None = None) -> dict[str, Any]:
        """Add a user (admin); without a password they sign in with a one-time login link."""
        payload = body({"name": name, "email": email, "role": role, "password": password})
        return self._client.request("POST", "/users", json={k: v for k, v in payload.items() if v is not None})

    def update(self, user_id: int, *, name: str | _Unset = UNSET, email: str | None | _Unset = UNSET,
               role: Role | _Unset = UNSET, active: bool | _Unset = UNSET,
               password: str | _Unset = UNSET) -> dict[str, Any]:
        """Change what is given (admin): ``email=None`` removes the e-mail, ``active=False`` signs them out
        everywhere and refuses their keys."""
        payload = body({"name": name, "email": email, "role": role, "active": active, "password": password})
        return self._client.request("PATCH", f"/users/{user_id}", json=payload)


class Pipeline:
    """Open deals by stage with win probabilities, totals, the weighted forecast, the stages, and moving deals."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def board(self, *, owner: str | int | None = None, lang: Literal["en", "zh"] = "en",
              limit: int = 200) -> dict[str, Any]:
        """Columns of cards (``owner``: me, a user id, name or e-mail); ``can_move`` says what the caller may move."""
        return self._client.request("GET", "/pipeline", params=query({"owner": owner, "lang": lang, "limit": limit}))

    def totals(self, *, owner: str | int | None = None, lang: Literal["en", "zh"] = "en") -> dict[str, Any]:
        return self._client.request("GET", "/pipeline/totals", params=query({"owner": owner, "lang": lang}))

    def forecast(self, *, by: Literal["month", "owner"] = "month", owner: str | int | None = None) -> dict[str, Any]:
        """Amount x win probability of open deals by expected close month or by owner."""
        return self._client.request("GET", "/pipeline/forecast", params=query({"by": by, "owner": owner}))

    def stages(self) -> dict[str, Any]:
        """The stages in board order and the open deals in each."""
        return self._client.request("GET", "/pipeline/stages")

    def set_stages(self, *, stages: Sequence[Mapping[str, Any]],
                   move: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Replace the stages (admin); ``move`` sends the open deals of a removed stage to an open one."""
        return self._client.request("PUT", "/pipeline/stages", json=body({"stages": list(stages),
                                                                          "move": dict(move or {})}))

    def move(self, opportunity_id: int, *, stage: str, reason: str | None = None,
             version: int | None = None) -> dict[str, Any]:
        """Move a deal to ``stage``; won and lost close it and need a ``reason``."""
        payload = {k: v for k, v in {"stage": stage, "reason": reason}.items() if v is not None}
        return self._client.request("POST", f"/opportunities/{opportunity_id}/stage", json=payload,
                                    headers=if_match(version))

    def export(self, *, format: ExportFormat = "csv", owner: str | int | None = None,
               lang: Literal["en", "zh"] | None = None) -> bytes:
        """One row per open deal with stage, amount, probability, weighted amount, owner and factors."""
        return self._client.download("/pipeline", format=format, params={"owner": owner, "lang": lang})


class Tasks:
    """Tasks by hand and from the models (``refresh``), worked on with done / snooze / reopen, their follow-up
    drafts and calendar invitations."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    @staticmethod
    def _filters(owner: str | int | None, status: TaskStatus | None, account_id: int | None,
                 due_before: date | None, source: str | None) -> dict[str, Any]:
        return {"owner": owner, "status": status, "account_id": account_id, "due_before": due_before,
                "source": source}

    def list(self, *, owner: str | int | None = None, status: TaskStatus | None = None, account_id: int | None = None,
             due_before: date | None = None, source: str | None = None, limit: int = 100,
             offset: int = 0) -> dict[str, Any]:
        """A page (``items``, ``total``...) soonest due first; ``owner``: me, none, or a user id, name or e-mail."""
        params = {**self._filters(owner, status, account_id, due_before, source), "limit": limit, "offset": offset}
        return self._client.request("GET", "/tasks", params=query(params))

    def export(self, *, format: ExportFormat = "csv", owner: str | int | None = None,
               status: TaskStatus | None = None, account_id: int | None = None, due_before: date | None = None,
               source: str | None = None, lang: Literal["en", "zh"] | None = None) -> bytes:
        """Every matching task as a file."""
        params = {**self._filters(owner, status, account_id, due_before, source), "lang": lang}
        return self._client.download("/tasks", format=format, params=params)

    def create(self, *, title: str, reason: str | None = None, due_date: date | None = None,
               owner_id: int | None = None, account_id: int | None = None, opportunity_id: int | None = None,
               ticket_id: int | None = None, product_id: int | None = None,
               priority: Priority = "normal") -> dict[str, Any]:
        """A task by hand; it goes to the caller unless ``owner_id`` names someone."""
        fields = {"title": title, "reason": reason, "due_date": due_date, "owner_id": owner_id,
                  "account_id": account_id, "opportunity_id": opportunity_id, "ticket_id": ticket_id,
                  "product_id": product_id, "priority": priority}
        return self._client.request("POST", "/tasks", json=body({k: v for k, v in fields.items() if v is not None}))

    def update(self, task_id: int, *, version: int | None = None, title: str | _Unset = UNSET,
               reason: str | None | _Unset = UNSET, due_date: date | None | _Unset = UNSET,
               owner_id: int | None | _Unset = UNSET, priority: Priority | _Unset = UNSET) -> dict[str, Any]:
        """Change what is given (``owner_id`` reassigns; None clears a field)."""
        payload = body({"title": title, "reason": reason, "due_date": due_date, "owner_id": owner_id,
                        "priority": priority})
        return self._client.request("PATCH", f"/tasks/{task_id}", json=payload, headers=if_match(version))

    def done(self, task_id: int, *, version: int | None = None) -> dict[str, Any]:
        return self._client.request("POST", f"/tasks/{task_id}/done", headers=if_match(version))

    def snooze(self, task_id: int, *, until: date | None = None, days: int | None = None,
               version: int | None = None) -> dict[str, Any]:
        """Put off until a day after the workspace's today, or for ``days``."""
        payload = body({k: v for k, v in {"until": until, "days": days}.items() if v is not None})
        return self._client.request("POST", f"/tasks/{task_id}/snooze", json=payload, headers=if_match(version))

    def reopen(self, task_id: int, *, version: int | None = None) -> dict[str, Any]:
        return self._client.request("POST", f"/tasks/{task_id}/reopen", headers=if_match(version))

    def refresh(self) -> dict[str, Any]:
        """Open the tasks the models suggest now, keep those whose cause stands, close the others:
        ``{"created", "kept", "closed"}`` counts by source, and ``skipped`` sources with why."""
        return self._client.request("POST", "/tasks/refresh")

    def follow_up(self, task_id: int, *, purpose: Purpose | None = None, language: Literal["en", "zh"] | None = None,
                  tone: Literal["neutral", "friendly", "formal", "enthusiastic"] = "neutral",
                  length: Literal["short", "medium", "long"] = "medium", use_llm: bool = True) -> dict[str, Any]:
        """Draft the follow-up the task calls for (grounded and checked) into the outbox; returns the draft."""
        payload = {"purpose": purpose, "language": language, "tone": tone, "length": length, "use_llm": use_llm}
        return self._client.request("POST", f"/tasks/{task_id}/follow-up",
                                    json={k: v for k, v in payload.items() if v is not None})

    def invite(self, task_id: int, *, start: datetime | None = None, minutes: int | None = None) -> bytes:
        """The iCalendar (.ics) invitation for the task's call or meeting (default: its due day at 09:00 UTC)."""
        return self._client.send("GET", f"/tasks/{task_id}/invite.ics",
                                 params=query({"start": start, "minutes": minutes})).content


__all__ = ["Pipeline", "Tasks", "Users"]
