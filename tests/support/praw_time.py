"""prawcore waits in real time (before retrying a 5xx, and after a 429 said no requests are left): these
helpers make those waits pass on a test's manual clock instead, leaving everything else of praw as it is."""

from __future__ import annotations

import time

import pytest
from prawcore.rate_limit import RateLimiter
from prawcore.sessions import RetryStrategy

from monitor.clock import ManualClock


def praw_waits_on(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Route prawcore's retry and rate-limit sleeps through ``clock.sleep`` for the rest of the test."""
    monkeypatch.setattr(RetryStrategy, "sleep", lambda self: clock.sleep(self._sleep_seconds() or 0.0))

    def delay(limiter: RateLimiter) -> None:
        if limiter.next_request_timestamp_ns is not None:
            clock.sleep((limiter.next_request_timestamp_ns - time.monotonic_ns()) / 1e9)
            limiter.next_request_timestamp_ns = None

    monkeypatch.setattr(RateLimiter, "delay", delay)
