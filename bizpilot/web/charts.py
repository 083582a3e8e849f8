"""Chart specs for ``static/app.js``: plain dicts embedded as JSON in a ``data-chart`` attribute (no inline JS)."""

from __future__ import annotations

from typing import Any

from bizpilot.services.overview import MonthRevenue


def revenue_chart(months: list[MonthRevenue], *, label: str) -> dict[str, Any]:
    """A bar chart of net revenue per month (negative months stay visible as bars below zero)."""
    return {
        "type": "bar",
        "labels": [m.month for m in months],
        "series": [{"label": label, "data": [round(m.revenue, 2) for m in months]}],
        "format": "money",
    }
