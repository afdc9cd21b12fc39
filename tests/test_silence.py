"""Silent-source detection: learned from each (source, brand)'s own arrival rhythm, on an injected clock."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from connectors.base import Cursor, Post
from monitor import health
from monitor.storage import posts as post_store
from monitor.storage.schema import outbox
from tests.conftest import Clock

OPS = "#ops"


class Source:
    """Drives polls of one (source, brand) the way the pipeline records them."""

    def __init__(self, engine, clock: Clock, *, source: str = "reddit", brand: str = "Acme") -> None:
        self.engine, self.clock, self.source, self.brand = engine, clock, source, brand
        self.n = 0

    def poll(self, new: int = 0) -> None:
        batch = []
        for _ in range(new):
            self.n += 1
            batch.append(
                Post(self.source, f"{self.brand}-{self.n}", "u", "acme", self.clock.now - timedelta(seconds=5))
            )
        with self.engine.begin() as conn:
            stored = post_store.store_page(
                conn,
                source=self.source,
                brand=self.brand,
                posts_in=batch,
                cursor=Cursor(),
                brand_handles=(),
                now=self.clock.now,
            )
            health.succeeded(
                conn,
                source=self.source,
                brand=self.brand,
                now=self.clock.now,
                new_posts=stored.new_posts,
                ops_channel=OPS,
            )

    def history(self, *, every: timedelta, count: int) -> None:
        for _ in range(count):
            self.poll(new=2)
            self.clock.advance(seconds=every.total_seconds())


def ops_messages(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (k, t) for k, t in conn.execute(select(outbox.c.dedup_key, outbox.c.text).where(outbox.c.kind == "ops"))
        ]


def test_silence_far_longer_than_usual_is_reported_once_then_cleared(engine, clock: Clock, caplog) -> None:
    src = Source(engine, clock)
    src.history(every=timedelta(minutes=10), count=20)  # usually a new post every 10 minutes
    clock.advance(hours=1)
    src.poll()
    assert ops_messages(engine) == [], "an hour is under the 2h floor"
    clock.advance(hours=1, minutes=5)
    with caplog.at_level(logging.WARNING, logger="monitor.silence"):
        src.poll()
    [(key, text)] = ops_messages(engine)
    assert key.startswith("ops:reddit:Acme:silent:")
    assert "no new posts for" in text and "usually brings some every 10m" in text
    assert "is silent" in caplog.text
    for _ in range(5):  # later empty polls do not repeat it
        clock.advance(minutes=30)
        src.poll()
    assert len(ops_messages(engine)) == 1
    src.poll(new=1)  # posts are back: the report clears and ops hears
    messages = ops_messages(engine)
    assert len(messages) == 2 and "arriving again" in messages[1][1]
    clock.advance(minutes=10)
    src.history(every=timedelta(minutes=10), count=3)
    clock.advance(hours=3)
    src.poll()
    assert len(ops_messages(engine)) == 3, "a new silence is a new report"


def test_a_naturally_quiet_source_is_judged_by_its_own_rhythm(engine, clock: Clock) -> None:
    src = Source(engine, clock, source="x")
    src.history(every=timedelta(hours=6), count=10)  # a post every six hours is normal here
    clock.advance(hours=12)
    src.poll()
    assert ops_messages(engine) == []
    clock.advance(hours=13)  # 31h since the last post: more than 4 x 6h
    src.poll()
    assert len(ops_messages(engine)) == 1


def test_without_enough_history_nothing_is_judged(engine, clock: Clock) -> None:
    src = Source(engine, clock)
    src.history(every=timedelta(minutes=10), count=4)
    clock.advance(days=2)
    src.poll()
    assert ops_messages(engine) == []


def test_pages_of_one_poll_count_as_one_arrival(engine, clock: Clock) -> None:
    src = Source(engine, clock)
    for _ in range(8):  # every poll stores three pages a few seconds apart, polls every 30 minutes
        for _ in range(3):
            src.poll(new=1)
            clock.advance(seconds=2)
        clock.advance(minutes=30)
    clock.advance(hours=1, minutes=30)  # 2h since the last arrival: under 4 x 30m, so not yet silent
    src.poll()
    assert ops_messages(engine) == []
    clock.advance(minutes=40)
    src.poll()
    assert len(ops_messages(engine)) == 1


def test_brands_and_sources_are_judged_separately(engine, clock: Clock) -> None:
    busy = Source(engine, clock, brand="Busy")
    quiet = Source(engine, clock, brand="Quiet")
    for i in range(24):
        busy.poll(new=1)
        if i % 8 == 0:
            quiet.poll(new=1)
        clock.advance(minutes=15)
    clock.advance(hours=3)
    busy.poll()
    quiet.poll()
    keys = [k for k, _ in ops_messages(engine)]
    assert len(keys) == 1 and keys[0].startswith("ops:reddit:Busy:")
