"""Retention prunes old data in batches and keeps what is still needed (queues, thread parents, open items)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from monitor.alerts import outbox
from monitor.alerts.outbox import Message
from monitor.ops.retention import prune
from monitor.ops.settings import RetentionSettings
from monitor.storage.schema import mentions, posts, reply_items, spikes
from monitor.storage.schema import outbox as outbox_table

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)


def add_post(conn, n: int, *, at: datetime, classified: bool = True) -> int:
    pk = conn.execute(
        insert(posts)
        .values(
            platform="x", post_id=str(n), source="x", author="a", text=f"post {n}", created_at=at, fetched_at=at,
            metrics={}, extra={}, from_brand=False, classified_at=at if classified else None,
            sentiment="negative" if classified else None,
        )
        .returning(posts.c.id)
    ).scalar_one()
    conn.execute(insert(mentions).values(brand="Acme", post_pk=pk, created_at=at, negative=True, from_brand=False))
    return pk


def add_alert(conn, key: str, *, at: datetime, status: str = "sent", **kw) -> None:
    outbox.enqueue(conn, Message(dedup_key=key, kind="t", channel="#a", text=key, **kw), now=at)
    conn.execute(
        outbox_table.update().where(outbox_table.c.dedup_key == key).values(status=status, sent_at=at)
    )


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def keys(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(outbox_table.c.dedup_key)).scalars())


def test_old_posts_go_in_batches_with_their_mentions_and_the_queue_stays(engine) -> None:
    with engine.begin() as conn:
        for n in range(25):
            add_post(conn, n, at=OLD)
        add_post(conn, 100, at=OLD, classified=False)  # still waiting for the classifier
        open_item = add_post(conn, 101, at=OLD)  # someone still has to reply to it
        conn.execute(insert(reply_items).values(
            brand="Acme", post_pk=open_item, platform="x", post_id="101", status="open", priority="high",
            priority_score=1.0, channel="#a", reason="r", posted_at=OLD, due_at=OLD, created_at=OLD, alert_key="k",
        ))
        add_post(conn, 200, at=NOW - timedelta(days=1))
    sleeps: list[float] = []
    report = prune(engine, RetentionSettings(posts_days=30, batch_size=10), clock=lambda: NOW, sleep=sleeps.append)
    assert (report.posts, report.batches, report.finished) == (25, 3, True)
    assert len(sleeps) == 2  # a pause after each full batch
    with engine.connect() as conn:
        left = set(conn.execute(select(posts.c.post_id)).scalars())
    assert left == {"100", "101", "200"}
    assert count(engine, mentions) == 3  # cascaded with their posts


def test_old_alerts_go_unless_undelivered_or_still_a_parent(engine) -> None:
    with engine.begin() as conn:
        add_alert(conn, "old-sent", at=OLD)
        add_alert(conn, "old-dead", at=OLD, status="dead")
        add_alert(conn, "old-pending", at=OLD, status="pending")
        add_alert(conn, "parent", at=OLD)
        add_alert(conn, "child", at=NOW - timedelta(days=1), thread_key="parent")
        add_alert(conn, "old-parent", at=OLD)
        add_alert(conn, "old-child", at=OLD, thread_key="old-parent")
        add_alert(conn, "spike-key", at=OLD)
        conn.execute(insert(spikes).values(
            spike_key="spike-key", brand="Acme", metric="negative", status="open", opened_at=OLD, updated_at=OLD,
            peak_at=OLD, peak_count=5, expected=1,
        ))
        add_alert(conn, "recent", at=NOW - timedelta(days=2))
    report = prune(engine, RetentionSettings(outbox_days=30), clock=lambda: NOW, sleep=lambda s: None)
    assert report.outbox == 4
    assert keys(engine) == {"old-pending", "parent", "child", "spike-key", "recent"}


def test_a_run_stops_on_its_budget_and_on_stop(engine) -> None:
    with engine.begin() as conn:
        for n in range(30):
            add_post(conn, n, at=OLD)
    settings = RetentionSettings(posts_days=30, batch_size=10, budget=timedelta(0))
    assert prune(engine, settings, clock=lambda: NOW).finished is False
    report = prune(engine, RetentionSettings(posts_days=30, batch_size=10), clock=lambda: NOW, should_stop=lambda: True)
    assert (report.posts, report.finished) == (0, False)
    assert count(engine, posts) == 30


def test_nothing_is_pruned_by_default() -> None:
    assert not RetentionSettings().enabled


def test_the_retention_job_prunes_on_its_schedule_as_days_pass(db_url, fake_slack) -> None:
    from monitor.bootstrap import bootstrap
    from monitor.config import parse_config
    from monitor.jobs import table
    from monitor.manual import ManualRunner
    from tests.conftest import Clock
    from tests.support.schedule import rare_beats

    clock = Clock(NOW)
    config = parse_config(
        {
            "storage": {"url": db_url},
            "slack": {"base_url": fake_slack.base_url},
            "brands": [{"name": "Acme", "terms": ["acme"]}],
            "digest": {"enabled": False},
            "retention": {"posts_days": 30, "outbox_days": 7, "interval": "6h", "batch_size": 2},
        },
        env={"SLACK_BOT_TOKEN": fake_slack.token},
    )
    app = bootstrap(rare_beats(config), clock=clock, sleep=clock.sleep, classifier=object())
    with app.engine.begin() as conn:
        for n in range(3):
            add_post(conn, n, at=NOW - timedelta(days=31))  # older than 30 days already
        add_post(conn, 10, at=NOW - timedelta(days=29, hours=12))  # 30 days old in 12 hours
        add_post(conn, 11, at=NOW - timedelta(days=2))
        add_alert(conn, "a-week-ago", at=NOW - timedelta(days=8))
        add_alert(conn, "two-days-ago", at=NOW - timedelta(days=2))
    runner = ManualRunner(app, jobs=[j for j in table(app) if j.name != "heartbeat"])

    def pruned() -> list[tuple[datetime, int, int]]:
        return [
            (when, outcome.counts["pruned_posts"], outcome.counts["pruned_outbox"])
            for when, name, outcome in runner.runs
            if name == "retention" and outcome is not None and any(outcome.counts.values())
        ]

    runner.advance(hours=5)
    assert count(app.engine, posts) == 5 and pruned() == []  # the first run is one interval after the start
    runner.advance(hours=1)
    assert pruned() == [(NOW + timedelta(hours=6), 3, 1)]  # in batches of 2, with a pause between them
    runner.advance(days=6)
    assert pruned() == [
        (NOW + timedelta(hours=6), 3, 1),
        (NOW + timedelta(hours=18), 1, 0),  # post 10 is exactly 30 days old at the run at NOW + 12 h: the next
        (NOW + timedelta(days=5, hours=6), 0, 1),  # likewise the alert sent two days before NOW
    ]
    with app.engine.connect() as conn:
        assert set(conn.execute(select(posts.c.post_id)).scalars()) == {"11"}
    assert keys(app.engine) == set()
    app.engine.dispose()


def test_released_quarantine_items_go_after_their_days_and_unreleased_ones_stay(engine) -> None:
    from monitor.storage.schema import quarantine

    def held(n: int, *, released: datetime | None) -> dict:
        return {
            "source": "x", "brand": "Acme", "fingerprint": f"f{n}", "raw": "{}", "reason": "r", "stage": "read",
            "created_at": OLD, "released_at": released,
        }

    with engine.begin() as conn:
        conn.execute(insert(quarantine), [held(n, released=OLD) for n in range(5)])  # stored by a retry long ago
        conn.execute(insert(quarantine), [held(10, released=NOW - timedelta(days=1)), held(11, released=None)])
    report = prune(engine, RetentionSettings(quarantine_days=30, batch_size=2), clock=lambda: NOW, sleep=lambda s: None)
    assert report.quarantine == 5 and report.finished
    with engine.connect() as conn:
        left = set(conn.execute(select(quarantine.c.fingerprint)).scalars())
    assert left == {"f10", "f11"}  # released yesterday, and never released: that data is still to be stored
