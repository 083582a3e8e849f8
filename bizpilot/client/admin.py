"""Integration and classification through the client: webhook subscriptions (admin) and industry classification
(the taxonomy, an account's industry, accepting or correcting it, the review queue)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bizpilot.client._http import Connection, body, query


class Webhooks:
    """Subscriptions of URLs to events (admin keys only); deliveries are signed with the subscription's secret,
    which ``create`` returns once."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def list(self, *, active: bool | None = None) -> list[dict[str, Any]]:
        return self._client.request("GET", "/webhooks", params=query({"active": active}))["items"]

    def create(self, *, url: str, events: Sequence[str] = ("*",), active: bool = True) -> dict[str, Any]:
        """``{"subscription": {...}, "secret": "..."}``: keep the secret, it verifies X-Bizpilot-Signature."""
        return self._client.request("POST", "/webhooks", json={"url": url, "events": list(events), "active": active})

    def update(self, subscription_id: int, *, url: str | None = None, events: Sequence[str] | None = None,
               active: bool | None = None) -> dict[str, Any]:
        fields = {"url": url, "events": None if events is None else list(events), "active": active}
        return self._client.request("PATCH", f"/webhooks/{subscription_id}",
                                    json={k: v for k, v in fields.items() if v is not None})

    def delete(self, subscription_id: int) -> None:
        """Delete the subscription and its deliveries."""
        self._client.request("DELETE", f"/webhooks/{subscription_id}")

    def deliveries(self, subscription_id: int, *, status: Literal["pending", "delivered", "failed"] | None = None,
                   limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Newest first, each with ``attempt_log`` (status code or error of every try)."""
        params = query({"status": status, "limit": limit, "offset": offset})
        return self._client.request("GET", f"/webhooks/{subscription_id}/deliveries", params=params)["items"]

    def test(self, subscription_id: int) -> dict[str, Any]:
        """Queue a signed ping to the subscription's URL; returns the pending delivery."""
        return self._client.request("POST", f"/webhooks/{subscription_id}/test")


class Industry:
    """Which industry each account is in: the taxonomy labels come from, the model's predictions with their
    confidence, and people accepting or correcting them (audited; the labels train the next model)."""

    def __init__(self, client: Connection) -> None:
        self._client = client

    def taxonomy(self) -> dict[str, Any]:
        return self._client.request("GET", "/industry/taxonomy")

    def set_taxonomy(self, *, sectors: Sequence[Mapping[str, Any]], name: str | None = None) -> dict[str, Any]:
        """Replace the workspace's taxonomy (admin), e.g. with the team's own segments."""
        return self._client.request("PUT", "/industry/taxonomy", json=body({"name": name, "sectors": list(sectors)}))

    def reset_taxonomy(self) -> dict[str, Any]:
        """Back to the shipped default taxonomy (admin)."""
        return self._client.request("DELETE", "/industry/taxonomy")

    def review_queue(self, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Predictions waiting for a person, the most useful to label first (``ModelNotReady`` until trained)."""
        return self._client.request("GET", "/industry/review-queue", params={"limit": limit, "offset": offset})

    def account(self, account_id: int) -> dict[str, Any]:
        """The account's industry with its source (manual, model, zero-shot), confidence and alternatives."""
        return self._client.request("GET", f"/accounts/{account_id}/industry")

    def review(self, account_id: int, *, label: str | None = None, version: int | None = None) -> dict[str, Any]:
        """Accept the prediction (no ``label``) or correct it; ``version``: the account's, as read."""
        payload = {k: v for k, v in {"label": label, "version": version}.items() if v is not None}
        return self._client.request("POST", f"/accounts/{account_id}/industry", json=payload)


__all__ = ["Industry", "Webhooks"]
