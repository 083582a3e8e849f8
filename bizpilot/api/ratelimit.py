"""Sliding-window rate limits for the actions an attacker repeats: signing in, redeeming login links, creating keys.

Kept in the server process (one per app, on ``app.state``): no extra storage, and a restart forgets them, which is
fine for slowing down guessing. Each limit counts events per key (``ip:<address>``, ``account:<name>``, ``user:..``)
within the last ``window_s`` seconds; past ``limit`` the action answers 429 with ``Retry-After`` (the seconds until
the oldest counted event leaves the window). Limits come from settings (``BIZPILOT_LOGIN_RATE_LIMIT`` ...).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from starlette.requests import Request

from bizpilot.config import get_settings
from bizpilot.errors import RateLimited

MAX_KEYS = 10_000  # forget the stalest keys beyond this many, so a flood of addresses cannot grow memory forever


class SlidingWindow:
    """At most ``limit`` events per key in any ``window_s`` seconds; thread-safe (sync routes run in a pool)."""

    def __init__(self, *, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def retry_after(self, keys: Iterable[str]) -> int | None:
        """Seconds to wait if any of ``keys`` is at its limit, else None (nothing is counted)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                events = self._prune(key, now)
                if len(events) >= self.limit:
                    wait = max(wait, events[0] + self.window_s - now)
                if not events:
                    self._events.pop(key, None)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def hit(self, keys: Iterable[str]) -> None:
        """Count one event for each of ``keys``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)
            if len(self._events) > MAX_KEYS:
                stalest = sorted(self._events, key=lambda k: self._events[k][-1] if self._events[k] else 0.0)
                for key in stalest[: len(self._events) - MAX_KEYS]:
                    del self._events[key]

    def clear(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._events.pop(key, None)


_create_lock = threading.Lock()


def limiter(request: Request, name: str) -> SlidingWindow:
    """The app's limit ``name`` ("login" or "keys"), made from the settings on first use."""
    with _create_lock:
        limits: dict[str, SlidingWindow] | None = getattr(request.app.state, "rate_limits", None)
        if limits is None:
            limits = {}
            request.app.state.rate_limits = limits
        if name not in limits:
            settings = get_settings()
            limit, window = {"login": (settings.login_rate_limit, settings.login_rate_window_s),
                             "keys": (settings.key_rate_limit, settings.key_rate_window_s)}[name]
            limits[name] = SlidingWindow(limit=limit, window_s=float(window))
        return limits[name]


def client_ip(request: Request) -> str:
    """The peer address (proxy headers are not trusted: anyone can send them)."""
    return request.client.host if request.client else "unknown"


def rate_keys(request: Request, account: str | None = None) -> list[str]:
    """``ip:<peer>``, plus ``account:<name>`` (case-folded) when the action names one."""
    keys = [f"ip:{client_ip(request)}"]
    if account and account.strip():
        keys.append(f"account:{account.strip().casefold()}")
    return keys


def check(request: Request, name: str, keys: Iterable[str], *, what: str) -> None:
    """Raise ``RateLimited`` (429, Retry-After) if any key is at the limit ``name``."""
    window = limiter(request, name)
    wait = window.retry_after(keys)
    if wait is not None:
        raise RateLimited(f"too many {what}; try again in {wait} s", retry_after=wait,
                          details=[{"field": "rate", "reason": f"at most {window.limit} {what} in "
                                                               f"{int(window.window_s)} s"}])


__all__ = ["SlidingWindow", "limiter", "client_ip", "rate_keys", "check"]
