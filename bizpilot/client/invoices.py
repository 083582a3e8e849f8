"""Invoices in the Python client: the registry's list/get/export plus the overdue view (``GET /invoices-overdue``),
which is read as of the server's workspace today."""

from __future__ import annotations

from typing import Any

from bizpilot.client._http import query
from bizpilot.client.records import Resource
from bizpilot.domain.invoice import InvoicePublic


class Invoices(Resource[InvoicePublic]):
    def overdue(self, *, account_id: int | None = None, min_days: int = 1, limit: int = 100) -> dict[str, Any]:
        """``{"today", "total", "items"}``: open invoices past their due date, most overdue first, each with its
        ``amount_due`` and ``days_overdue``."""
        params = {"account_id": account_id, "min_days": min_days, "limit": limit}
        return self._client.request("GET", "/invoices-overdue", params=query(params))  # type: ignore[no-any-return]
