"""All six sources on local fake APIs, polled by ``run_once`` over six simulated hours.

The real connectors (praw, tweepy, plain HTTP, feedparser), the real pipeline
and a real database; one clock drives the fake platforms and the app, so
back-offs expire by the clock moving, not by sleeping. Each "run" bootstraps a
fresh app from the config, as ``brand-monitor run --once`` does. Between runs
every platform gets new posts (and the brand's own replies), a 429 in the
middle of a paginated read, and an outage; every post must end up stored
exactly once, and the brand's replies marked as the brand's and linked to the
posts they answer. (tests/test_run_once_sources.py runs the real CLI process.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from connectors.rss import parse_entry
from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.once import run_once
from monitor.storage.engine import make_engine
from monitor.storage.schema import posts, source_health
from tests.conftest import Clock
from tests.support.fake_bluesky import FakeBluesky
from tests.support.fake_feeds import FakeFeeds
from tests.support.fake_hn import FakeHN
from tests.support.fake_mastodon import FakeMastodon
from tests.support.fake_reddit import FakeReddit
from tests.support.fake_x import FakeX
from tests.support.praw_time import praw_waits_on
from tests.support.stored_posts import stored_post_ids

ENV = {
    "REDDIT_CLIENT_ID": "app-id",
    "REDDIT_CLIENT_SECRET": "app-secret",
    "X_BEARER_TOKEN": "x-bearer",
    "BSKY_IDENTIFIER": "monitor.bsky.social",
    "BSKY_APP_PASSWORD": "app-pass",
}
PLATFORMS = ("reddit", "x", "hn", "bluesky", "mastodon", "rss")


class Neutral:
    def classify(self, texts):
        return [Sentiment("neutral", 0.9, 0.05) for _ in texts]


class World:
    """The six fake platforms on one clock, and every post they should hand over."""

    def __init__(self, clock: Clock, reddit, x, hn, bsky, masto, feeds) -> None:
        self.clock = clock
        self.reddit, self.x, self.hn, self.bsky, self.masto, self.feeds = reddit, x, hn, bsky, masto, feeds
        self.expected: dict[str, list[str]] = {p: [] for p in PLATFORMS}
        self.brand_replies: dict[str, dict[str, str]] = {p: {} for p in PLATFORMS}  # reply id -> answered id
        self.n = 0
        self.hn_story = hn.story("Ask HN: which router do you trust?")  # no mention: not stored

    def hour(self, posts: int) -> None:
        """An hour of traffic: ``posts`` mentions on each platform, every fourth answered by the brand."""
        for _ in range(posts):
            self.n += 1
            n, answer = self.n, self.n % 4 == 0
            self._keep("reddit", self.reddit.submit(f"Is acme worth it? ({n})", subreddit="acme"))
            if answer:
                self._reply(
                    "reddit",
                    self.reddit.comment("Sorry! DM us.", parent=self.expected["reddit"][-1], author="acme_support"),
                )
            self._keep("x", self.x.tweet(f"acme app is down again ({n})", author=f"u{n % 5}", followers=n))
            if answer:
                self._reply(
                    "x", self.x.tweet("@u so sorry, on it", author="AcmeSupport", reply_to=self.expected["x"][-1])
                )
            self._keep("hn", self.hn.comment(f"acme routers drop wifi ({n})", parent=self.hn_story, author=f"h{n}"))
            if answer:
                self._reply(
                    "hn", self.hn.comment("Firmware fix is out.", parent=self.expected["hn"][-1], author="acme_team")
                )
            self._keep("bluesky", self.bsky.post(f"acme lost my parcel ({n})", handle=f"b{n % 3}.bsky.social"))
            if answer:
                reply = self.bsky.post(
                    "So sorry! DM us.", handle="acme.bsky.social", reply_to=self.expected["bluesky"][-1]
                )
                self._reply("bluesky", reply)
            self._keep("mastodon", self.masto.toot(f"acme support is slow ({n})", user=f"m{n % 3}", tags=("acme",)))
            if answer:
                reply = self.masto.toot("We are on it.", user="acme", reply_to=self.expected["mastodon"][-1])
                self._reply("mastodon", reply)
            feed = "news" if n % 2 else "reviews"
            guid = self.feeds.publish(feed, f"Acme recall widens ({n})", summary="<p>Acme said sorry</p>")
            self._keep("rss", parse_entry({"id": guid, "title": "t"}, feed="", now=self.clock()).post_id)
            self.clock.advance(minutes=50 / posts)
        self.clock.advance(minutes=10)  # and the hour is over

    def _keep(self, platform: str, post_id: str) -> None:
        self.expected[platform].append(post_id)

    def _reply(self, platform: str, post_id: str) -> None:
        self.brand_replies[platform][post_id] = self.expected[platform][-1]
        self.expected[platform].append(post_id)

    def servers(self):
        return (self.reddit, self.x, self.hn, self.bsky, self.masto, self.feeds)


def make_config(db_url: str, w: World):
    return parse_config(
        {
            "storage": {"url": db_url},
            "slack": {"console": True},
            "brands": [
                {
                    "name": "Acme",
                    "terms": ["acme"],
                    "handles": {
                        "x": "AcmeSupport",
                        "reddit": "acme_support",
                        "hn": "acme_team",
                        "bluesky": "acme.bsky.social",
                        "mastodon": f"acme@{w.masto.host}",
                    },
                }
            ],
            "sources": {
                "reddit": {
                    "base_url": w.reddit.base_url,
                    "auth_url": w.reddit.base_url,
                    "subreddits": ["acme"],
                    "page_size": 5,
                    "timeout": "2s",
                },
                # The first read looks back past the first hour's first post, even when a retried Reddit request
                # (prawcore waits 2-4 s on the clock first) makes X's first read start a little after the hour.
                "x": {
                    "base_url": w.x.base_url,
                    "page_size": 10,
                    "settle": "1s",
                    "timeout": "2s",
                    "first_read_window": "2h",
                },
                "hn": {"base_url": w.hn.base_url, "page_size": 5, "timeout": "2s"},
                "bluesky": {
                    "base_url": w.bsky.base_url,
                    "auth_url": w.bsky.base_url,
                    "identifier_env": "BSKY_IDENTIFIER",
                    "password_env": "BSKY_APP_PASSWORD",
                    "page_size": 5,
                    "timeout": "2s",
                },
                "mastodon": {"instances": [w.masto.base_url], "page_size": 5, "timeout": "2s"},
                "rss": {"feeds": [w.feeds.feed_url("news"), w.feeds.feed_url("reviews", atom=True)], "timeout": "2s"},
            },
        },
        env=ENV,
    )


@pytest.fixture
def world(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    clock = Clock(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))  # a fixed day: results must not depend on today
    praw_waits_on(clock, monkeypatch)
    with (
        FakeReddit(clock=clock) as reddit,
        FakeX(clock=clock) as x,
        FakeHN(clock=clock) as hn,
        FakeBluesky(clock=clock, require_auth=True) as bsky,
        FakeMastodon(clock=clock) as masto,
        FakeFeeds(clock=clock) as feeds,
    ):
        yield World(clock, reddit, x, hn, bsky, masto, feeds)


def run(config, clock: Clock) -> dict[str, int]:
    """One ``run --once``: a fresh app (connectors, sessions, caches), every due poll, then exit."""
    app = bootstrap(config, clock=clock, classifier=Neutral())
    try:
        return run_once(app)
    finally:
        app.engine.dispose()


def stored(db_url: str) -> dict[str, list[str]]:
    return stored_post_ids(db_url, PLATFORMS)


def last_errors(db_url: str) -> dict[str, str | None]:
    """Each source's error if its last poll failed, else None."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(source_health.c.source, source_health.c.last_error, source_health.c.consecutive_failures)
        ).all()
    engine.dispose()
    return {source: error if failures else None for source, error, failures in rows}


def assert_all_stored(db_url: str, w: World) -> dict[str, list[str]]:
    got = stored(db_url)
    for platform in PLATFORMS:
        assert sorted(got[platform]) == sorted(w.expected[platform]), platform
    return got


@pytest.mark.slow
def test_six_hours_of_traffic_through_429s_and_outages_store_every_post_exactly_once(db_url, world) -> None:
    w = world
    config = make_config(db_url, w)

    w.hour(posts=4)  # hour 1
    run(config, w.clock)
    before = assert_all_stored(db_url, w)

    # Hour 2: a busy hour; every platform answers 429 on the second request of the read.
    w.hour(posts=12)
    for server in w.servers():
        server.fault("429", after=1)
    run(config, w.clock)
    partial = stored(db_url)
    for platform in PLATFORMS:
        assert len(before[platform]) < len(partial[platform]) < len(w.expected[platform]), platform
    errors = last_errors(db_url)
    assert all(errors[p] and "429" in errors[p] for p in PLATFORMS), errors

    w.hour(posts=3)  # hour 3: the back-offs have long expired
    run(config, w.clock)  # X first finishes the read the 429 interrupted (its resume point)...
    w.clock.advance(minutes=15)
    run(config, w.clock)  # ...and reads the new hour on its next poll
    assert_all_stored(db_url, w)
    assert all(e is None for e in last_errors(db_url).values())

    # Hour 4: every platform is down (5xx); nothing is stored, nothing is lost.
    w.hour(posts=4)
    for server in w.servers():
        server.down = True
    during = stored(db_url)
    run(config, w.clock)
    assert stored(db_url) == during
    errors = last_errors(db_url)
    assert all(errors[p] and "HTTP 5" in errors[p] for p in PLATFORMS), errors
    for server in w.servers():
        server.down = False

    w.hour(posts=2)  # hour 5: back up, past the back-off
    w.clock.advance(minutes=30)
    run(config, w.clock)
    assert_all_stored(db_url, w)

    w.hour(posts=2)  # hour 6, and a last run with nothing new
    run(config, w.clock)
    totals = run(config, w.clock)
    assert totals["new_posts"] == 0
    got = assert_all_stored(db_url, w)
    assert all(len(ids) == len(set(ids)) for ids in got.values())

    engine = make_engine(db_url)
    with engine.connect() as conn:
        own = conn.execute(select(posts.c.platform, posts.c.post_id, posts.c.reply_to).where(posts.c.from_brand)).all()
        health = conn.execute(select(source_health.c.source, source_health.c.disabled_reason)).all()
    engine.dispose()
    assert {(p, i) for p, i, _ in own} == {(p, i) for p in PLATFORMS for i in w.brand_replies[p]}, (
        "every brand reply, and nothing else, is marked the brand's"
    )
    linked = {(p, i): r for p, i, r in own}
    for platform in ("reddit", "x", "hn", "bluesky", "mastodon"):
        for reply, answered in w.brand_replies[platform].items():
            assert linked[(platform, reply)] == answered, (platform, reply)
    assert {s for s, _ in health} == set(PLATFORMS) and all(reason is None for _, reason in health)
