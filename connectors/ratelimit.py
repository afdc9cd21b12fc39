"""A platform's request window: "spent until T", learned from its headers; no request is sent before T.

Platforms say how many requests are left and when the window resets, in
headers of their own (Mastodon and Reddit ``x-ratelimit-*``, X
``x-rate-limit-*``, Bluesky the IETF draft's ``ratelimit-*``), and answer 429
with ``Retry-After`` when it is spent. :class:`RateWindow` reads them all: one
per host (plain HTTP sources), per app (Reddit's shared budget) or per client
(X). While it is spent, :meth:`RateWindow.check` raises
:class:`~connectors.base.RateLimited` with the wait, so the poll backs off
instead of sleeping or sending a request bound to fail.
"""

from __future__ import annotations

import email.utils
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from connectors.base import RateLimited

log = logging.getLogger(__name__)

DEFAULT_WAIT = 60.0
MAX_WAIT = 3600.0
# Header pairs (remaining, reset) platforms use: Mastodon/Reddit, X, then the IETF draft Bluesky uses.
RATE_HEADERS = (
    ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ("x-rate-limit-remaining", "x-rate-limit-reset"),
    ("ratelimit-remaining", "ratelimit-reset"),
)


def reset_wait(
    headers: Mapping[str, str], *, now: float, default: float = DEFAULT_WAIT, reset_first: bool = False
) -> float:
    """Seconds to wait from ``Retry-After`` or a rate-limit reset header, bounded to [1 s, 1 h].

    ``Retry-After`` is seconds or an HTTP date. A reset is epoch seconds (X,
    Bluesky), seconds from now (Reddit), or an ISO 8601 time (Mastodon). With
    ``reset_first`` the platform's own reset wins over ``Retry-After`` (which a
    proxy in between may have added).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    resets = [lowered.get(reset) for _, reset in RATE_HEADERS]
    candidates = [*resets, lowered.get("retry-after")] if reset_first else [lowered.get("retry-after"), *resets]
    for value in candidates:
        seconds = _seconds_until(value, now) if value else None
        if seconds is not None:
            return min(max(seconds, 1.0), MAX_WAIT)
    return default


def remaining_requests(headers: Mapping[str, str]) -> float | None:
    """How many requests the platform says are left (Reddit writes ``594.0``); None when it does not say."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for header, _ in RATE_HEADERS:
        value = lowered.get(header)
        if value is None:
            continue
        try:
            return float(value)
        except ValueError:
            log.debug("unreadable %s header %r", header, value)
            return None
    return None


def _seconds_until(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number - now if number > 1e9 else number  # an epoch time, else a delay
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError):
        return None


class RateWindow:
    """One request window: open, or spent until a time the platform gave."""

    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], datetime],
        max_wait: float = MAX_WAIT,
        reset_first: bool = False,
    ) -> None:
        self.name = name
        self._clock = clock
        self._max_wait = max_wait
        self._reset_first = reset_first
        self._until = 0.0  # epoch seconds; 0: open
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Seconds until the window reopens; 0 when it is open."""
        with self._lock:
            return max(self._until - self._clock().timestamp(), 0.0)

    def check(self) -> None:
        """Raise :class:`RateLimited` while the window is spent."""
        wait = self.wait()
        if wait > 0:
            raise RateLimited(f"{self.name}: request window spent; resets in {wait:.0f}s", retry_after=wait)

    def block(self, seconds: float) -> float:
        """Spend the window for ``seconds`` (bounded to [1 s, ``max_wait``]); returns the wait."""
        wait = min(max(seconds, 1.0), self._max_wait)
        with self._lock:
            self._until = max(self._until, self._clock().timestamp() + wait)
            return self._until - self._clock().timestamp()

    def observe(self, headers: Mapping[str, str], *, status: int) -> float | None:
        """Read a response's headers: a 429, or none left, spends the window until the reset. Returns that wait."""
        left = remaining_requests(headers)
        if status != 429 and (left is None or left >= 1):
            return None
        wait = self.block(reset_wait(headers, now=self._clock().timestamp(), reset_first=self._reset_first))
        if status != 429:
            log.warning("%s: request window spent; pausing %.0fs", self.name, wait)
        return wait

    def reopened(self) -> bool:
        """True once, at the first call after a spent window reopened (the platform's count restarts)."""
        with self._lock:
            if self._until and self._clock().timestamp() >= self._until:
                self._until = 0.0
                return True
            return False
