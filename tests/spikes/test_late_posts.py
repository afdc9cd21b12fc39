"""Event-time spike checks on live data: buckets stay open to late posts, are replayed, and alert once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.alerts.delivery import Delivery
from monitor.alerts.slack import SlackSink
from monitor.spikes.detector import SpikeDetector
from monitor.spikes.settings import SpikeSettings
from monitor.spikes.watch import SpikeWatch, bucket_counts
from monitor.storage.schema import spike_detectors, spikes
from tests.conftest import Clock
from tests.test_spike_watch import Feed

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
BURST = "acme app is down, outage"


def make_watch(engine, clock: Clock, **settings) -> SpikeWatch:
    return SpikeWatch(
        engine,
        brands=["Acme"],
        settings=SpikeSettings(**settings),
        channel="#alerts",
        clock=clock,
        settle=timedelta(minutes=10),
    )


def quiet_days(engine, clock: Clock, days: int = 2) -> Feed:
    """``days`` of about one negative mention per 10 minutes, stored; the clock ends after them."""
    feed = Feed(engine)
    feed.buckets(clock.now, [1, 0] * (days * 144), others=0)
    clock.advance(days=days)
    return feed


def events_of(results) -> list[str]:
    return [e.kind for r in results for e in r.events]


def deliver(engine, clock: Clock, fake_slack) -> None:
    Delivery(
        engine,
        SlackSink(fake_slack.token, base_url=fake_slack.base_url),
        clock=clock,
        min_interval=timedelta(0),
        sleep=lambda s: None,
    ).run_once()


def test_a_burst_whose_posts_arrive_late_opens_late_and_says_by_how_much(engine, fake_slack) -> None:
    clock = Clock(START)
    feed = quiet_days(engine, clock)
    watch = make_watch(engine, clock)
    assert events_of(watch.check()) == []
    burst = clock.now
    # On time, only one post per bucket of the burst arrives: the detector sees nothing unusual.
    for _ in range(4):
        feed.bucket(clock.now, 1, others=1, text=BURST)
        clock.advance(minutes=5)
        assert events_of(watch.check()) == []
    # 10-40 minutes late, the rest of the burst arrives: 9 more per bucket, in the buckets they were written in.
    clock.advance(minutes=10)
    feed.buckets(burst, [9, 9, 9, 9], others=0, text=BURST)
    results = watch.check()
    assert events_of(results) == ["opened"]
    opened = results[0].events[0]
    assert burst <= opened.at < burst + timedelta(minutes=20)
    deliver(engine, clock, fake_slack)
    with engine.connect() as conn:
        row = conn.execute(select(spikes)).mappings().one()
    late = row["drivers"]["seen_late_minutes"]
    assert late == (clock.now - (opened.at + timedelta(minutes=5))) / timedelta(minutes=1) >= 10
    [parent] = [m for m in fake_slack.messages if m.thread_ts is None]
    assert f"seen {late} min late" in json.dumps(parent.blocks)

    # Checking again, and later once the buckets are final, acts on nothing twice: one thread, one opening.
    for _ in range(48):
        clock.advance(minutes=5)
        feed.bucket(clock.now - timedelta(minutes=5), 0, others=1)
        assert "opened" not in events_of(watch.check())
    deliver(engine, clock, fake_slack)
    assert len([m for m in fake_slack.messages if m.thread_ts is None]) == 1
    with engine.connect() as conn:
        assert conn.execute(select(spikes.c.status)).scalar_one() == "resolved"


def test_the_saved_state_is_one_pass_over_the_final_counts(engine) -> None:
    """Late posts change only the replay: the checkpoint has seen every final bucket once, with its full count."""
    clock = Clock(START)
    feed = quiet_days(engine, clock, days=1)
    watch = make_watch(engine, clock, lateness=timedelta(hours=1))
    watch.check()
    for step in range(30):  # posts of each bucket trickle in over the next 40 minutes
        at = clock.now
        feed.bucket(at, 1, others=1)
        feed.bucket(at - timedelta(minutes=20), 1, others=0)
        feed.bucket(at - timedelta(minutes=40), step % 3, others=0)
        clock.advance(minutes=5)
        watch.check()
    with engine.connect() as conn:
        row = conn.execute(select(spike_detectors)).mappings().one()
        last = row["last_bucket_at"]
        assert last == datetime.fromtimestamp((clock.now - timedelta(hours=1)).timestamp() // 300 * 300, UTC) - (
            timedelta(minutes=5)
        )
        counts = bucket_counts(
            conn, brand="Acme", start=START, end=last + timedelta(minutes=5), size=timedelta(minutes=5)
        )
    one_pass = SpikeDetector(SpikeSettings(lateness=timedelta(hours=1)))
    at = START
    while at <= last:
        one_pass.observe(at, counts.get(at, (0, 0))[0])
        at += timedelta(minutes=5)
    saved = row["state"] if isinstance(row["state"], str) else json.dumps(row["state"])
    assert json.loads(saved) == json.loads(one_pass.to_json())


def test_late_posts_that_move_a_spikes_start_keep_its_one_thread(engine, fake_slack) -> None:
    clock = Clock(START)
    feed = quiet_days(engine, clock)
    watch = make_watch(engine, clock)
    watch.check()
    first = clock.now
    feed.bucket(first, 1, others=1, text=BURST)  # what arrived on time of the burst's first bucket
    clock.advance(minutes=5)
    feed.bucket(clock.now, 14, others=0, text=BURST)
    clock.advance(minutes=5)
    results = watch.check()
    assert events_of(results) == ["opened"] and results[0].events[0].at == first + timedelta(minutes=5)
    # The first bucket's stragglers arrive: the replay now opens the spike a bucket earlier.
    feed.bucket(first, 12, others=0, text=BURST)
    clock.advance(minutes=5)
    feed.bucket(clock.now - timedelta(minutes=5), 20, others=0, text=BURST)
    results = watch.check()
    assert "opened" not in events_of(results)
    for _ in range(60):  # quiet again, until the burst's buckets are final and the spike is over
        feed.bucket(clock.now, 0, others=1)
        clock.advance(minutes=5)
        assert "opened" not in events_of(watch.check())
    deliver(engine, clock, fake_slack)
    assert len([m for m in fake_slack.messages if m.thread_ts is None]) == 1
    with engine.connect() as conn:
        rows = conn.execute(select(spikes.c.spike_key, spikes.c.status)).all()
    assert len(rows) == 1 and rows[0].status == "resolved"


def test_an_all_clear_waits_until_every_source_polled_past_it(engine) -> None:
    clock = Clock(START)
    feed = quiet_days(engine, clock)
    watch = make_watch(engine, clock)
    watch.check()
    for n in (15, 30, 30):
        feed.bucket(clock.now, n, text=BURST)
        clock.advance(minutes=5)
    assert events_of(watch.check())[0] == "opened"
    seen_resolved = None
    for _ in range(20):  # calm buckets; the detector calls it over after 30 min of them
        feed.bucket(clock.now, 0, others=1)
        clock.advance(minutes=5)
        results = watch.check()
        if "resolved" in events_of(results):
            seen_resolved = next(e for r in results for e in r.events if e.kind == "resolved")
            break
    assert seen_resolved is not None
    assert clock.now - (seen_resolved.at + timedelta(minutes=5)) >= timedelta(minutes=10), "waited for the settle"


def test_a_catch_up_pages_a_spike_still_going_and_says_how_late(engine, fake_slack) -> None:
    clock = Clock(START)
    feed = quiet_days(engine, clock)
    watch = make_watch(engine, clock)
    watch.check()
    # The daemon is down for an hour while a crisis builds, and is still going when it comes back.
    feed.buckets(clock.now, [1] * 6 + [20, 30, 40, 40, 40, 40], text=BURST)
    clock.advance(hours=1)
    assert "opened" in events_of(watch.check())
    deliver(engine, clock, fake_slack)
    [parent] = [m for m in fake_slack.messages if m.thread_ts is None]
    with engine.connect() as conn:
        late = conn.execute(select(spikes.c.drivers)).scalar_one()["seen_late_minutes"]
    assert 25 <= late <= 30 and f"seen {late} min late" in json.dumps(parent.blocks)


def test_unreadable_provisional_bookkeeping_is_started_afresh_not_a_crash(engine, caplog) -> None:
    clock = Clock(START)
    quiet_days(engine, clock, days=1)
    watch = make_watch(engine, clock)
    watch.check()
    with engine.begin() as conn:
        conn.execute(spike_detectors.update().values(provisional={"emitted": [["opened", "x", "not a time"]]}))
    clock.advance(minutes=5)
    assert watch.check()[0].buckets > 0
    assert "saved provisional events unreadable" in caplog.text
