"""Spike lifecycle in the daemon: one Slack thread per spike, updates in it, resolution, exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from connectors.base import Cursor, Post
from models.base import Sentiment
from monitor.alerts.delivery import Delivery
from monitor.alerts.slack import SlackSink
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.watch import SpikeWatch
from monitor.storage import posts as store
from monitor.storage.schema import spikes
from tests.conftest import Clock

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
BUCKET = timedelta(minutes=5)


class Feed:
    """Writes classified posts into storage, bucket by bucket."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.n = 0

    def bucket(self, at: datetime, negatives: int, *, others: int = 2, text: str = "acme app crashes again") -> None:
        """One 5-minute bucket's posts, stored and classified."""
        self.buckets(at, [negatives], others=others, text=text)

    def buckets(
        self, start: datetime, negatives: Sequence[int], *, others: int = 2, text: str = "acme app crashes again"
    ) -> None:
        """Consecutive 5-minute buckets from ``start`` (``negatives[i]`` in the i-th), stored in one transaction."""
        batch = []
        for b, count in enumerate(negatives):
            at = start + timedelta(minutes=5 * b)
            for i in range(count + others):
                self.n += 1
                batch.append(
                    Post(
                        platform="x",
                        post_id=str(self.n),
                        author=f"u{self.n % 50}",
                        text=f"{text} #{i}" if i < count else "acme is fine",
                        created_at=at + timedelta(seconds=i % 290),
                        url=f"https://x.com/u/status/{self.n}",
                        metrics={"followers": self.n % 1000},
                    )
                )
        last = start + timedelta(minutes=5 * (len(negatives) - 1))
        with self.engine.begin() as conn:
            store.store_page(
                conn, source="x", brand="Acme", posts_in=batch, cursor=Cursor(str(self.n)), brand_handles=(), now=last
            )
            pending = store.unclassified(conn, limit=len(batch) + 10)
            store.save_sentiments(
                conn,
                [
                    (
                        p.pk,
                        Sentiment("negative", 0.9, 0.9, lang="en")
                        if "crash" in p.text or "down" in p.text
                        else Sentiment("neutral", 0.8, 0.1, lang="en"),
                    )
                    for p in pending
                ],
                now=last,
            )


def test_one_thread_per_spike_with_updates_and_resolution(engine, fake_slack) -> None:
    clock = Clock(START)
    feed = Feed(engine)
    watch = SpikeWatch(
        engine, brands=["Acme"], settings=SpikeSettings(), channel="#alerts", clock=clock, settle=timedelta(minutes=1)
    )
    delivery = Delivery(
        engine,
        SlackSink(fake_slack.token, base_url=fake_slack.base_url),
        clock=clock,
        min_interval=timedelta(0),
        sleep=lambda s: None,
    )

    def step(negatives: int, **kw) -> list:
        feed.bucket(clock.now, negatives, **kw)
        clock.advance(minutes=5)
        results = watch.check()
        delivery.run_once()
        return [e for r in results for e in r.events]

    # Three quiet days (about one negative mention per bucket), checked as the daemon would every hour.
    for _ in range(3 * 24):
        feed.buckets(clock.now, [0, 1] * 6)  # the hour's twelve buckets
        clock.advance(hours=1)
        assert [e for r in watch.check() for e in r.events] == [], f"false alarm before {clock.now}"
    assert fake_slack.messages == []
    # A crisis builds: 10, 25, 60 negative mentions per 5 minutes, then it fades.
    events = [e.kind for n in (10, 25, 60, 60) for e in step(n, text="acme outage, site down")]
    assert events[0] == "opened" and "updated" in events
    for _ in range(12):
        events += [e.kind for e in step(1)]
    assert events.count("opened") == 1 and events[-1] == "resolved"
    clock.advance(minutes=10)
    delivery.run_once()

    top_level = [m for m in fake_slack.messages if m.thread_ts is None]
    assert len(top_level) == 1, "one spike, one thread"
    parent = top_level[0]
    assert "Spike in negative mentions of Acme" in parent.text
    replies = [m for m in fake_slack.messages if m.thread_ts == parent.ts]
    assert replies and replies[-1].text.startswith("Resolved")
    assert parent.edits, "the thread's first message is updated in place as the spike evolves"
    assert "resolved" in parent.text
    with engine.connect() as conn:
        row = conn.execute(select(spikes)).mappings().one()
    assert row["status"] == "resolved" and row["peak_count"] >= 60
    assert row["drivers"]["platforms"][0][0] == "x"
    assert row["drivers"]["top_posts"], "the alert names the posts driving it"
    assert "outage" in row["drivers"]["terms"], "the spike's words, compared with the brand's earlier posts"
    assert row["drivers"]["volume"]["count"] > row["drivers"]["volume"]["expected"] > 0
    summary = "\n".join(b["text"]["text"] for b in parent.blocks or [] if b["type"] == "section")
    assert "*Over-represented:*" in summary and "outage" in summary and "*What it is:*" in summary

    # Running the check again changes nothing and sends nothing.
    before = len(fake_slack.messages)
    assert watch.check()[0].events == ()
    delivery.run_once()
    assert len(fake_slack.messages) == before


def test_history_caught_up_after_downtime_is_recorded_not_paged(engine, fake_slack) -> None:
    clock = Clock(START)
    feed = Feed(engine)
    feed.buckets(clock.now, [0, 1] * (3 * 144))  # three quiet days
    clock.advance(days=3)
    for n in (10, 25, 60, 60):
        feed.bucket(clock.now, n, text="acme outage, site down")
        clock.advance(minutes=5)
    clock.advance(hours=6)  # the daemon was down while it happened
    watch = SpikeWatch(
        engine, brands=["Acme"], settings=SpikeSettings(), channel="#alerts", clock=clock, settle=timedelta(minutes=1)
    )
    results = watch.check()
    assert any(e.kind == "opened" for r in results for e in r.events)
    Delivery(
        engine,
        SlackSink(fake_slack.token, base_url=fake_slack.base_url),
        clock=clock,
        min_interval=timedelta(0),
        sleep=lambda s: None,
    ).run_once()
    assert fake_slack.messages == []  # hours-old news is for the digest, not a 3 a.m. page
    with engine.connect() as conn:
        assert conn.execute(select(spikes.c.status)).scalar_one() in {"open", "resolved"}


def test_unclassified_posts_hold_the_bucket_back(engine) -> None:
    clock = Clock(START)
    with engine.begin() as conn:
        store.store_page(
            conn,
            source="x",
            brand="Acme",
            posts_in=[
                Post(platform="x", post_id="1", author="a", text="acme", created_at=START + timedelta(minutes=1))
            ],
            cursor=Cursor("1"),
            brand_handles=(),
            now=START,
        )
    clock.advance(hours=1)
    watch = SpikeWatch(
        engine, brands=["Acme"], settings=SpikeSettings(), channel="#alerts", clock=clock, settle=timedelta(minutes=1)
    )
    assert watch.check()[0].buckets == 0  # its count is not final until the post has a label
