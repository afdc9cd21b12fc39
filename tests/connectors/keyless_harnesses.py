"""Conformance harnesses for the key-less sources: Hacker News, Bluesky, Mastodon, RSS/Atom."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.base import Connector, Query
from connectors.bluesky import BlueskyConnector, BlueskySettings
from connectors.hn import HackerNewsConnector, HackerNewsSettings
from connectors.mastodon import MastodonConnector, MastodonSettings
from connectors.rss import RssConnector, RssSettings
from tests.conftest import Clock
from tests.connectors.conformance import with_timeout
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_feeds import FakeFeeds
from tests.support.fake_hn import FakeHN
from tests.support.fake_mastodon import FakeMastodon

BLUESKY_ENV = {"BSKY_IDENTIFIER": "monitor.bsky.social", "BSKY_APP_PASSWORD": "app-pass"}
MASTODON_ENV = {"MASTODON_TOKEN": "masto-token"}
QUERY = Query(brand="Acme", terms=("acme",), handles=())


class _Base:
    query = QUERY
    page_size = 5

    def __init__(self, server: Any, clock: Clock) -> None:
        self.server = server
        self.clock = clock
        self._n = 0

    def fault(self, kind: str, *, times: int = 1) -> None:
        self.server.fault(kind, times=times)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


class HackerNewsHarness(_Base):
    """HN over plain HTTP against :class:`FakeHN`; posts alternate stories and comments on them."""

    platform = "hn"

    def __init__(self, server: FakeHN, clock: Clock, **settings: Any) -> None:
        super().__init__(server, clock)
        self._story = server.story("Ask HN: what do you use for monitoring?")
        self.settings = HackerNewsSettings.model_validate(
            {"base_url": server.base_url, "page_size": self.page_size, "timeout": "1s", **settings}
        )

    def add_posts(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self._n += 1
            if self._n % 2:
                out.append(self.server.story(f"Show HN: acme clone number {self._n}", url="https://acme.example"))
            else:
                out.append(self.server.comment(f"acme broke on me too ({self._n})", parent=self._story))
            self.clock.advance(seconds=1)
        return out

    def connector(self, *, timeout: float | None = None) -> Connector:
        return HackerNewsConnector(with_timeout(self.settings, timeout), clock=self.clock)


class BlueskyHarness(_Base):
    """Bluesky with an app-password session against :class:`FakeBluesky` (search needs the login)."""

    platform = "bluesky"

    def __init__(self, server: FakeBluesky, clock: Clock, **settings: Any) -> None:
        super().__init__(server, clock)
        self.settings = BlueskySettings.model_validate(
            {
                "base_url": server.base_url,
                "auth_url": server.base_url,
                "identifier_env": "BSKY_IDENTIFIER",
                "password_env": "BSKY_APP_PASSWORD",
                "page_size": self.page_size,
                "timeout": "1s",
                **settings,
            },
            context={"env": BLUESKY_ENV},
        )

    def add_posts(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self._n += 1
            out.append(self.server.post(f"my acme order is late ({self._n})", handle=f"u{self._n % 4}.bsky.social"))
            self.clock.advance(seconds=1)
        return out

    def connector(self, *, timeout: float | None = None) -> Connector:
        return BlueskyConnector(with_timeout(self.settings, timeout), clock=self.clock)


class MastodonHarness(_Base):
    """Mastodon's #acme timeline and search (with a token) against :class:`FakeMastodon`."""

    platform = "mastodon"

    def __init__(self, server: FakeMastodon, clock: Clock, **settings: Any) -> None:
        super().__init__(server, clock)
        self.settings = MastodonSettings.model_validate(
            {
                "instances": [server.base_url],
                "access_token_env": "MASTODON_TOKEN",
                "page_size": self.page_size,
                "timeout": "1s",
                **settings,
            },
            context={"env": MASTODON_ENV},
        )

    def add_posts(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self._n += 1
            tags = ("acme",) if self._n % 2 else ()  # half reachable only through search
            out.append(self.server.toot(f"acme support is slow ({self._n})", user=f"u{self._n % 3}", tags=tags))
            self.clock.advance(seconds=1)
        return out

    def connector(self, *, timeout: float | None = None) -> Connector:
        return MastodonConnector(with_timeout(self.settings, timeout), clock=self.clock)


class RssHarness(_Base):
    """Two feeds (RSS 2.0 and Atom) on :class:`FakeFeeds`; entries alternate between them."""

    platform = "rss"
    page_size = 3  # entries per feed per add, roughly: a "page" is one feed

    def __init__(self, server: FakeFeeds, clock: Clock, **settings: Any) -> None:
        super().__init__(server, clock)
        server.publish("news", "Unrelated: weather tomorrow")
        self.settings = RssSettings.model_validate(
            {
                "feeds": [server.feed_url("news"), server.feed_url("reviews", atom=True)],
                "timeout": "1s",
                **settings,
            }
        )
        self._ids: dict[str, str] = {}

    def add_posts(self, count: int) -> list[str]:
        from connectors.rss import parse_entry

        out = []
        for _ in range(count):
            self._n += 1
            feed = "news" if self._n % 2 else "reviews"
            guid = self.server.publish(feed, f"Acme recalls model {self._n}", summary="<p>Acme said <b>sorry</b></p>")
            out.append(parse_entry({"id": guid, "title": "t"}, feed="", now=self.clock()).post_id)
            self.clock.advance(seconds=1)
        return out

    def connector(self, *, timeout: float | None = None) -> Connector:
        return RssConnector(with_timeout(self.settings, timeout), clock=self.clock)


@contextmanager
def keyless_harness(platform: str, clock: Clock, **settings: Any) -> Iterator[Any]:
    """A started fake server and the harness for ``platform``."""
    if platform == "hn":
        with FakeHN(clock=clock) as hn:
            yield HackerNewsHarness(hn, clock, **settings)
    elif platform == "bluesky":
        with FakeBluesky(clock=clock, require_auth=True) as bsky:
            yield BlueskyHarness(bsky, clock, **settings)
    elif platform == "mastodon":
        with FakeMastodon(clock=clock) as masto:
            yield MastodonHarness(masto, clock, **settings)
    elif platform == "rss":
        with FakeFeeds(clock=clock) as feeds:
            yield RssHarness(feeds, clock, **settings)
    else:
        raise ValueError(platform)
