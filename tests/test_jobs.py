"""The job table, and two of the runners that walk it: `run --once` and the manual clock (the daemon: test_daemon)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import RateLimited
from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.jobs import check, first_run, next_run, table
from monitor.manual import ManualRunner
from monitor.once import run_once
from monitor.ops import healthcheck
from monitor.ops.metrics import InstrumentedConnector
from monitor.storage.schema import leases
from tests.conftest import Clock, make_post, write_posts
from values.jobs import Cron, Interval, Job, Lease, Outcome

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


SLACK_TOKEN = "xoxb-test-token"  # what the fake_slack fixture expects

class Keywords:
    """Negative when the text says 'broken'."""

    def classify(self, texts):
        return [Sentiment("negative", 0.9, 0.9) if "broken" in t else Sentiment("positive", 0.9, 0.1) for t in texts]


def config(tmp_path: Path, db_url: str, slack_url: str, *, posts: int = 6, **sections: Any):
    replay = write_posts(
        tmp_path / "posts.jsonl",
        [make_post(i, f"acme order {i} {'is broken' if i % 3 == 0 else 'arrived'}") for i in range(1, posts + 1)],
    )
    raw: dict[str, Any] = {
        "storage": {"url": db_url},
        "slack": {"base_url": slack_url, "min_interval": "1s", "timeout": "2s"},
        "brands": [{"name": "Acme", "terms": ["acme"]}, {"name": "Other", "terms": ["other"]}],
        "sources": {"replay": {"path": str(replay), "interval": "5m", "page_size": 4}},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value}
    return parse_config(raw, env={"SLACK_BOT_TOKEN": SLACK_TOKEN})


def make_app(cfg, fake_slack, clock: Clock, **kw: Any):
    assert fake_slack.token == SLACK_TOKEN  # the token the config read
    return bootstrap(cfg, clock=clock, sleep=clock.sleep, classifier=Keywords(), **kw)


def test_the_table_is_the_map_of_the_daemon(tmp_path, fake_slack) -> None:
    cfg = config(
        tmp_path,
        f"sqlite:///{tmp_path / 'd.db'}",
        fake_slack.base_url,
        schedule={"timezone": "Europe/Warsaw", "digest_time": "08:00"},
        replies={"enabled": True, "socket_mode": False},
        retention={"posts_days": 30},
    )
    app = make_app(cfg, fake_slack, Clock(T0))
    rows = {job.name: job for job in table(app)}
    assert list(rows) == [
        "poll:replay:Acme", "poll:replay:Other", "classify", "spikes", "replies",
        "digest", "digest-check", "deliver", "heartbeat", "retention",
    ]  # fmt: skip
    assert [n for n, j in rows.items() if j.lease.exclusive] == [
        "poll:replay:Acme", "poll:replay:Other", "spikes", "replies", "retention"
    ]
    assert [n for n, j in rows.items() if j.in_once] == [
        "poll:replay:Acme", "poll:replay:Other", "classify", "spikes", "replies", "deliver"
    ]
    assert rows["poll:replay:Acme"].wakes == ("classify",) and rows["classify"].wakes == ("deliver", "spikes")
    assert all(rows[n].wakes == ("deliver",) for n in ("spikes", "replies", "digest", "digest-check", "deliver"))
    assert rows["poll:replay:Other"].trigger == Interval(timedelta(minutes=5), first_after=timedelta(seconds=2))
    assert rows["classify"].trigger == Interval(timedelta(seconds=30))
    assert rows["heartbeat"].trigger == Interval(timedelta(seconds=10), first_after=timedelta(seconds=10))
    digest = rows["digest"].trigger
    assert isinstance(digest, Cron) and (digest.hour, digest.minute, str(digest.zone)) == (8, 0, "Europe/Warsaw")
    app.engine.dispose()


def test_optional_jobs_are_left_out_when_their_feature_is_off(tmp_path, fake_slack) -> None:
    cfg = config(tmp_path, f"sqlite:///{tmp_path / 'd.db'}", fake_slack.base_url, digest={"enabled": False})
    app = make_app(cfg, fake_slack, Clock(T0))
    assert [job.name for job in table(app)] == [
        "poll:replay:Acme", "poll:replay:Other", "classify", "spikes", "deliver", "heartbeat",
    ]  # fmt: skip
    app.engine.dispose()


def test_a_table_with_a_doubled_name_or_an_unknown_wake_is_refused() -> None:
    noop = Outcome
    every = Interval(timedelta(minutes=1))
    with pytest.raises(ValueError, match="two jobs named"):
        check([Job("a", every, noop), Job("a", every, noop)])
    with pytest.raises(ValueError, match=r"wake \['nope'\]"):
        check([Job("a", every, noop, wakes=("nope",))])
    with pytest.raises(ValueError, match="positive"):
        Interval(timedelta(0))
    with pytest.raises(ValueError, match="explicit lease ttl"):
        Job("c", Cron(8, 0, 0, zone=UTC), noop, lease=Lease.singleton())  # type: ignore[arg-type]


def test_interval_and_cron_fire_times() -> None:
    every = Interval(timedelta(minutes=5), first_after=timedelta(seconds=4))
    assert first_run(every, T0) == T0 + timedelta(seconds=4)
    assert next_run(every, T0) == T0 + timedelta(minutes=5)
    from zoneinfo import ZoneInfo

    at_eight = Cron(8, 0, 0, zone=ZoneInfo("Europe/Warsaw"))
    assert first_run(at_eight, datetime(2026, 11, 20, 7, 0, tzinfo=UTC)) == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert next_run(at_eight, datetime(2026, 11, 20, 7, 0, tzinfo=UTC)) == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def test_the_manual_clock_runs_jobs_at_their_times_in_table_order_and_wakes_at_once(tmp_path, fake_slack) -> None:
    clock = Clock(T0)
    cfg = config(
        tmp_path,
        f"sqlite:///{tmp_path / 'd.db'}",
        fake_slack.base_url,
        schedule={"deliver_interval": "1m"},
        digest={"enabled": False},
    )
    app = make_app(cfg, fake_slack, clock)
    runner = ManualRunner(app)
    ran = runner.advance()  # start-up: everything due now, in table order; what they change wakes the next
    assert ran == ["poll:replay:Acme", "classify", "spikes", "deliver"]
    assert sorted(fake_slack.keys()) == ["negative:Acme:x:3", "negative:Acme:x:6"]
    # Slack's pace (1 s per channel) passed on the manual clock, not in real time.
    assert clock() == T0 + timedelta(seconds=1)
    ran = runner.advance(seconds=30)
    # deliver, woken by its own sends, runs again at 1 s and finds nothing; the second brand's poll starts 2 s
    # after the first; the heartbeat every 10 s from 10 s; at 30 s classify and the heartbeat, in table order.
    assert ran == ["deliver", "poll:replay:Other", "heartbeat", "heartbeat", "classify", "heartbeat"]
    assert runner.next_run("deliver") == T0 + timedelta(minutes=1, seconds=1)  # a minute after its woken run
    ran = runner.advance(minutes=10)
    assert ran.count("poll:replay:Acme") == 2 and ran.count("heartbeat") == 60 and ran.count("spikes") == 2
    assert [when for when, name, _ in runner.runs if name == "poll:replay:Acme"] == [
        T0,
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=10),
    ]
    assert clock() == T0 + timedelta(minutes=10, seconds=31)
    app.engine.dispose()


def test_a_job_that_fails_is_logged_counted_remembered_and_the_others_keep_running(
    tmp_path, fake_slack, caplog
) -> None:
    clock = Clock(T0)
    cfg = config(tmp_path, f"sqlite:///{tmp_path / 'd.db'}", fake_slack.base_url)
    app = make_app(cfg, fake_slack, clock)
    calls: list[datetime] = []

    def explode() -> Outcome:
        calls.append(clock())
        raise RuntimeError(f"library bug; sent {fake_slack.token} to https://api.example/?token=abcdefgh1234")

    runner = ManualRunner(app, jobs=[*table(app), Job("explode", Interval(timedelta(seconds=30)), explode)])
    with caplog.at_level(logging.ERROR):
        runner.advance(minutes=1)
    # Due at 0 behind the others in table order, it ran once the paced delivery was done (at 1 s), and stayed on
    # its own schedule.
    assert calls == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=30), T0 + timedelta(minutes=1)]
    assert sorted(fake_slack.keys()) == ["negative:Acme:x:3", "negative:Acme:x:6"], "the others ran"
    assert "job explode failed" in caplog.text and "RuntimeError: library bug" in caplog.text
    state = app.job_health.state("explode")
    assert (state.runs, state.failures, state.consecutive_failures) == (3, 3, 3)
    assert state.last_error_at == T0 + timedelta(minutes=1)
    assert state.last_error is not None and "[redacted]" in state.last_error
    assert "abcdefgh1234" not in state.last_error and fake_slack.token not in state.last_error
    assert app.metrics.errors.labels(kind="job_failed")._value.get() == 3
    assert app.job_health.state("classify").consecutive_failures == 0

    healthy, body = healthcheck.check(
        healthcheck.HealthInputs(
            engine=app.engine,
            clock=clock,
            scheduler_alive=lambda: True,
            intervals={"replay": timedelta(minutes=5)},
            stale_after_intervals=3,
            instance="test",
            jobs=app.job_health.report,
        )
    )
    assert healthy and body["status"] == "degraded"  # the daemon works; one job does not
    assert body["jobs"]["explode"]["consecutive_failures"] == 3 and body["jobs"]["deliver"]["failures"] == 0
    assert "abcdefgh1234" not in str(body) and fake_slack.token not in str(body)
    app.engine.dispose()


def test_a_source_backs_off_after_a_429_and_the_clock_passing_brings_it_back(tmp_path, fake_slack) -> None:
    clock = Clock(T0)
    cfg = config(tmp_path, f"sqlite:///{tmp_path / 'd.db'}", fake_slack.base_url, posts=9)
    app = make_app(cfg, fake_slack, clock)
    inner = app.connectors["replay"]._inner  # type: ignore[attr-defined]

    class Refusing:
        platform = inner.platform
        refusals = 0

        def fetch(self, query, cursor):
            if query.brand == "Acme" and Refusing.refusals < 2:
                Refusing.refusals += 1
                raise RateLimited("429 Too Many Requests", retry_after=600)
            yield from inner.fetch(query, cursor)

    app.connectors["replay"] = InstrumentedConnector(Refusing(), source="replay", metrics=app.metrics)
    runner = ManualRunner(app)
    runner.advance(minutes=9)  # refused at 0 (Retry-After 10 min); the poll at 5 min is skipped, backing off
    assert Refusing.refusals == 1 and fake_slack.keys() == []
    runner.advance(minutes=2)  # 10 min: refused again (a second back-off)
    assert Refusing.refusals == 2 and fake_slack.keys() == []
    runner.advance(minutes=20)  # past the second back-off: everything arrives, once
    assert sorted(fake_slack.keys()) == ["negative:Acme:x:3", "negative:Acme:x:6", "negative:Acme:x:9"]
    assert app.metrics.rate_limit_waits.labels(target="replay")._value.get() == 2
    app.engine.dispose()


def test_run_once_walks_the_table_in_order_drains_delivery_and_hands_its_leases_over(
    tmp_path, db_url, fake_slack
) -> None:
    clock = Clock(T0)
    cfg = config(tmp_path, db_url, fake_slack.base_url, posts=30)
    app = make_app(cfg, fake_slack, clock)
    totals = run_once(app)
    assert totals == {
        "fetched": 30, "new_posts": 30, "quarantined": 0, "failed_polls": 0, "classified": 30, "spike_events": 0,
        "sent": 10, "undelivered": 0,
    }  # fmt: skip
    assert len(fake_slack.keys()) == 10 and clock() == T0 + timedelta(seconds=9), "10 alerts paced 1 s apart"
    with app.engine.connect() as conn:
        assert conn.execute(select(leases.c.name)).all() == []  # released: another instance may take over at once
    assert run_once(app)["sent"] == 0
    app.engine.dispose()


def test_run_once_lets_a_failure_through(tmp_path, fake_slack) -> None:
    clock = Clock(T0)
    cfg = config(tmp_path, f"sqlite:///{tmp_path / 'd.db'}", fake_slack.base_url)
    app = make_app(cfg, fake_slack, clock)

    def broken(texts):
        raise RuntimeError("classifier crashed")

    app.pipeline.classifier = lambda: type("Broken", (), {"classify": staticmethod(broken)})()
    with pytest.raises(RuntimeError, match="classifier crashed"):
        run_once(app)  # a one-shot run that failed must say so (exit 1), not report success
    app.engine.dispose()
