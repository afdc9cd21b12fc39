"""The reply timers on the daemon's schedule, with hours and days passing on the manual clock.

A post due for reply is alerted at once, reminded before its deadline, escalated at it, and closed
when the brand answers; with business hours the SLA clock stops for the weekend.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.alerts.slack import SlackSink
from monitor.bootstrap import bootstrap
from monitor.manual import ManualRunner
from monitor.storage.schema import outbox
from tests.conftest import Clock
from tests.replies.helpers import KeywordClassifier, config, ingest, items, post
from tests.support.schedule import rare_beats

FRIDAY = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 16:30 in Warsaw (CET)


def scenario(fake_slack, db_url: str, clock: Clock, **replies):
    # The reply check every 15 minutes (a reminder comes 15 minutes before a deadline), the rest rarely.
    cfg = rare_beats(config(fake_slack.base_url, db_url, **replies), reply_check_interval=timedelta(minutes=15))
    cfg = cfg.model_copy(update={"digest": cfg.digest.model_copy(update={"enabled": False})})
    sink = SlackSink(fake_slack.token, base_url=fake_slack.base_url, timeout=timedelta(seconds=5))
    app = bootstrap(cfg, clock=clock, sleep=clock.sleep, sink=sink, classifier=KeywordClassifier(), connectors={})
    # Over simulated days the heartbeat would only add 8,640 beats a day; it proves a live scheduler, not timers.
    runner = ManualRunner(app)
    runner.jobs = [job for job in runner.jobs if job.name != "heartbeat"]
    return app, runner


def thread_of(fake_slack, key: str) -> list[tuple[str, str]]:
    """(outbox key, text) of the messages in the thread whose first message has ``key``."""
    parent = next(m for m in fake_slack.messages if (m.metadata or {}).get("event_payload", {}).get("key") == key)
    return [
        ((m.metadata or {}).get("event_payload", {}).get("key", ""), m.text)
        for m in fake_slack.messages
        if m.thread_ts == parent.ts
    ]


def sent_at(app, key: str) -> datetime | None:
    with app.engine.connect() as conn:
        return conn.execute(select(outbox.c.sent_at).where(outbox.c.dedup_key == key)).scalar()


def test_reminder_then_escalation_then_the_brands_reply_closes_it(db_url, fake_slack) -> None:
    clock = Clock(FRIDAY)
    app, runner = scenario(fake_slack, db_url, clock)
    complaint = post("@AcmeSupport my acme router is broken again", clock.now, author="dana", post_id="700")
    ingest(app, complaint)
    item = items(app)[0]
    key = f"reply:{item['id']}"
    assert item["due_at"] == FRIDAY + timedelta(hours=1)  # no business hours: 24/7
    runner.advance()
    assert fake_slack.keys() == [key]
    runner.advance(minutes=44)
    assert thread_of(fake_slack, key) == []  # the reminder comes 15 minutes before the deadline
    runner.advance(minutes=1)
    assert [k for k, _ in thread_of(fake_slack, key)] == [f"{key}:reminder"]
    assert sent_at(app, f"{key}:reminder") == FRIDAY + timedelta(minutes=45)
    runner.advance(minutes=15)
    thread = thread_of(fake_slack, key)
    assert [k for k, _ in thread] == [f"{key}:reminder", f"{key}:escalation"]
    # A normal-priority post: its escalation tells the channel; on-call is paged for high priority and incidents.
    assert "<@U0ONCALL>" not in thread[1][1] and "paged for high priority and incidents only" in thread[1][1]
    assert sent_at(app, f"{key}:escalation") == FRIDAY + timedelta(hours=1)
    assert items(app)[0]["escalated_at"] == FRIDAY + timedelta(hours=1)

    runner.advance(hours=2)  # nothing more happens while nobody answers
    assert len(thread_of(fake_slack, key)) == 2
    answer = post("@dana so sorry, a technician is on the way", clock.now, author="AcmeSupport", reply_to="700")
    ingest(app, answer)
    runner.advance(minutes=15)  # the next check sees the brand's answer and closes the item
    closed = items(app)[0]
    assert closed["status"] == "replied" and closed["within_sla"] is False
    assert closed["closed_at"] == FRIDAY + timedelta(hours=3, minutes=15)
    assert "after the deadline; closed." in thread_of(fake_slack, key)[-1][1]
    runner.advance(hours=6)
    assert len(fake_slack.keys()) == len(set(fake_slack.keys())), "nothing was sent twice"
    app.engine.dispose()


def test_the_sla_clock_stops_for_the_weekend(db_url, fake_slack) -> None:
    clock = Clock(FRIDAY)
    weekdays = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]
    hours = {"#brand-replies": {"timezone": "Europe/Warsaw", "business": weekdays}}
    app, runner = scenario(fake_slack, db_url, clock, hours=hours)
    ingest(app, post("@AcmeSupport acme is broken, nobody answers", clock.now, author="eve"))
    item = items(app)[0]
    key = f"reply:{item['id']}"
    monday = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 30 minutes on Friday, 30 on Monday from 09:00 CET
    assert item["due_at"] == monday
    runner.advance(days=2, hours=16)  # Friday 16:30 to Monday 08:30 local: the weekend passes quietly
    assert fake_slack.keys() == [key]
    runner.advance(minutes=44)
    assert thread_of(fake_slack, key) == []
    runner.advance(minutes=1)  # 09:15 local, 15 minutes before the deadline
    assert [k for k, _ in thread_of(fake_slack, key)] == [f"{key}:reminder"]
    assert sent_at(app, f"{key}:reminder") == monday - timedelta(minutes=15)
    runner.advance(minutes=15)
    assert [k for k, _ in thread_of(fake_slack, key)] == [f"{key}:reminder", f"{key}:escalation"]
    assert sent_at(app, f"{key}:escalation") == monday
    app.engine.dispose()
