"""`brand-monitor run --once` with Reddit and X pointed at local fake APIs, over several polls.

Real processes, real praw and tweepy, a real database. Between runs the fake
platforms get new posts, a 429 in the middle of a paginated read, and an
outage; every post must end up stored exactly once. Waiting out a back-off is
simulated by clearing ``source_health.next_poll_at`` (what the clock passing
the back-off would do), so the test does not sleep through real minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from monitor.storage.engine import make_engine
from monitor.storage.schema import posts, source_health
from tests.support.fake_reddit import FakeReddit
from tests.support.fake_x import FakeX
from tests.support.stored_posts import stored_post_ids

ROOT = Path(__file__).resolve().parents[1]
ENV = {"REDDIT_CLIENT_ID": "app-id", "REDDIT_CLIENT_SECRET": "app-secret", "X_BEARER_TOKEN": "x-bearer"}


def write_config(tmp_path: Path, *, db_url: str, model: Path, slack_url: str, reddit: str, x: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
url = "{db_url}"
[classifier]
model = "{model}"
[slack]
base_url = "{slack_url}"
min_interval = "10ms"
timeout = "2s"
[[brands]]
name = "Acme"
terms = ["acme"]
handles = {{ x = "AcmeSupport", reddit = "acme_support" }}
[sources.reddit]
base_url = "{reddit}"
auth_url = "{reddit}"
subreddits = ["acme", "gadgets"]
page_size = 5
timeout = "2s"
user_agent = "brand-monitor-tests/1.0 (by u/tester)"
[sources.x]
base_url = "{x}"
page_size = 10
settle = "1s"
timeout = "2s"
""",
        encoding="utf-8",
    )
    return config


def run_once(config: Path, token: str) -> str:
    env = {**os.environ, **ENV, "SLACK_BOT_TOKEN": token, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


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
        time.sleep(1.2)  # past the X connector's settle time


def stored(db_url: str) -> dict[str, list[str]]:
    return stored_post_ids(db_url, ("reddit", "x"))


def errors(db_url: str) -> dict[str, str]:
    """The status each source's last error names."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(source_health.c.source, source_health.c.last_error)).all()
    engine.dispose()
    out = {}
    for source, error in rows:
        for status in ("429", "HTTP 500", "HTTP 503"):
            if error and status in error:
                out[source] = status
    return out


def time_passes(db_url: str) -> None:
    """Every back-off has expired."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(source_health).values(next_poll_at=None))
    engine.dispose()


@pytest.fixture
def platforms():
    with FakeReddit() as reddit, FakeX() as x:
        yield reddit, x


def test_polls_through_rate_limits_and_outages_store_every_post_exactly_once(
    tmp_path, db_url, tiny_model_dir, fake_slack, platforms
) -> None:
    reddit, x = platforms
    config = write_config(
        tmp_path,
        db_url=db_url,
        model=tiny_model_dir,
        slack_url=fake_slack.base_url,
        reddit=reddit.base_url,
        x=x.base_url,
    )
    traffic = Traffic(reddit, x)

    traffic.burst(reddit=6, x=12)
    run_once(config, fake_slack.token)
    got = stored(db_url)
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids) and sorted(got["x"]) == sorted(traffic.x_ids)

    # A 429 on the second page of each platform's read: the first page is kept, the rest waits.
    traffic.burst(reddit=8, x=25)
    reddit.fault("429", after=1)
    x.fault("429", after=1)
    out = run_once(config, fake_slack.token)
    assert "reddit: HTTP 429" in out and "x: HTTP 429" in out
    partial = stored(db_url)
    for platform, ids in (("reddit", traffic.reddit_ids), ("x", traffic.x_ids)):
        assert len(got[platform]) < len(partial[platform]) < len(ids), "the page before the 429 is kept"
    assert errors(db_url) == {"reddit": "429", "x": "429"}
    time_passes(db_url)
    run_once(config, fake_slack.token)
    got = stored(db_url)
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids) and sorted(got["x"]) == sorted(traffic.x_ids)

    # An outage: both platforms answer 5xx; nothing is lost once they are back.
    traffic.burst(reddit=4, x=8)
    reddit.down = x.down = True
    out = run_once(config, fake_slack.token)
    assert "HTTP 500" in out and "HTTP 503" in out
    during = stored(db_url)
    assert {p: sorted(i) for p, i in during.items()} == {p: sorted(i) for p, i in got.items()}, "nothing stored"
    assert errors(db_url) == {"reddit": "HTTP 500", "x": "HTTP 503"}
    reddit.down = x.down = False
    time_passes(db_url)
    traffic.burst(reddit=3, x=3)
    run_once(config, fake_slack.token)
    run_once(config, fake_slack.token)  # nothing new: nothing changes
    got = stored(db_url)
    assert sorted(got["reddit"]) == sorted(traffic.reddit_ids)
    assert sorted(got["x"]) == sorted(traffic.x_ids)
    assert len(got["reddit"]) == len(set(got["reddit"])) and len(got["x"]) == len(set(got["x"]))

    engine = make_engine(db_url)
    with engine.connect() as conn:
        brand_rows = conn.execute(select(posts.c.author).where(posts.c.from_brand.is_(True))).scalars().all()
        health = conn.execute(select(source_health.c.source, source_health.c.disabled_reason)).all()
    engine.dispose()
    assert set(brand_rows) == {"acme_support", "AcmeSupport"}
    assert {s for s, _ in health} == {"reddit", "x"} and all(reason is None for _, reason in health)
