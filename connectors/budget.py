"""A request budget shared by every brand polling one API app, fed by the platform's own headers.

Platforms limit requests per app, not per brand: Reddit allows about 100
queries a minute per OAuth client, X a number of requests per 15-minute window.
A connector takes a token before each request; when none is left it raises
:class:`RateLimited` with the wait, so the poll backs off instead of sleeping
in a worker thread. ``observe`` lets the server's remaining/reset headers
override our own estimate (other processes may share the app); when they say
the window is spent, the budget's :class:`~connectors.ratelimit.RateWindow`
holds every request until the reset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from connectors.base import RateLimited
from connectors.ratelimit import RateWindow, remaining_requests


class RequestBudget:
    """A token bucket of ``per_minute`` requests, shared through :func:`shared_budget`."""

    def __init__(self, *, per_minute: float, clock: Callable[[], datetime], name: str) -> None:
        self.name = name
        self.per_minute = per_minute
        self._clock = clock
        self._tokens = float(per_minute)
        self._updated = clock().timestamp()
        self.window = RateWindow(name, clock=clock)  # the platform said its window is spent
        self._lock = threading.Lock()

    def take(self) -> None:
        """Spend one request, or raise :class:`RateLimited` saying how long to wait."""
        self.window.check()
        with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) * 60 / self.per_minute
                raise RateLimited(
                    f"{self.name}: request budget of {self.per_minute:g}/min used up by all brands", retry_after=wait
                )
            self._tokens -= 1

    def take_spare(self, *, keep: float) -> bool:
        """Spend one request only if ``keep`` (a fraction of the per-minute budget) would still be left."""
        if self.window.wait() > 0:
            return False
        with self._lock:
            self._refill()
            if self._tokens - 1 < self.per_minute * keep:
                return False
            self._tokens -= 1
            return True

    def observe(self, headers: Mapping[str, str], *, status: int) -> None:
        """Take the platform's word from a response's headers: requests left, and whether the window is spent."""
        remaining = remaining_requests(headers)
        if remaining is not None:
            with self._lock:
                self._refill()
                self._tokens = min(self._tokens, remaining)
        self.window.observe(headers, status=status)

    def block(self, seconds: float) -> None:
        """Stop all requests for ``seconds`` (after a 429)."""
        self.window.block(seconds)

    def _refill(self) -> None:
        now = self._clock().timestamp()
        if self.window.reopened():  # a new window: the platform's count restarts
            self._tokens = float(self.per_minute)
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(float(self.per_minute), self._tokens + elapsed * self.per_minute / 60)
        self._updated = now


_SHARED: dict[str, RequestBudget] = {}
_SHARED_LOCK = threading.Lock()


def shared_budget(key: str, *, per_minute: float, clock: Callable[[], datetime], name: str) -> RequestBudget:
    """The one budget for ``key`` (e.g. an app's client id) in this process."""
    with _SHARED_LOCK:
        budget = _SHARED.get(key)
        if budget is None or budget.per_minute != per_minute or budget._clock is not clock:
            budget = _SHARED[key] = RequestBudget(per_minute=per_minute, clock=clock, name=name)
        return budget
