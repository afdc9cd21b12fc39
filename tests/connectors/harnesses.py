"""Conformance harnesses for Reddit and X: a fake API and a connector on one test clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Connector, Query
from connectors.reddit import RedditConnector, RedditSettings
from connectors.x import XConnector, XSettings
from tests.conftest import Clock
from tests.connectors.conformance import with_timeout
from tests.support.fake_reddit import FakeReddit
from tests.support.fake_x import FakeX
from tests.support.praw_time import praw_waits_on

REDDIT_ENV = {"REDDIT_CLIENT_ID": "app-id", "REDDIT_CLIENT_SECRET": "app-secret"}
X_ENV = {"X_BEARER_TOKEN": "x-bearer"}
QUERY = Query(brand="Acme", terms=("acme", "#acme"), handles=("acme_support",))


class RedditHarness:
    """Reddit through praw against :class:`FakeReddit`; posts alternate submissions and comments."""

    platform = "reddit"
    query = QUERY
    page_size = 5

    def __init__(self, server: FakeReddit, clock: Clock, **settings: Any) -> None:
        self.server = server
        self.clock = clock
        self._thread = server.submit("Weekly help thread", subreddit="test")
        self._n = 0
        self.settings = RedditSettings.model_validate(
            {
                "base_url": server.base_url,
                "auth_url": server.base_url,
                "subreddits": ["test"],
                "page_size": self.page_size,
                "timeout": "1s",
                **settings,
            },
            context={"env": REDDIT_ENV},
        )

    def add_posts(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self._n += 1
            if self._n % 2:
                out.append(self.server.submit(f"acme problem number {self._n}", selftext="it broke", subreddit="test"))
            else:
                out.append(self.server.comment(f"same with my acme, take {self._n}", parent=self._thread))
            self.clock.advance(seconds=1)
        return out

    def fault(self, kind: str, *, times: int = 1) -> None:
        self.server.fault(kind, times=times)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def connector(self, *, timeout: float | None = None) -> Connector:
        return RedditConnector(with_timeout(self.settings, timeout), clock=self.clock)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


class XHarness:
    """X through tweepy against :class:`FakeX`."""

    platform = "x"
    query = QUERY
    page_size = 10  # the API's minimum max_results

    def __init__(self, server: FakeX, clock: Clock, **settings: Any) -> None:
        self.server = server
        self.clock = clock
        self._n = 0
        self.settings = XSettings.model_validate(
            {"base_url": server.base_url, "page_size": self.page_size, "timeout": "1s", "settle": "1s", **settings},
            context={"env": X_ENV},
        )

    def add_posts(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self._n += 1
            out.append(self.server.tweet(f"my acme broke again ({self._n})", author=f"user{self._n % 7}"))
            self.clock.advance(seconds=2)  # past the connector's 1s settle time
        return out

    def fault(self, kind: str, *, times: int = 1) -> None:
        self.server.fault(kind, times=times)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def connector(self, *, timeout: float | None = None) -> Connector:
        return XConnector(with_timeout(self.settings, timeout), clock=self.clock)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


# Mid-month in a 30-day month: budget pacing divides by the month's length.
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@contextmanager
def harness(platform: str, **settings: Any) -> Iterator[Any]:
    """A started fake server and its harness, on a test clock (fixed: results must not depend on today's date)."""
    clock = Clock(START)
    if platform not in ("reddit", "x"):
        from tests.connectors.keyless_harnesses import keyless_harness

        with keyless_harness(platform, clock, **settings) as keyless:
            yield keyless
        return
    if platform == "reddit":
        # prawcore's waits before a retry (after a 5xx or a timeout) pass on the test clock, not in real time.
        with FakeReddit(clock=clock) as reddit, pytest.MonkeyPatch.context() as patch:
            praw_waits_on(clock, patch)
            yield RedditHarness(reddit, clock, **settings)
    else:
        with FakeX(clock=clock) as x:
            yield XHarness(x, clock, **settings)
