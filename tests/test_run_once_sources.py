"""Reddit and X on local fake APIs, polled on the daemon's schedule while a manual clock lets hours pass.

Real praw and tweepy, the real pipeline, the tiny model through the production
loading path, a real database. Between polls the fake platforms get new posts, a
429 in the middle of a paginated read, and an outage; the back-offs expire by the
clock moving (the jobs' own schedule), and every post must end up stored exactly
once. (`run --once` as a real process: tests/test_run_once.py.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.manual import ManualRunner
from monitor.storage.schema import posts, source_health
from tests.conftest import Clock
from tests.support.fake_reddit import FakeReddit
from tests.support.fake_x import FakeX
from tests.support.praw_time import praw_waits_on
from tests.support.stored_posts import stored_post_ids

ENV = {"REDDIT_CLIENT_ID": "app-id", "REDDIT_CLIENT_SECRET": "app-secret", "X_BEARER_TOKEN": "x-bearer"}
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_config(*, db_url: str, model, slack_url: str, slack_token: str, reddit: str, x: str):
    return parse_config(
        {
            "storage": {"url": db_url},
            "classifier": {"model": str(model)},
            "slack": {"base_url": slack_url, "min_interval": "10ms", "timeout": "2s"},
            # Polls wake classification and classification wakes delivery: their own beats only pick up
            # leftovers, so hours pass in fewer runs. The digest is not part of this story.
            "schedule": {"deliver_interval": "5m", "classify_interval": "5m"},
            "digest": {"enabled": False},
            "brands": [
                {"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport", "reddit": "acme_support"}}
            ],
            "sources": {
                "reddit": {
                    "base_url": reddit,
                    "auth_url": reddit,
                    "subreddits": ["acme", "gadgets"],
                    "page_size": 5,
                    "timeout": "2s",
                    "user_agent": "brand-monitor-tests/1.0 (by u/tester)",
                },
                "x": {"base_url": x, "page_size": 10, "settle": "1s", "timeout": "2s"},
            },
        },
        env={**ENV, "SLACK_BOT_TOKEN": slack_token},  # secrets are read from here, once, at load
    )


class Traffic:
    """Posts published on both fake platforms, all mentioning Acme (or by Acme's own accounts)."""

    def __init__(self, reddit: FakeReddit, x: FakeX) -> None:
        self.reddit, self.x = reddit, x
        self.reddit_ids: list[str] = []
        self.x_ids: list[str] = []
        self.n = 0
        self.thread = reddit.submit("Daily questions thread", subreddit="gadgets")  # no mention: not stored

    def burst(self, reddit: int, x: int) -> None:
        for _ in range(reddit):
            self.n += 1
            if self.n % 3 == 0:
                cid = self.reddit.comment(
                    f"acme support ghosted me ({self.n})", parent=self.thread, author=f"r{self.n}"
                )
                self.reddit_ids.append(cid)
                reply = self.reddit.comment("Sorry! Please DM us.", parent=cid, author="acme_support")
                self.reddit_ids.append(reply)
            else:
                sub = "acme" if self.n % 2 else "gadgets"
                self.reddit_ids.append(self.reddit.submit(f"Is acme worth it? ({self.n})", subreddit=sub))
        for _ in range(x):
            self.n += 1
            tid = self.x.tweet(f"acme app is down again ({self.n})", author=f"u{self.n % 5}", followers=self.n)
            self.x_ids.append(tid)
            if self.n % 7 == 0:
                self.x_ids.append(self.x.tweet("@u so sorry, on it", author="AcmeSupport", reply_to=tid))


def errors(app) -> dict[str, str]:
    """The status each failing source's last error names."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(source_health.c.source, source_health.c.last_error, source_health.c.consecutive_failures)
        ).all()
    out = {}
    for source, error, failures in rows:
        for status in ("429", "HTTP 500", "HTTP 503"):
            if failures and error and status in error:
                out[source] = status
    return out


@pytest.fixture
def platforms(monkeypatch):
    clock = Clock(T0)
    praw_waits_on(clock, monkeypatch)
    with FakeReddit(clock=clock) as reddit, FakeX(clock=clock) as x:
        yield clock, reddit, x


def test_polls_through_rate_limits_and_outages_store_every_post_exactly_once(
    db_url, tiny_model_dir, fake_slack, platforms, caplog
) -> None:
    clock, reddit, x = platforms
    config = make_config(
        db_url=db_url,
        model=tiny_model_dir,
        slack_url=fake_slack.base_url,
        slack_token=fake_slack.token,
        reddit=reddit.base_url,
        x=x.base_url,
    )
    app = bootstrap(config, clock=clock, sleep=clock.sleep)
    runner = ManualRunner(app)
    traffic = Traffic(reddit, x)

    def stored() -> dict[str, list[str]]:
        return stored_post_ids(db_url, ("reddit", "x"))

    def polled(source: str) -> list[datetime]:
        return [when for when, name, _ in runner.runs if name == f"poll:{source}:Acme"]

    traffic.burst(reddit=6, x=12)
    runner.advance(seconds=5)  # both sources poll at start-up (X 2 s later: past its 1 s settle time)
    got = stored()
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids) and sorted(got["x"]) == sorted(traffic.x_ids)

    # A 429 on the second page of each platform's read: the first page is kept, the rest waits.
    traffic.burst(reddit=8, x=25)
    reddit.fault("429", after=1)
    x.fault("429", after=1)
    with caplog.at_level(logging.WARNING):
        runner.advance(minutes=5)  # Reddit's next poll (every 5 minutes) meets its 429
    assert "reddit: HTTP 429" in caplog.text
    assert len(got["reddit"]) < len(stored()["reddit"]) < len(traffic.reddit_ids), "the page before the 429 is kept"
    assert errors(app) == {"reddit": "429"}
    with caplog.at_level(logging.WARNING):
        runner.advance(minutes=10)  # X's next poll (every 15 minutes) meets its 429; Reddit has read the rest
    assert "x: HTTP 429" in caplog.text
    partial = stored()
    assert sorted(partial["reddit"]) == sorted(traffic.reddit_ids)
    assert len(got["x"]) < len(partial["x"]) < len(traffic.x_ids), "the page before the 429 is kept"
    assert errors(app) == {"x": "429"}
    runner.advance(minutes=30)  # X's back-off ran out on the clock; its next poll reads the rest
    got = stored()
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids) and sorted(got["x"]) == sorted(traffic.x_ids)

    # An outage: both platforms answer 5xx; nothing is lost once they are back.
    traffic.burst(reddit=4, x=8)
    reddit.down = x.down = True
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        runner.advance(minutes=15)
    assert "HTTP 500" in caplog.text and "HTTP 503" in caplog.text
    during = stored()
    assert {p: sorted(i) for p, i in during.items()} == {p: sorted(i) for p, i in got.items()}, "nothing stored"
    assert errors(app) == {"reddit": "HTTP 500", "x": "HTTP 503"}
    outage_polls = len(polled("reddit"))
    reddit.down = x.down = False
    traffic.burst(reddit=3, x=3)
    runner.advance(hours=1)
    got = stored()
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids)
    assert sorted(got["x"]) == sorted(traffic.x_ids)
    assert len(got["reddit"]) == len(set(got["reddit"])) and len(got["x"]) == len(set(got["x"]))
    assert len(polled("reddit")) >= outage_polls + 10, "Reddit is back on its 5-minute beat"
    with app.engine.connect() as conn:
        before = conn.execute(select(posts.c.id)).all()
    runner.advance(hours=1)  # nothing new: nothing changes
    with app.engine.connect() as conn:
        assert conn.execute(select(posts.c.id)).all() == before
        brand_rows = conn.execute(select(posts.c.author).where(posts.c.from_brand.is_(True))).scalars().all()
        health = conn.execute(select(source_health.c.source, source_health.c.disabled_reason)).all()
        unclassified = conn.execute(select(posts.c.id).where(posts.c.classified_at.is_(None))).all()
    assert set(brand_rows) == {"acme_support", "AcmeSupport"}
    assert {s for s, _ in health} == {"reddit", "x"} and all(reason is None for _, reason in health)
    assert unclassified == [], "every stored post was classified by the tiny model"
    app.engine.dispose()
