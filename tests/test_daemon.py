"""The daemon: the job table on APScheduler, wake-ups through the scheduler, SIGTERM exits cleanly.

What the jobs do over time is shown on the manual clock (tests/test_jobs.py and the
scenario tests); here only what is the daemon's own: the adapter and a real process.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import make_url

from models.base import Sentiment
from monitor.bootstrap import bootstrap
from monitor.config import parse_config
from monitor.daemon import Daemon
from tests.conftest import Clock, make_post, write_posts
from tests.support.tiny_model import TRAINING
from tests.test_run_once import brand_monitor, write_config

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class AlwaysNegative:
    def classify(self, texts):
        return [Sentiment("negative", 0.9, 0.9) for _ in texts]


def _app(tmp_path: Path, fake_slack, clock: Clock):
    replay = write_posts(tmp_path / "p.jsonl", [make_post(1, "acme is down"), make_post(2, "acme broke")])
    config = parse_config({
        "storage": {"url": f"sqlite:///{tmp_path / 'd.db'}"},
        "slack": {"base_url": fake_slack.base_url, "min_interval": "10ms"},
        "schedule": {"timezone": "Europe/Warsaw", "digest_time": "08:30"},
        "brands": [{"name": "Acme", "terms": ["acme"]}, {"name": "Other", "terms": ["other"]}],
        "sources": {"replay": {"path": str(replay), "interval": "1m"}},
        "retention": {"outbox_days": 7},
    }, env={"SLACK_BOT_TOKEN": fake_slack.token})
    return bootstrap(config, clock=clock, classifier=AlwaysNegative())


def test_every_row_of_the_table_goes_on_the_scheduler_with_its_trigger_and_first_run(tmp_path, fake_slack) -> None:
    app = _app(tmp_path, fake_slack, Clock(T0))
    daemon = Daemon(app)
    daemon.add_jobs()
    scheduled = {job.id: job for job in daemon.scheduler.get_jobs()}
    assert list(scheduled) == [job.name for job in daemon.jobs]
    first = {name: job.next_run_time.astimezone(UTC) for name, job in scheduled.items()}
    assert first["poll:replay:Acme"] == T0 and first["poll:replay:Other"] == T0 + timedelta(seconds=2)
    assert first["classify"] == first["deliver"] == first["spikes"] == first["digest-check"] == T0
    assert first["heartbeat"] == T0 + timedelta(seconds=10) and first["retention"] == T0 + timedelta(hours=1)
    assert first["digest"] == datetime(2026, 11, 21, 7, 30, tzinfo=UTC)  # 08:30 in Warsaw (CET)
    poll = scheduled["poll:replay:Acme"].trigger
    assert isinstance(poll, IntervalTrigger) and poll.interval == timedelta(minutes=1)
    assert isinstance(scheduled["digest"].trigger, CronTrigger)
    assert str(scheduled["digest"].trigger.timezone) == "Europe/Warsaw"
    app.engine.dispose()


def test_a_job_that_changed_something_wakes_the_jobs_it_names_through_the_scheduler(tmp_path, fake_slack) -> None:
    clock = Clock(T0)
    app = _app(tmp_path, fake_slack, clock)
    daemon = Daemon(app)
    daemon.add_jobs()
    clock.advance(minutes=3)
    job = daemon.scheduler.get_job
    job("poll:replay:Acme").func()  # what the scheduler calls: the guarded job; it stores two posts
    assert job("classify").next_run_time.astimezone(UTC) == clock(), "classify was woken"
    job("classify").func()
    assert job("deliver").next_run_time.astimezone(UTC) == clock()
    assert job("spikes").next_run_time.astimezone(UTC) == clock(), "new labels change spike counts"
    job("deliver").func()
    assert sorted(fake_slack.keys()) == ["negative:Acme:x:1", "negative:Acme:x:2"]
    job("classify").modify(next_run_time=T0)
    job("poll:replay:Other").func()  # nothing new: nothing woken
    assert job("classify").next_run_time.astimezone(UTC) == T0
    app.stop.set()
    job("deliver").modify(next_run_time=T0)
    daemon._wake("deliver")  # stopping: nothing is woken any more
    assert job("deliver").next_run_time.astimezone(UTC) == T0
    app.engine.dispose()


@pytest.mark.e2e
def test_sigterm_finishes_cleanly_with_exit_0(tmp_path: Path, db_url: str, tiny_model_dir, fake_slack) -> None:
    """A running daemon stops cleanly on SIGTERM; while it runs on SQLite, a second instance refuses to start."""
    # The complaints the tiny model was fitted on: a text it never saw may come out either way, and did
    # ("order 1 never arrived" read positive on an AVX-512 machine, whose float rounding trains it differently).
    complaints = [text for text, label in TRAINING if label == 0]
    replay = write_posts(tmp_path / "p.jsonl", [make_post(i, f"{complaints[i % len(complaints)]} #acme")
                                                 for i in range(1, 6)])
    config = write_config(tmp_path, db_url=db_url, model=tiny_model_dir, slack_url=fake_slack.base_url,
                          replay=replay)
    daemon = brand_monitor(config, fake_slack.token, once=False)
    deadline = time.monotonic() + 120
    while len(fake_slack.keys()) < 5 and time.monotonic() < deadline and daemon.poll() is None:
        time.sleep(0.2)
    if db_url.startswith("sqlite"):  # one process per SQLite file (PostgreSQL: tests/ops/test_instances.py)
        lock = Path(make_url(db_url).database + ".lock")
        assert lock.exists() and lock.read_text()
        second = brand_monitor(config, fake_slack.token, once=True)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "SQLite supports one instance" in out and f"pid {daemon.pid}" in out
    daemon.send_signal(signal.SIGTERM)
    out, _ = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, out
    assert "stopping" in out and "stopped" in out
    assert len(fake_slack.keys()) == 5, out[-3000:]
