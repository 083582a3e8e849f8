"""Pages never train models: a section whose model is not ready shows the model's state ("training…", queued,
failed with the reason) and the page refreshes itself while a model trains in the background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bizpilot.errors import ModelNotReady

T = TypeVar("T")
REFRESH_SECONDS = 10


def attempt(pending: list[dict[str, Any]], read: Callable[[], T], default: T) -> T:
    """``read()``, or ``default`` with the model's state added to ``pending`` when its model is not ready."""
    try:
        return read()
    except ModelNotReady as exc:
        if not any(p["model"] == exc.model for p in pending):
            pending.append({"model": exc.model, "state": exc.state, "message": exc.message})
        return default


def refresh_after(pending: list[dict[str, Any]]) -> int | None:
    """Seconds until the page reloads itself: while a model it waits for is queued or training."""
    return REFRESH_SECONDS if any(p["state"] in ("queued", "training") for p in pending) else None


__all__ = ["REFRESH_SECONDS", "attempt", "refresh_after"]
